/**
 * SCAN, KEYS and DBSIZE over the whole cluster (src/keyspace). SCAN's cursor is a vnode and a
 * fixed position inside it, so a scan survives table changes and never skips a key that stayed
 * present throughout; like Redis's, it may return a key twice and may miss keys written during
 * the scan. KEYS is a whole scan in one reply, refused past ProxyOptions.keysReplyMax.
 */
import { arrayReply, bulkReply, errorReply, integerReply } from '../../resp/index.js';
import type { Reply, ReplyValue } from '../../resp/index.js';
import { scanFrom } from '../../keyspace/index.js';
import type { ScannedKey } from '../../keyspace/index.js';
import { isToken, parseInteger } from './arguments.js';
import type { CommandContext, CommandDefinition } from './command.js';
import { NO_KEYS, argument } from './command.js';
import { ERRORS } from './error-replies.js';
import { globMatch } from './glob.js';

const COUNT_DEFAULT = 10;
/** Keys one SCAN aims at, at most (COUNT is a hint; a larger one is held to this). */
const COUNT_MAX = 1000;

interface ScanOptions {
  readonly cursor: number;
  readonly count: number;
  readonly match: Buffer | undefined;
  readonly type: string | undefined;
}

function parseScanOptions(args: Buffer[]): ScanOptions | ReplyValue {
  const text = (args[1] as Buffer).toString('latin1');
  if (!/^\d{1,20}$/.test(text) || !Number.isSafeInteger(Number(text))) return ERRORS.invalidCursor;
  let count = COUNT_DEFAULT;
  let match: Buffer | undefined;
  let type: string | undefined;
  for (let j = 2; j < args.length; j++) {
    const option = args[j] as Buffer;
    const value = args[j + 1];
    if (value === undefined) return ERRORS.syntax;
    if (isToken(option, 'count')) {
      const parsed = parseInteger(value);
      if (parsed === undefined) return ERRORS.notInteger;
      if (parsed < 1) return ERRORS.syntax;
      count = Math.min(parsed, COUNT_MAX);
    } else if (isToken(option, 'match')) {
      match = value;
    } else if (isToken(option, 'type')) {
      type = value.toString('latin1').toLowerCase();
    } else {
      return ERRORS.syntax;
    }
    j++;
  }
  return { cursor: Number(text), count, match, type };
}

function selected(keys: readonly ScannedKey[], options: Pick<ScanOptions, 'match' | 'type'>): Uint8Array[] {
  return keys.filter((entry) => (options.type === undefined || entry.type === options.type)
    && (options.match === undefined || globMatch(options.match, entry.key))).map((entry) => entry.key);
}

function scan(args: Buffer[], _connection: unknown, context: CommandContext): Reply | Promise<Reply> {
  const options = parseScanOptions(args);
  if (!('cursor' in options)) return options;
  const { coordinator, table } = context.kv;
  if (Math.floor(options.cursor / 2 ** 32) >= table.current().vnodeCount) return ERRORS.invalidCursor;
  return scanFrom(coordinator, table, options.cursor, options.count).then((page) =>
    arrayReply([bulkReply(String(page.cursor)), arrayReply(selected(page.keys, options).map((key) => bulkReply(key)))]));
}

async function keys(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  const { coordinator, table } = context.kv;
  const limit = context.options.keysReplyMax;
  const found: Uint8Array[] = [];
  let cursor = 0;
  do {
    const page = await scanFrom(coordinator, table, cursor, COUNT_MAX);
    found.push(...selected(page.keys, { match: args[1], type: undefined }));
    if (found.length > limit) {
      return errorReply(`ERR KEYS would answer more than ${String(limit)} keys; walk the keyspace with SCAN (MATCH and COUNT) instead`);
    }
    cursor = page.cursor;
  } while (cursor !== 0);
  return arrayReply(found.map((key) => bulkReply(key)));
}

function dbsize(_args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  return context.keyspace.fresh(0).then((counts) => integerReply(counts.keys));
}

export const SCAN_COMMANDS: readonly CommandDefinition[] = [
  {
    name: 'scan', arity: -2, flags: ['readonly'], keys: NO_KEYS, categories: ['@keyspace', '@read', '@slow'], run: scan,
    summary: 'Walk the keyspace vnode by vnode: the cursor names a vnode and a place in it, so table changes skip nothing.',
    since: '2.8.0', group: 'generic', complexity: 'O(COUNT) keys, one request per vnode visited',
    arguments: [argument('cursor', 'integer'), argument('pattern', 'string', { token: 'MATCH', optional: true }),
      argument('count', 'integer', { token: 'COUNT', optional: true }), argument('type', 'string', { token: 'TYPE', optional: true })],
  },
  {
    name: 'keys', arity: 2, flags: ['readonly'], keys: NO_KEYS, categories: ['@keyspace', '@read', '@slow', '@dangerous'], run: keys,
    summary: 'Every key matching a pattern: a whole scan in one reply, refused past a limit (use SCAN).',
    since: '1.0.0', group: 'generic', complexity: 'O(N) keys of the cluster', arguments: [argument('pattern', 'string')],
  },
  {
    name: 'dbsize', arity: 1, flags: ['readonly', 'fast'], keys: NO_KEYS, categories: ['@keyspace', '@read', '@fast'], run: dbsize,
    summary: 'Live keys in the cluster, each vnode counted at one replica.',
    since: '1.0.0', group: 'generic', complexity: 'O(N) at the nodes, one request per server', arguments: [],
  },
];
