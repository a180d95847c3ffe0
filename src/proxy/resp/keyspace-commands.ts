/**
 * Generic key commands beside key-commands.ts: UNLINK, TOUCH, EXPIREAT, PEXPIREAT, PERSIST,
 * EXPIRETIME, PEXPIRETIME, TYPE, with Redis 7's replies (expire.c, db.c).
 *
 * UNLINK is DEL (a tombstone per key is already cheap: nothing is freed in the request path) and
 * TOUCH is EXISTS (the proxy keeps no access times; a node's LRU order moves on every read).
 * PERSIST rewrites the visible value without expiry, with the read's context; on a hash, set or
 * sorted set it is one PERSIST operation at the coordinating replica (key-commands.ts says why).
 */
import { REPLIES, integerReply, rawReply, simpleReply } from '../../resp/index.js';
import type { Reply, ReplyValue } from '../../resp/index.js';
import type { KeyType } from '../../datatypes/index.js';
import { collectionExpiryMs } from '../../datatypes/index.js';
import { integerAnswer, operate } from './collection-commands.js';
import type { CommandContext, CommandDefinition } from './command.js';
import { ALL_KEYS, FIRST_KEY, READ_FLAGS, argument, key } from './command.js';
import type { ExpiryUnit } from './expiry.js';
import { del, exists, expireGeneric } from './key-commands.js';

const MINUS_ONE: ReplyValue = Object.freeze(rawReply(Buffer.from(':-1\r\n')));
const MINUS_TWO: ReplyValue = Object.freeze(rawReply(Buffer.from(':-2\r\n')));
/** TYPE's answers; a sorted set is 'zset', as Redis says. */
const TYPE_REPLIES: Readonly<Record<KeyType, ReplyValue>> = Object.freeze({
  none: Object.freeze(simpleReply('none')),
  string: Object.freeze(simpleReply('string')),
  hash: Object.freeze(simpleReply('hash')),
  set: Object.freeze(simpleReply('set')),
  zset: Object.freeze(simpleReply('zset')),
});

function persist(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  const key = args[1] as Buffer;
  const kv = context.kv;
  kv.checkKey(key);
  return kv.read(key).then((result): Reply | Promise<Reply> => {
    const collectionExpiry = collectionExpiryMs(result.versioned, context.clock.nowMs());
    if (collectionExpiry === null) return REPLIES.zero;
    if (collectionExpiry !== undefined) return operate(args, context, 'persist', [], integerAnswer);
    const current = kv.visible(result);
    if (current === undefined || current.value === null || current.expiresAtMs === null || result.versioned === null) return REPLIES.zero;
    return kv.write(key, current.value, { context: result.versioned.context, expiresAtMs: null }).then(() => REPLIES.one);
  });
}

/** EXPIRETIME and PEXPIRETIME: -2 absent, -1 no expiry; seconds round as TTL does ((ms + 500) / 1000). */
function expireTime(args: Buffer[], context: CommandContext, unit: ExpiryUnit): Promise<Reply> {
  const key = args[1] as Buffer;
  context.kv.checkKey(key);
  return context.kv.read(key).then((result): Reply => {
    const collectionExpiry = collectionExpiryMs(result.versioned, context.clock.nowMs());
    const current = context.kv.visible(result);
    if (collectionExpiry === undefined && current === undefined) return MINUS_TWO;
    const expiresAtMs = collectionExpiry === undefined ? (current?.expiresAtMs ?? null) : collectionExpiry;
    if (expiresAtMs === null) return MINUS_ONE;
    return integerReply(unit === 'milliseconds' ? expiresAtMs : Math.floor((expiresAtMs + 500) / 1000));
  });
}

function type(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  const key = args[1] as Buffer;
  context.kv.checkKey(key);
  return context.kv.read(key).then((result): Reply => TYPE_REPLIES[context.kv.typeOf(result)]);
}

