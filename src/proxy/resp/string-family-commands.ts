/**
 * The rest of Redis's string family on plain values: SETEX, PSETEX, GETSET, GETDEL, GETEX,
 * APPEND, STRLEN. Replies and errors are Redis 7's word for word (t_string.c).
 *
 * SETEX and PSETEX are blind writes, as SET is. The others read, then write with the read's
 * context, so the write supersedes exactly what was read and a concurrent write it did not see
 * survives as a sibling (DESIGN.md section 3). They are a read and a write, not one atomic step:
 * two concurrent APPENDs to one key can both read "a" and leave "ab" and "ac" as siblings, of
 * which GET shows the newer. Counters (INCR) are the convergent way to combine concurrent updates.
 */
import { REPLIES, bulkReply, integerReply } from '../../resp/index.js';
import type { Reply } from '../../resp/index.js';
import type { ReadResult } from '../../replication/index.js';
import type { Sibling, VersionVector } from '../../version/index.js';
import { isToken, ownedCopy } from './arguments.js';
import type { CommandContext, CommandDefinition } from './command.js';
import { FIRST_KEY, READ_FLAGS, WRITE_FLAGS, argument, key } from './command.js';
import { ERRORS, invalidExpire } from './error-replies.js';
import { parsePositiveExpiry } from './expiry.js';
import type { ExpiryBase, ExpiryUnit } from './expiry.js';

/** What a read shows: the visible value (undefined when GET would answer nil) and the read's context. */
interface Visible {
  readonly current: Sibling | undefined;
  /** The context to write with: supersedes what was read and nothing else ([] when nothing was). */
  readonly context: VersionVector;
}

/** Thrown by readVisible on a hash, set or sorted set: the handler answers it as Redis's WRONGTYPE. */
class WrongType extends Error {}

function readVisible(context: CommandContext, key: Buffer): Promise<Visible> {
  context.kv.checkKey(key);
  return context.kv.read(key).then((result: ReadResult): Visible => {
    if (context.kv.holdsCollection(result)) throw new WrongType();
    const current = context.kv.visible(result);
    return { current: current?.value === null ? undefined : current, context: result.versioned?.context ?? [] };
  });
}

/** The string family's commands answer WRONGTYPE on a collection and change nothing. */
function orWrongType(reply: Promise<Reply>): Promise<Reply> {
  return reply.catch((error: unknown) => {
    if (error instanceof WrongType) return ERRORS.wrongType;
    throw error;
  });
}

function valueReply(sibling: Sibling | undefined): Reply {
  return sibling === undefined || sibling.value === null ? REPLIES.nullBulk : bulkReply(sibling.value);
}

function setWithExpiry(args: Buffer[], context: CommandContext, unit: ExpiryUnit, command: string): Reply | Promise<Reply> {
  const key = args[1] as Buffer;
  const value = args[3] as Buffer;
  const expiresAtMs = parsePositiveExpiry(args[2] as Buffer, unit, 'relative', context.clock.nowMs());
  if (expiresAtMs === 'not-integer') return ERRORS.notInteger;
  if (expiresAtMs === 'invalid') return invalidExpire(command);
  context.kv.checkKey(key);
  context.kv.checkValue(value);
  return context.kv.write(key, ownedCopy(value), { context: null, expiresAtMs }).then(() => REPLIES.ok);
}

/** GETSET: SET's blind write (the TTL goes, as in Redis), answering what was there. */
function getSet(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  const key = args[1] as Buffer;
  const value = args[2] as Buffer;
  context.kv.checkValue(value);
  const copy = ownedCopy(value);
  return readVisible(context, key).then(({ current }) =>
    context.kv.write(key, copy, { context: null, expiresAtMs: null }).then(() => valueReply(current)));
}

function getDel(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  const key = args[1] as Buffer;
  return readVisible(context, key).then(({ current, context: readContext }): Reply | Promise<Reply> => {
    if (current === undefined) return REPLIES.nullBulk;
    return context.kv.write(key, null, { context: readContext, expiresAtMs: null }).then(() => valueReply(current));
  });
}

const EX = 1;
const PX = 2;
const EXAT = 4;
const PXAT = 8;
const PERSIST = 16;
const ANY_EXPIRY = EX | PX | EXAT | PXAT;

type GetExOptions = { readonly flags: number; readonly expire: Buffer | undefined } | undefined;

/** Redis 7's parseExtendedStringArgumentsOrReply for GETEX: EX/PX/EXAT/PXAT or PERSIST, one kind. */
function parseGetExOptions(args: Buffer[]): GetExOptions {
  let flags = 0;
  let expire: Buffer | undefined;
  for (let j = 2; j < args.length; j++) {
    const option = args[j] as Buffer;
    if (isToken(option, 'persist') && (flags & ANY_EXPIRY) === 0) {
      flags |= PERSIST;
      continue;
    }
    const unit = isToken(option, 'ex') ? EX : isToken(option, 'px') ? PX : isToken(option, 'exat') ? EXAT : isToken(option, 'pxat') ? PXAT : 0;
    if (unit === 0 || (flags & (PERSIST | (ANY_EXPIRY & ~unit))) !== 0 || j + 1 >= args.length) return undefined;
    flags |= unit;
    expire = args[++j];
  }
  return { flags, expire };
}

