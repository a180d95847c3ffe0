/**
 * GET and SET: the hot path. GET is one quorum read and `resolve()`'s choice among the
 * siblings; SET is one blind write (no context), which supersedes what the coordinating replica
 * holds, so Redis clients never grow siblings (DESIGN.md section 3).
 *
 * SET options as Redis 7: EX s | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL, and GET (answer
 * the previous value). KEEPTTL and GET read before writing; the read and the write are two steps,
 * not one atomic operation. NX and XX would need compare-and-set, which a leaderless store does
 * not have: they are refused with a clear error (ERRORS.conditionalSet).
 */
import { REPLIES, bulkReply } from '../../resp/index.js';
import type { PendingReply, Reply } from '../../resp/index.js';
import { isToken, ownedCopy } from './arguments.js';
import type { CommandContext, CommandDefinition } from './command.js';
import { FIRST_KEY, READ_FLAGS, WRITE_FLAGS, argument, key } from './command.js';
import { ERRORS, invalidExpire } from './error-replies.js';
import { parsePositiveExpiry } from './expiry.js';
import type { ExpiryBase, ExpiryUnit } from './expiry.js';
import { OkReply, ValueReply, okReply } from './value-replies.js';

function get(args: Buffer[], _connection: unknown, context: CommandContext): ValueReply {
  const key = args[1] as Buffer;
  context.kv.checkKey(key);
  const reply = new ValueReply(context.values);
  context.kv.readTo(key, reply);
  return reply;
}

/** Plain SET: no context (supersedes what the coordinating replica holds), no expiry. */
const BLIND_WRITE = Object.freeze({ context: null, expiresAtMs: null });

const NX = 1;
const XX = 2;
const GET = 4;
const KEEPTTL = 8;
const EX = 16;
const PX = 32;
const EXAT = 64;
const PXAT = 128;
const ANY_EXPIRY = EX | PX | EXAT | PXAT;

interface SetOptions {
  readonly flags: number;
  readonly expire: Buffer | undefined;
}

/** Redis 7.0's parseExtendedStringArgumentsOrReply for SET, including which repeats it allows. */
function parseSetOptions(args: Buffer[]): SetOptions | undefined {
  let flags = 0;
  let expire: Buffer | undefined;
  for (let j = 3; j < args.length; j++) {
    const option = args[j] as Buffer;
    const hasNext = j + 1 < args.length;
    if (isToken(option, 'nx') && (flags & XX) === 0) flags |= NX;
    else if (isToken(option, 'xx') && (flags & NX) === 0) flags |= XX;
    else if (isToken(option, 'get')) flags |= GET;
    else if (isToken(option, 'keepttl') && (flags & ANY_EXPIRY) === 0) flags |= KEEPTTL;
    else {
      const unit = expiryOption(option);
      if (unit === 0 || (flags & (KEEPTTL | (ANY_EXPIRY & ~unit))) !== 0 || !hasNext) return undefined;
      flags |= unit;
      expire = args[++j];
    }
  }
  return { flags, expire };
}

function expiryOption(option: Buffer): number {
  if (isToken(option, 'ex')) return EX;
  if (isToken(option, 'px')) return PX;
  if (isToken(option, 'exat')) return EXAT;
  if (isToken(option, 'pxat')) return PXAT;
  return 0;
}

function set(args: Buffer[], _connection: unknown, context: CommandContext): Reply | Promise<Reply> | PendingReply {
  const key = args[1] as Buffer;
  const value = args[2] as Buffer;
  if (args.length === 3) {
    context.kv.checkKey(key);
    context.kv.checkValue(value);
    const reply = new OkReply();
    context.kv.writeTo(key, ownedCopy(value), BLIND_WRITE, reply);
    return reply;
  }
  const options = parseSetOptions(args);
  if (options === undefined) return ERRORS.syntax;
  if ((options.flags & (NX | XX)) !== 0) return ERRORS.conditionalSet;
  let expiresAtMs: number | null = null;
  if (options.expire !== undefined) {
    const flags = options.flags;
    const unit: ExpiryUnit = (flags & (EX | EXAT)) !== 0 ? 'seconds' : 'milliseconds';
    const base: ExpiryBase = (flags & (EX | PX)) !== 0 ? 'relative' : 'absolute';
    const parsed = parsePositiveExpiry(options.expire, unit, base, context.clock.nowMs());
    if (parsed === 'not-integer') return ERRORS.notInteger;
    if (parsed === 'invalid') return invalidExpire('set');
    expiresAtMs = parsed;
  }
  context.kv.checkKey(key);
  context.kv.checkValue(value);
  const copy = ownedCopy(value);
  if ((options.flags & (GET | KEEPTTL)) === 0) {
    return context.kv.write(key, copy, { context: null, expiresAtMs }).then(okReply);
  }
  return setAfterRead(context, key, copy, options.flags, expiresAtMs);
}

/** SET ... GET / KEEPTTL: read the current value, then write blindly as plain SET does. */
function setAfterRead(context: CommandContext, key: Buffer, value: Buffer, flags: number, expiresAtMs: number | null): Promise<Reply> {
  const kv = context.kv;
  return kv.read(key).then((result): Reply | Promise<Reply> => {
    // SET ... GET on a hash, set or sorted set is Redis's WRONGTYPE, and sets nothing.
    if ((flags & GET) !== 0 && kv.holdsCollection(result)) return ERRORS.wrongType;
    const previous = kv.visible(result);
    const expiry = (flags & KEEPTTL) !== 0 ? previous?.expiresAtMs ?? null : expiresAtMs;
    return kv.write(key, value, { context: null, expiresAtMs: expiry }).then((): Reply => {
      if ((flags & GET) === 0) return REPLIES.ok;
      return previous === undefined || previous.value === null ? REPLIES.nullBulk : bulkReply(previous.value);
    });
  });
}

export const STRING_COMMANDS: readonly CommandDefinition[] = [
  {
    name: 'get', arity: 2, flags: READ_FLAGS, keys: FIRST_KEY, categories: ['@read', '@string', '@fast'], run: get,
    summary: 'Get the value of a key: the newest live sibling (resolve()), nil when absent, deleted or expired.',
    since: '1.0.0', group: 'string', complexity: 'O(1) plus one quorum read (R replicas)',
    arguments: [key()],
  },
  {
    name: 'set', arity: -3, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: ['@write', '@string', '@slow'], run: set,
    summary: 'Set the value of a key (a blind write: supersedes what the coordinating replica holds). NX/XX are refused: no compare-and-set.',
    since: '1.0.0', group: 'string', complexity: 'O(1) plus one quorum write (W replicas); GET and KEEPTTL add a read',
    arguments: [
      key(),
      argument('value', 'string'),
      argument('condition', 'oneof', { optional: true, arguments: [argument('nx', 'pure-token', { token: 'NX' }), argument('xx', 'pure-token', { token: 'XX' })] }),
      argument('get', 'pure-token', { token: 'GET', optional: true }),
      argument('expiration', 'oneof', {
        optional: true,
        arguments: [
          argument('seconds', 'integer', { token: 'EX' }),
          argument('milliseconds', 'integer', { token: 'PX' }),
          argument('unix-time-seconds', 'integer', { token: 'EXAT' }),
          argument('unix-time-milliseconds', 'integer', { token: 'PXAT' }),
          argument('keepttl', 'pure-token', { token: 'KEEPTTL' }),
        ],
      }),
    ],
  },
];
