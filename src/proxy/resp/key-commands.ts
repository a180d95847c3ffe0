/**
 * DEL, EXISTS, EXPIRE/PEXPIRE and TTL/PTTL. Whether a key "exists" is what plain GET shows:
 * `resolve()`'s choice is a live value (tombstones and expired siblings are invisible).
 *
 * DEL reads, then writes a tombstone with the read's context: the count is right and the delete
 * supersedes exactly what was seen (a concurrent write it did not see survives as a sibling).
 * EXPIRE reads, then rewrites the visible value with the read's context and the new absolute
 * expiry, so every replica expires it at the same instant. Neither is atomic: each is a read and
 * a write, like a Redis client doing GET then SET with a version check it cannot make.
 *
 * On a hash, set or sorted set the expiry is the whole key's (src/datatypes/collection-expiry.ts):
 * EXPIRE is one PEXPIREAT operation at the coordinating replica, which checks NX/XX/GT/LT on the
 * state it holds; an expiry already due is a DEL, as Redis deletes the key then.
 */
import { REPLIES, integerReply, rawReply } from '../../resp/index.js';
import type { Reply, ReplyValue } from '../../resp/index.js';
import type { ReadResult } from '../../replication/index.js';
import { batchError, runBounded } from '../bounded-parallel.js';
import { isToken } from './arguments.js';
import type { CommandContext, CommandDefinition } from './command.js';
import { ALL_KEYS, FIRST_KEY, READ_FLAGS, argument, key } from './command.js';
import { ERRORS, invalidExpire, unsupportedOption } from './error-replies.js';
import { collectionExpiryMs, expireConditionHolds } from '../../datatypes/index.js';
import { integerAnswer, operate } from './collection-commands.js';
import { parseAnyExpiry, timeToLive } from './expiry.js';
import type { ExpiryBase, ExpiryUnit } from './expiry.js';

const MINUS_TWO: ReplyValue = Object.freeze(rawReply(Buffer.from(':-2\r\n')));

/** Distinct keys of args[1..], in first-seen order (DEL a a deletes, and counts, once). */
function distinctKeys(args: Buffer[], context: CommandContext): Buffer[] {
  const keys: Buffer[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < args.length; i++) {
    const key = args[i] as Buffer;
    context.kv.checkKey(key);
    const text = key.toString('latin1');
    if (seen.has(text)) continue;
    seen.add(text);
    keys.push(key);
  }
  return keys;
}

export function del(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  const keys = distinctKeys(args, context);
  let removed = 0;
  return runBounded(keys.length, context.options.multiKeyParallelMax, (index) =>
    context.kv.remove(keys[index] as Buffer).then((existed) => { if (existed) removed++; }),
  ).then((outcome) => {
    if (outcome.failures > 0) throw batchError('DEL', outcome, keys.length);
    return integerReply(removed);
  });
}

/** EXISTS k k counts k twice, as Redis does; each distinct key is read once. */
export function exists(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  const keys = distinctKeys(args, context);
  const present = new Set<string>();
  return runBounded(keys.length, context.options.multiKeyParallelMax, (index) => {
    const key = keys[index] as Buffer;
    return context.kv.read(key).then((result) => {
      if (context.kv.typeOf(result) !== 'none') present.add(key.toString('latin1'));
    });
  }).then((outcome) => {
    if (outcome.failures > 0) throw batchError('EXISTS', outcome, keys.length);
    let count = 0;
    for (let i = 1; i < args.length; i++) if (present.has((args[i] as Buffer).toString('latin1'))) count++;
    return integerReply(count);
  });
}

const NX = 1;
const XX = 2;
const GT = 4;
const LT = 8;

/** Redis 7's parseExtendedExpireArgumentsOrReply: a flag set, or the error to answer. */
function parseExpireFlags(args: Buffer[]): number | ReplyValue {
  let flags = 0;
  for (let j = 3; j < args.length; j++) {
    const option = args[j] as Buffer;
    if (isToken(option, 'nx')) flags |= NX;
    else if (isToken(option, 'xx')) flags |= XX;
    else if (isToken(option, 'gt')) flags |= GT;
    else if (isToken(option, 'lt')) flags |= LT;
    else return unsupportedOption(option);
  }
  if ((flags & NX) !== 0 && (flags & (XX | GT | LT)) !== 0) return ERRORS.expireNxWithOthers;
  if ((flags & GT) !== 0 && (flags & LT) !== 0) return ERRORS.expireGtLt;
  return flags;
}

/** Redis's checks on the current expiry (null = no expiry = infinite). */
function conditionHolds(flags: number, current: number | null, when: number): boolean {
  if ((flags & NX) !== 0 && current !== null) return false;
  if ((flags & XX) !== 0 && current === null) return false;
  if ((flags & GT) !== 0 && (current === null || when <= current)) return false;
  if ((flags & LT) !== 0 && current !== null && when >= current) return false;
  return true;
}

