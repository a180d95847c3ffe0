/**
 * INCR, DECR, INCRBY, DECRBY on the key's PN-counter (src/datatypes): each is one operation at the
 * coordinating replica, replicated as state, so concurrent increments on both sides of a
 * partition all count (docs/ARCHITECTURE.md, "Typed values"). INCRBYFLOAT is a read and a write
 * with the read's context, as Redis stores its result as a string: concurrent float increments
 * become siblings and the newest wins.
 *
 * Replies and errors are Redis 7's (t_string.c incrDecrCommand, incrbyfloatCommand).
 */
import { PendingReply, rawReply } from '../../resp/index.js';
import type { Reply, ReplyValue } from '../../resp/index.js';
import { INT64_MIN, formatFloatText, incrementCounter, parseFloatText, parseInt64 } from '../../datatypes/index.js';
import type { CounterListener, CounterOutcome } from '../../datatypes/index.js';
import type { CommandContext, CommandDefinition } from './command.js';
import { FIRST_KEY, WRITE_FLAGS, argument, key } from './command.js';
import { ERRORS, constantError } from './error-replies.js';

const OVERFLOW = constantError('ERR increment or decrement would overflow');
const DECREMENT_OVERFLOW = constantError('ERR decrement would overflow');
const NOT_FLOAT = constantError('ERR value is not a valid float');
const NAN_OR_INFINITY = constantError('ERR increment would produce NaN or Infinity');

function counterReply(outcome: CounterOutcome): Reply {
  if (outcome === 'not-integer') return ERRORS.notInteger;
  if (outcome === 'overflow') return OVERFLOW;
  if (outcome === 'wrong-type') return ERRORS.wrongType;
  return rawReply(Buffer.from(`:${outcome.value.toString()}\r\n`));
}

/**
 * The reply of an increment, waiting for its round: the round's listener and the connection's
 * pending reply in one object, as SET's OkReply, so an INCR costs no promise and no closure.
 */
class CounterReply extends PendingReply implements CounterListener {
  onCounterDone(outcome: CounterOutcome): void {
    this.resolve(counterReply(outcome));
  }

  onCounterFailed(error: Error): void {
    this.reject(error);
  }
}

function incrementBy(context: CommandContext, key: Buffer, amount: bigint): PendingReply {
  context.kv.checkKey(key);
  const reply = new CounterReply();
  incrementCounter(context.kv.coordinator, Buffer.from(key), amount, reply);
  return reply;
}

function parsedIncrement(arg: Buffer, negate: boolean): bigint | ReplyValue {
  const amount = parseInt64(arg);
  if (amount === undefined) return ERRORS.notInteger;
  // -(-2^63) does not fit: Redis refuses DECRBY -9223372036854775808 with its own message.
  if (negate && amount === INT64_MIN) return DECREMENT_OVERFLOW;
  return negate ? -amount : amount;
}

function byArgument(args: Buffer[], context: CommandContext, negate: boolean): Reply | PendingReply {
  const amount = parsedIncrement(args[2] as Buffer, negate);
  if (typeof amount !== 'bigint') return amount;
  return incrementBy(context, args[1] as Buffer, amount);
}

function incrByFloat(args: Buffer[], _connection: unknown, context: CommandContext): Reply | Promise<Reply> {
  const increment = parseFloatText(args[2] as Buffer);
  if (increment === undefined || Number.isNaN(increment)) return NOT_FLOAT;
  const key = args[1] as Buffer;
  const kv = context.kv;
  kv.checkKey(key);
  return kv.read(key).then((result): Reply | Promise<Reply> => {
    if (kv.holdsCollection(result)) return ERRORS.wrongType;
    const current = kv.visible(result);
    const base = current?.value === undefined || current.value === null ? 0 : parseFloatText(current.value);
    if (base === undefined || Number.isNaN(base)) return NOT_FLOAT;
    const next = base + increment;
    if (!Number.isFinite(next)) return NAN_OR_INFINITY;
    const text = Buffer.from(formatFloatText(next));
    return kv.write(Buffer.from(key), text, { context: result.versioned?.context ?? [], expiresAtMs: current?.expiresAtMs ?? null })
      .then((): Reply => rawReply(Buffer.from(`$${String(text.length)}\r\n${text.toString('latin1')}\r\n`)));
  });
}

const COUNTER = 'O(1) plus one operation at the coordinating replica and W-1 merges';
const COUNTER_CATEGORIES = ['@write', '@string', '@fast'];

export const COUNTER_COMMANDS: readonly CommandDefinition[] = [
  {
    name: 'incr', arity: 2, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: COUNTER_CATEGORIES,
    run: (args, _connection, context) => incrementBy(context, args[1] as Buffer, 1n),
    summary: 'Add 1 to the key\'s counter (a PN-counter: concurrent increments all count).',
    since: '1.0.0', group: 'string', complexity: COUNTER, arguments: [key()],
  },
  {
    name: 'decr', arity: 2, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: COUNTER_CATEGORIES,
    run: (args, _connection, context) => incrementBy(context, args[1] as Buffer, -1n),
    summary: 'Subtract 1 from the key\'s counter.',
    since: '1.0.0', group: 'string', complexity: COUNTER, arguments: [key()],
  },
  {
    name: 'incrby', arity: 3, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: COUNTER_CATEGORIES,
    run: (args, _connection, context) => byArgument(args, context, false),
    summary: 'Add an integer to the key\'s counter.',
    since: '1.0.0', group: 'string', complexity: COUNTER, arguments: [key(), argument('increment', 'integer')],
  },
  {
    name: 'decrby', arity: 3, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: COUNTER_CATEGORIES,
    run: (args, _connection, context) => byArgument(args, context, true),
    summary: 'Subtract an integer from the key\'s counter.',
    since: '1.0.0', group: 'string', complexity: COUNTER, arguments: [key(), argument('decrement', 'integer')],
  },
  {
    name: 'incrbyfloat', arity: 3, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: COUNTER_CATEGORIES, run: incrByFloat,
    summary: 'Add a float to a string value: a read then a write with the read\'s context (not a counter: concurrent ones become siblings).',
    since: '2.6.0', group: 'string', complexity: 'O(1) plus a quorum read and a quorum write', arguments: [key(), argument('increment', 'string')],
  },
];