const expireAtArguments = (unitName: string): CommandDefinition['arguments'] => [
  key(),
  argument(unitName, 'integer'),
  argument('condition', 'oneof', {
    optional: true,
    arguments: ['nx', 'xx', 'gt', 'lt'].map((token) => argument(token, 'pure-token', { token: token.toUpperCase() })),
  }),
];

const READ_WRITE = 'O(1) plus a quorum read and a quorum write';

export const KEYSPACE_COMMANDS: readonly CommandDefinition[] = [
  {
    name: 'unlink', arity: -2, flags: ['write', 'fast'], keys: ALL_KEYS, categories: ['@keyspace', '@write', '@fast'], run: del,
    summary: 'DEL: a tombstone per key is already as cheap as Redis\'s lazy free.',
    since: '4.0.0', group: 'generic', complexity: 'O(N) keys, each a quorum read and a quorum write', arguments: [key('key', true)],
  },
  {
    name: 'touch', arity: -2, flags: READ_FLAGS, keys: ALL_KEYS, categories: ['@keyspace', '@read', '@fast'], run: exists,
    summary: 'Count the given keys that exist (the nodes\' LRU order already moves on every read).',
    since: '3.2.1', group: 'generic', complexity: 'O(N) quorum reads', arguments: [key('key', true)],
  },
  {
    name: 'expireat', arity: -3, flags: ['write', 'fast'], keys: FIRST_KEY, categories: ['@keyspace', '@write', '@fast'],
    run: (args, _connection, context) => expireGeneric(args, context, 'seconds', 'expireat', 'absolute'),
    summary: 'Set a key\'s expiry as a Unix time in seconds (read, then rewrite with the read\'s context).',
    since: '1.2.0', group: 'generic', complexity: READ_WRITE, arguments: expireAtArguments('unix-time-seconds'),
  },
  {
    name: 'pexpireat', arity: -3, flags: ['write', 'fast'], keys: FIRST_KEY, categories: ['@keyspace', '@write', '@fast'],
    run: (args, _connection, context) => expireGeneric(args, context, 'milliseconds', 'pexpireat', 'absolute'),
    summary: 'Set a key\'s expiry as a Unix time in milliseconds.',
    since: '2.6.0', group: 'generic', complexity: READ_WRITE, arguments: expireAtArguments('unix-time-milliseconds'),
  },
  {
    name: 'persist', arity: 2, flags: ['write', 'fast'], keys: FIRST_KEY, categories: ['@keyspace', '@write', '@fast'], run: persist,
    summary: 'Remove a key\'s expiry: 1 when one was removed, 0 when absent or without expiry.',
    since: '2.2.0', group: 'generic', complexity: READ_WRITE, arguments: [key()],
  },
  {
    name: 'expiretime', arity: 2, flags: READ_FLAGS, keys: FIRST_KEY, categories: ['@keyspace', '@read', '@fast'],
    run: (args, _connection, context) => expireTime(args, context, 'seconds'),
    summary: 'A key\'s expiry as a Unix time in seconds: -2 absent, -1 no expiry.',
    since: '7.0.0', group: 'generic', complexity: 'O(1) plus a quorum read', arguments: [key()],
  },
  {
    name: 'pexpiretime', arity: 2, flags: READ_FLAGS, keys: FIRST_KEY, categories: ['@keyspace', '@read', '@fast'],
    run: (args, _connection, context) => expireTime(args, context, 'milliseconds'),
    summary: 'A key\'s expiry as a Unix time in milliseconds: -2 absent, -1 no expiry.',
    since: '7.0.0', group: 'generic', complexity: 'O(1) plus a quorum read', arguments: [key()],
  },
  {
    name: 'type', arity: 2, flags: READ_FLAGS, keys: FIRST_KEY, categories: ['@keyspace', '@read', '@fast'], run: type,
    summary: 'The type the key shows: string, hash, set or zset (of concurrent writes of two types, the newer), or none when absent.',
    since: '1.0.0', group: 'generic', complexity: 'O(1) plus a quorum read', arguments: [key()],
  },
];