function getEx(args: Buffer[], _connection: unknown, context: CommandContext): Reply | Promise<Reply> {
  const options = parseGetExOptions(args);
  if (options === undefined) return ERRORS.syntax;
  const { flags } = options;
  let expiresAtMs: number | null = null;
  if (options.expire !== undefined) {
    const unit: ExpiryUnit = (flags & (EX | EXAT)) !== 0 ? 'seconds' : 'milliseconds';
    const base: ExpiryBase = (flags & (EX | PX)) !== 0 ? 'relative' : 'absolute';
    const parsed = parsePositiveExpiry(options.expire, unit, base, context.clock.nowMs());
    if (parsed === 'not-integer') return ERRORS.notInteger;
    if (parsed === 'invalid') return invalidExpire('getex');
    expiresAtMs = parsed;
  }
  const key = args[1] as Buffer;
  return readVisible(context, key).then(({ current, context: readContext }): Reply | Promise<Reply> => {
    if (current === undefined) return REPLIES.nullBulk;
    const reply = valueReply(current);
    if (expiresAtMs !== null) {
      // An absolute time already past deletes the key, as Redis does; the value is still answered.
      const value = expiresAtMs <= context.clock.nowMs() ? null : current.value;
      return context.kv.write(key, value, { context: readContext, expiresAtMs: value === null ? null : expiresAtMs }).then(() => reply);
    }
    if ((flags & PERSIST) !== 0 && current.expiresAtMs !== null) {
      return context.kv.write(key, current.value, { context: readContext, expiresAtMs: null }).then(() => reply);
    }
    return reply;
  });
}

/** APPEND keeps the key's expiry, as Redis does; the result is bounded by limits.valueBytesMax. */
function append(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  const key = args[1] as Buffer;
  const suffix = ownedCopy(args[2] as Buffer);
  return readVisible(context, key).then(({ current, context: readContext }) => {
    const previous = current?.value ?? null;
    const value = previous === null ? suffix : Buffer.concat([previous, suffix]);
    context.kv.checkValue(value);
    return context.kv.write(key, value, { context: readContext, expiresAtMs: current?.expiresAtMs ?? null })
      .then(() => integerReply(value.length));
  });
}

function strlen(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  return readVisible(context, args[1] as Buffer).then(({ current }) => integerReply(current?.value?.length ?? 0));
}

const READ_WRITE = `O(1) plus a quorum read and a quorum write`;

function guarded(run: (args: Buffer[], connection: unknown, context: CommandContext) => Reply | Promise<Reply>): CommandDefinition['run'] {
  return (args, connection, context) => {
    const reply = run(args, connection, context);
    return reply instanceof Promise ? orWrongType(reply) : reply;
  };
}

export const STRING_FAMILY_COMMANDS: readonly CommandDefinition[] = [
  {
    name: 'setex', arity: 4, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: ['@write', '@string', '@slow'],
    run: (args, _connection, context) => setWithExpiry(args, context, 'seconds', 'setex'),
    summary: 'Set a value and its time to live in seconds (a blind write, as SET EX).',
    since: '2.0.0', group: 'string', complexity: 'O(1) plus one quorum write', arguments: [key(), argument('seconds', 'integer'), argument('value', 'string')],
  },
  {
    name: 'psetex', arity: 4, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: ['@write', '@string', '@slow'],
    run: (args, _connection, context) => setWithExpiry(args, context, 'milliseconds', 'psetex'),
    summary: 'Set a value and its time to live in milliseconds (a blind write, as SET PX).',
    since: '2.6.0', group: 'string', complexity: 'O(1) plus one quorum write', arguments: [key(), argument('milliseconds', 'integer'), argument('value', 'string')],
  },
  {
    name: 'getset', arity: 3, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: ['@write', '@string', '@fast'], run: guarded(getSet),
    summary: 'Set a value (a blind write, the TTL removed) and answer the previous one: a read then a write, not atomic.',
    since: '1.0.0', group: 'string', complexity: READ_WRITE, arguments: [key(), argument('value', 'string')],
  },
  {
    name: 'getdel', arity: 2, flags: ['write', 'fast'], keys: FIRST_KEY, categories: ['@write', '@string', '@fast'], run: guarded(getDel),
    summary: 'Answer the value and delete it (a tombstone with the read\'s context).',
    since: '6.2.0', group: 'string', complexity: READ_WRITE, arguments: [key()],
  },
  {
    name: 'getex', arity: -2, flags: ['write', 'fast'], keys: FIRST_KEY, categories: ['@write', '@string', '@fast'], run: guarded(getEx),
    summary: 'Answer the value and set or remove its expiry (rewritten with the read\'s context).',
    since: '6.2.0', group: 'string', complexity: 'O(1) plus a quorum read, and a quorum write when the expiry changes',
    arguments: [
      key(),
      argument('expiration', 'oneof', {
        optional: true,
        arguments: [
          argument('seconds', 'integer', { token: 'EX' }),
          argument('milliseconds', 'integer', { token: 'PX' }),
          argument('unix-time-seconds', 'integer', { token: 'EXAT' }),
          argument('unix-time-milliseconds', 'integer', { token: 'PXAT' }),
          argument('persist', 'pure-token', { token: 'PERSIST' }),
        ],
      }),
    ],
  },
  {
    name: 'append', arity: 3, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: ['@write', '@string', '@fast'], run: guarded(append),
    summary: 'Append to a value and answer its new length: a read then a write with the read\'s context, not atomic.',
    since: '2.0.0', group: 'string', complexity: READ_WRITE, arguments: [key(), argument('value', 'string')],
  },
  {
    name: 'strlen', arity: 2, flags: READ_FLAGS, keys: FIRST_KEY, categories: ['@read', '@string', '@fast'], run: guarded(strlen),
    summary: 'Length in bytes of the value GET would show, 0 when absent.',
    since: '2.2.0', group: 'string', complexity: 'O(1) plus a quorum read', arguments: [key()],
  },
];
