/**
 * MGET and MSET: one quorum operation per key, run in parallel (at most
 * ProxyOptions.multiKeyParallelMax at a time), answered once all have settled.
 *
 * Semantics are all-or-error, not atomic: MSET answers +OK only when every key's write reached W
 * replicas; otherwise it answers the first failure's error saying how many keys failed, and the
 * keys that did succeed stay written (there is no rollback in a leaderless store). MGET answers
 * the values when every read reached R replicas, otherwise an error (a nil would be a lie: it
 * cannot tell "absent" from "unknown"). Keys and values are checked against the limits before
 * anything is sent, so an over-limit argument stores nothing.
 */
import { REPLIES, arrayReply } from '../../resp/index.js';
import { RingcacheError } from '../../runtime/index.js';
import type { Reply, ReplyValue } from '../../resp/index.js';
import { batchError, runBounded } from '../bounded-parallel.js';
import { ownedCopy } from './arguments.js';
import type { CommandContext, CommandDefinition } from './command.js';
import { ALL_KEYS, READ_FLAGS, argument, key } from './command.js';
import { ERRORS, arityError } from './error-replies.js';

function mget(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  const kv = context.kv;
  for (let i = 1; i < args.length; i++) kv.checkKey(args[i] as Buffer);
  const count = args.length - 1;
  const items: ReplyValue[] = new Array<ReplyValue>(count).fill(REPLIES.nullBulk);
  // One 1 MiB key named 1,000 times is a 1 GiB reply: stop reading once past the cap.
  const bytesMax = context.config.proxy.mgetReplyBytesMax;
  let bytes = 0;
  return runBounded(count, context.options.multiKeyParallelMax, (index) => {
    if (bytes > bytesMax) return Promise.reject(replyTooLarge(bytes, bytesMax));
    return kv.read(args[index + 1] as Buffer).then((result) => {
      const reply = context.values.single(result);
      if (reply.kind === 'bulk' && reply.value !== null) bytes += reply.value.length;
      if (bytes > bytesMax) throw replyTooLarge(bytes, bytesMax);
      // A hash, set or sorted set is nil to MGET, as in Redis (no WRONGTYPE).
      if (reply.kind !== 'close' && reply !== ERRORS.wrongType) items[index] = reply;
    });
  }).then((outcome) => {
    // The cap is the command's failure, not its keys': say so, not "936 of 1000 keys failed".
    if (bytes > bytesMax) throw replyTooLarge(bytes, bytesMax);
    if (outcome.failures > 0) throw batchError('MGET', outcome, count);
    return arrayReply(items);
  });
}

function replyTooLarge(bytes: number, bytesMax: number): RingcacheError {
  return new RingcacheError('RC_ERR_REPLY_TOO_LARGE', `MGET reply passed ${bytesMax} bytes of values (${bytes} gathered); see proxy.mgetReplyBytesMax`, { bytes, bytesMax });
}

const MSET_ARITY_ERROR = arityError('mset');

function mset(args: Buffer[], _connection: unknown, context: CommandContext): Reply | Promise<Reply> {
  if ((args.length - 1) % 2 !== 0) return MSET_ARITY_ERROR;
  const kv = context.kv;
  // Later pairs win, as in Redis: parallel writes of one key would race, so only the last is sent.
  const last = new Map<string, number>();
  for (let i = 1; i < args.length; i += 2) {
    const key = args[i] as Buffer;
    kv.checkKey(key);
    kv.checkValue(args[i + 1] as Buffer);
    last.set(key.toString('latin1'), i);
  }
  const positions = [...last.values()];
  return runBounded(positions.length, context.options.multiKeyParallelMax, (index) => {
    const position = positions[index] as number;
    const value = ownedCopy(args[position + 1] as Buffer);
    return kv.write(args[position] as Buffer, value, { context: null, expiresAtMs: null }).then(() => undefined);
  }).then((outcome): Reply => {
    if (outcome.failures > 0) throw batchError('MSET', outcome, positions.length);
    return REPLIES.ok;
  });
}

export const MULTI_KEY_COMMANDS: readonly CommandDefinition[] = [
  {
    name: 'mget', arity: -2, flags: READ_FLAGS, keys: ALL_KEYS, categories: ['@read', '@string', '@fast'], run: mget,
    summary: 'Get the values of keys (nil for absent ones); an error if any key\'s read misses its quorum.',
    since: '1.0.0', group: 'string', complexity: 'O(N) quorum reads, in parallel', arguments: [key('key', true)],
  },
  {
    name: 'mset', arity: -3, flags: ['write', 'denyoom'], keys: [1, -1, 2], categories: ['@write', '@string', '@slow'], run: mset,
    summary: 'Set keys to values, in parallel: +OK when every write reached W replicas, else an error saying how many failed (not atomic).',
    since: '1.0.1', group: 'string', complexity: 'O(N) quorum writes, in parallel',
    arguments: [argument('data', 'block', { multiple: true, arguments: [key(), argument('value', 'string')] })],
  },
];
