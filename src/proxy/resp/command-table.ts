import type { ReplyValue } from '../../resp/index.js';
import { assert } from '../../runtime/index.js';
import type { ProxyMetrics } from '../metrics.js';
import { lowerName } from './arguments.js';
import { CLIENT_COMMAND } from './client-command.js';
import { COMMAND_COMMAND } from './command-command.js';
import { COUNTER_COMMANDS } from './counter-commands.js';
import type { CommandDefinition } from './command.js';
import { commandKind } from './command-kind.js';
import { CONNECTION_COMMANDS } from './connection-commands.js';
import { arityError } from './error-replies.js';
import { INFO_COMMAND } from './info-command.js';
import { KEY_COMMANDS } from './key-commands.js';
import { MULTI_KEY_COMMANDS } from './multi-key-commands.js';
import { RINGCACHE_COMMANDS } from './ringcache-commands.js';
import { KEYSPACE_COMMANDS } from './keyspace-commands.js';
import { SERVER_COMMANDS } from './server-commands.js';
import { STRING_COMMANDS } from './string-commands.js';
import { STRING_FAMILY_COMMANDS } from './string-family-commands.js';
import { HASH_COMMANDS } from './hash-commands.js';
import { SET_COMMANDS } from './set-commands.js';
import { ZSET_COMMANDS } from './zset-commands.js';
import { SCAN_COMMANDS } from './scan-commands.js';

/** Every command the proxy answers (DESIGN.md section 7); anything else is "unknown command". */
export const PROXY_COMMANDS: readonly CommandDefinition[] = Object.freeze([
  ...STRING_COMMANDS,
  ...STRING_FAMILY_COMMANDS,
  ...COUNTER_COMMANDS,
  ...MULTI_KEY_COMMANDS,
  ...KEY_COMMANDS,
  ...KEYSPACE_COMMANDS,
  ...CONNECTION_COMMANDS,
  CLIENT_COMMAND,
  INFO_COMMAND,
  COMMAND_COMMAND,
  ...RINGCACHE_COMMANDS,
  ...SERVER_COMMANDS,
  ...HASH_COMMANDS,
  ...SET_COMMANDS,
  ...ZSET_COMMANDS,
  ...SCAN_COMMANDS,
]);

/** A command ready to dispatch: its definition plus what the handler needs per call. */
export interface CommandSpec {
  readonly definition: CommandDefinition;
  readonly arity: number;
  readonly arityError: ReplyValue;
  /** Runs before AUTH (Redis's "no-auth" flag): AUTH, HELLO, QUIT. */
  readonly noAuth: boolean;
  /** Metrics series (protocol "resp", this command). */
  readonly series: number;
  /** How the command touches its keys, for per-connection ordering (key-order.ts). */
  readonly access: KeyAccess;
}

/** 'none': no keys or no data (RC.ROUTE); 'read' waits for the connection's writes of its keys; 'write' also orders later commands. */
export type KeyAccess = 'none' | 'read' | 'write';

function accessOf(definition: CommandDefinition): KeyAccess {
  if (definition.keys[0] === 0) return 'none';
  if (definition.flags.includes('write')) return 'write';
  return definition.name === 'rc.route' ? 'none' : 'read';
}

const G = 0x67;
const S = 0x73;
const E = 0x65;
const T = 0x74;
const CASE_BIT = 0x20;

/**
 * Name -> spec. GET and SET, nearly all traffic, are recognized from their three bytes without
 * building a string; other names are lowercased (bounded by commandNameBytesMax) into a Map.
 */
export class CommandTable {
  readonly get: CommandSpec;
  readonly set: CommandSpec;
  /** Series of commands that are not known, for the requests counter. */
  readonly unknownSeries: number;
  private readonly byName = new Map<string, CommandSpec>();

  constructor(definitions: readonly CommandDefinition[], metrics: ProxyMetrics, private readonly nameBytesMax: number) {
    for (const definition of definitions) {
      assert(!this.byName.has(definition.name), `command ${definition.name} defined twice`);
      const series = metrics.series('resp', definition.name);
      metrics.describeSeries(series, commandKind(definition));
      this.byName.set(definition.name, {
        definition,
        arity: definition.arity,
        arityError: arityError(definition.name),
        noAuth: definition.flags.includes('noauth'),
        series,
        access: accessOf(definition),
      });
    }
    const get = this.byName.get('get');
    const set = this.byName.get('set');
    assert(get !== undefined && set !== undefined, 'GET and SET are defined');
    this.get = get;
    this.set = set;
    this.unknownSeries = metrics.series('resp', 'unknown');
  }

  lookup(name: Buffer): CommandSpec | undefined {
    if (name.length === 3) {
      // (byte | 0x20) === lowercase letter holds exactly for that letter in either case.
      const first = (name[0] as number) | CASE_BIT;
      if (((name[1] as number) | CASE_BIT) === E && ((name[2] as number) | CASE_BIT) === T) {
        if (first === G) return this.get;
        if (first === S) return this.set;
      }
    }
    if (name.length > this.nameBytesMax) return undefined;
    return this.byName.get(lowerName(name));
  }
}