export function expireGeneric(args: Buffer[], context: CommandContext, unit: ExpiryUnit, command: string, base: ExpiryBase = 'relative'): Reply | Promise<Reply> {
  const flags = parseExpireFlags(args);
  if (typeof flags !== 'number') return flags;
  const when = parseAnyExpiry(args[2] as Buffer, unit, context.clock.nowMs(), base);
  if (when === 'not-integer') return ERRORS.notInteger;
  if (when === 'invalid') return invalidExpire(command);
  const key = args[1] as Buffer;
  const kv = context.kv;
  kv.checkKey(key);
  return kv.read(key).then((result): Reply | Promise<Reply> => {
    if (kv.holdsCollection(result)) return expireCollection(args, context, result, flags, when);
    const current = kv.visible(result);
    if (current === undefined || result.versioned === null) return REPLIES.zero;
    if (!conditionHolds(flags, current.expiresAtMs, when)) return REPLIES.zero;
    const readContext = result.versioned.context;
    // Already in the past: Redis deletes the key; a tombstone with the read's context does that here.
    if (when <= context.clock.nowMs()) return kv.write(key, null, { context: readContext, expiresAtMs: null }).then(one);
    return kv.write(key, current.value, { context: readContext, expiresAtMs: when }).then(one);
  });
}

/** EXPIRE on the hash, set or sorted set the key shows. */
function expireCollection(args: Buffer[], context: CommandContext, result: ReadResult, flags: number, when: number): Reply | Promise<Reply> {
  const nowMs = context.clock.nowMs();
  if (when > nowMs) return operate(args, context, 'pexpireat', [Buffer.from(String(when)), ...args.slice(3)], integerAnswer);
  // Due already: Redis deletes the key, after the same checks on its current expiry.
  const pending = collectionExpiryMs(result.versioned, nowMs) ?? null;
  if (!expireConditionHolds(flags, pending, when) || result.versioned === null) return REPLIES.zero;
  return context.kv.write(args[1] as Buffer, null, { context: result.versioned.context, expiresAtMs: null }).then(one);
}

function one(): Reply {
  return REPLIES.one;
}

function ttlGeneric(args: Buffer[], context: CommandContext, unit: ExpiryUnit): Promise<Reply> {
  const key = args[1] as Buffer;
  context.kv.checkKey(key);
  return context.kv.read(key).then((result: ReadResult): Reply => {
    const nowMs = context.clock.nowMs();
    const collectionExpiry = collectionExpiryMs(result.versioned, nowMs);
    if (collectionExpiry !== undefined) return integerReply(timeToLive(collectionExpiry, nowMs, unit));
    const current = context.kv.visible(result);
    if (current === undefined) return MINUS_TWO;
    return integerReply(timeToLive(current.expiresAtMs, nowMs, unit));
  });
}

const expireArguments = (unitName: string): CommandDefinition['arguments'] => [
  key(),
  argument(unitName, 'integer'),
  argument('condition', 'oneof', {
    optional: true,
    arguments: ['nx', 'xx', 'gt', 'lt'].map((token) => argument(token, 'pure-token', { token: token.toUpperCase() })),
  }),
];

export const KEY_COMMANDS: readonly CommandDefinition[] = [
  {
    name: 'del', arity: -2, flags: ['write'], keys: ALL_KEYS, categories: ['@keyspace', '@write', '@slow'], run: del,
    summary: 'Delete keys: each is read, then a tombstone is written with the read\'s context. Answers how many were visible.',
    since: '1.0.0', group: 'generic', complexity: 'O(N) keys, each a quorum read and a quorum write', arguments: [key('key', true)],
  },
  {
    name: 'exists', arity: -2, flags: READ_FLAGS, keys: ALL_KEYS, categories: ['@keyspace', '@read', '@fast'], run: exists,
    summary: 'Count the given keys that have a visible value (a key given twice counts twice).',
    since: '3.0.3', group: 'generic', complexity: 'O(N) quorum reads', arguments: [key('key', true)],
  },
  {
    name: 'expire', arity: -3, flags: ['write', 'fast'], keys: FIRST_KEY, categories: ['@keyspace', '@write', '@fast'],
    run: (args, _connection, context) => expireGeneric(args, context, 'seconds', 'expire'),
    summary: 'Set a key\'s time to live in seconds (a string: read, then rewrite with the read\'s context and an absolute expiry; a hash, set or sorted set: one operation at the coordinating replica, the whole key expires).',
    since: '1.0.0', group: 'generic', complexity: 'O(1) plus a quorum read and a quorum write', arguments: expireArguments('seconds'),
  },
  {
    name: 'pexpire', arity: -3, flags: ['write', 'fast'], keys: FIRST_KEY, categories: ['@keyspace', '@write', '@fast'],
    run: (args, _connection, context) => expireGeneric(args, context, 'milliseconds', 'pexpire'),
    summary: 'Set a key\'s time to live in milliseconds.',
    since: '2.6.0', group: 'generic', complexity: 'O(1) plus a quorum read and a quorum write', arguments: expireArguments('milliseconds'),
  },
  {
    name: 'ttl', arity: 2, flags: READ_FLAGS, keys: FIRST_KEY, categories: ['@keyspace', '@read', '@fast'],
    run: (args, _connection, context) => ttlGeneric(args, context, 'seconds'),
    summary: 'Time to live of a key in seconds (rounded): -2 absent, -1 no expiry.',
    since: '1.0.0', group: 'generic', complexity: 'O(1) plus a quorum read', arguments: [key()],
  },
  {
    name: 'pttl', arity: 2, flags: READ_FLAGS, keys: FIRST_KEY, categories: ['@keyspace', '@read', '@fast'],
    run: (args, _connection, context) => ttlGeneric(args, context, 'milliseconds'),
    summary: 'Time to live of a key in milliseconds: -2 absent, -1 no expiry.',
    since: '2.6.0', group: 'generic', complexity: 'O(1) plus a quorum read', arguments: [key()],
  },
];
