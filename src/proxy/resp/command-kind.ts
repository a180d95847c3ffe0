/**
 * What data type a RESP command works on and which family it belongs to: the labels of
 * `ringcache_proxy_commands_by_type_total`. Both come from the command table (its Redis group,
 * its flags and its name), never from a key, so the label set is bounded by the table:
 *
 *   type     string | counter | hash | set | zset | keyspace | server | connection | ringcache
 *   family   read | write | scan | other         (scan: the cursor commands and KEYS; other: keyless)
 */
import type { CommandDefinition } from './command.js';

export type CommandType = 'string' | 'counter' | 'hash' | 'set' | 'zset' | 'keyspace' | 'server' | 'connection' | 'ringcache';
export type CommandFamily = 'read' | 'write' | 'scan' | 'other';

export interface CommandKind {
  readonly type: CommandType;
  readonly family: CommandFamily;
}

/** INCR and friends are strings to Redis, but a PN-counter here (docs/ARCHITECTURE.md, "Counters"). */
const COUNTER_COMMANDS: ReadonlySet<string> = new Set(['incr', 'decr', 'incrby', 'decrby', 'incrbyfloat']);
const SCAN_COMMANDS: ReadonlySet<string> = new Set(['scan', 'keys', 'hscan', 'sscan', 'zscan']);

const TYPE_OF_GROUP: Readonly<Record<CommandDefinition['group'], CommandType>> = {
  string: 'string', generic: 'keyspace', connection: 'connection', server: 'server', ringcache: 'ringcache',
  hash: 'hash', set: 'set', 'sorted-set': 'zset',
};

export function commandKind(definition: CommandDefinition): CommandKind {
  const type = COUNTER_COMMANDS.has(definition.name) ? 'counter' : TYPE_OF_GROUP[definition.group];
  const family: CommandFamily = SCAN_COMMANDS.has(definition.name) ? 'scan'
    : definition.flags.includes('write') ? 'write'
      : definition.keys[0] === 0 ? 'other' : 'read';
  return { type, family };
}
