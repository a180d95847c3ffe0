/**
 * ringcache's RESP extensions: what a careful client needs to handle concurrent writes
 * (DESIGN.md section 3, the shopping-cart case) and what an operator needs to find a key.
 *
 *   RC.GETV key [R n]
 *     *2  $<context token>                     base64url; an absent key gives the empty context
 *         *k  (live siblings, newest first: the first is what GET answers unless a newer delete hides it)
 *             *4  $<value>  $<dot "actor:counter">  :<timestampMs>  :<expiresAtMs, -1 = never>
 *
 *   RC.SETV key value context [W n] [PW n] [EX seconds | PX milliseconds]
 *     context "" or "-" = none (a blind write, as SET); answers $<new context token>
 *     PW: of the W acknowledgements, how many must come from the row's replicas rather than
 *     fallbacks holding a hint (0..N, replication.pw by default; Riak's pw)
 *
 *   RC.ROUTE key
 *     *20 a flat map: vnode :v  epoch :e  replicas *N  live *k  down *k
 *                     coordinator $id|nil  fallbacks *f  pending *2 [from, to]|nil
 *                     type $none|string|hash|set|zset  elements :n (present ones; 1 for a string)
 *     (append only: clients read it by name, new pairs go at the end)
 *
 * R and W must be within 1..N, PW within 0..N (RC_ERR_BAD_QUORUM); a malformed token is RC_ERR_BAD_CONTEXT.
 */
import { arrayReply, bulkReply, integerReply } from '../../resp/index.js';
import type { Reply, ReplyValue } from '../../resp/index.js';
import type { ReadResult } from '../../replication/index.js';
import { compareRecency, liveSiblings } from '../../version/index.js';
import { collectionOf, presentElements } from '../../datatypes/index.js';
import { routeOf } from '../route-info.js';
import { isToken, ownedCopy, parseInteger, text } from './arguments.js';
import type { CommandContext, CommandDefinition } from './command.js';
import { FIRST_KEY, READ_FLAGS, WRITE_FLAGS, argument, key } from './command.js';
import { ERRORS, invalidExpire } from './error-replies.js';
import { parsePositiveExpiry } from './expiry.js';

function siblingsReply(result: ReadResult, context: CommandContext): Reply {
  const versioned = result.versioned;
  const token = context.kv.readToken(result);
  if (versioned === null) return arrayReply([bulkReply(token), arrayReply([])]);
  const siblings = liveSiblings(versioned, context.clock.nowMs()).sort(compareRecency);
  const items: ReplyValue[] = siblings.map((sibling) => arrayReply([
    bulkReply(sibling.value),
    bulkReply(`${sibling.dot.actor}:${String(sibling.dot.counter)}`),
    integerReply(sibling.timestampMs),
    integerReply(sibling.expiresAtMs ?? -1),
  ]));
  return arrayReply([bulkReply(token), arrayReply(items)]);
}

function getVersions(args: Buffer[], _connection: unknown, context: CommandContext): Reply | Promise<Reply> {
  let r: number | undefined;
  for (let j = 2; j < args.length; j += 2) {
    const value = args[j + 1];
    if (!isToken(args[j] as Buffer, 'r') || value === undefined) return ERRORS.syntax;
    const parsed = parseInteger(value);
    if (parsed === undefined) return ERRORS.notInteger;
    r = context.kv.checkQuorum('r', parsed);
  }
  const key = args[1] as Buffer;
  context.kv.checkKey(key);
  return context.kv.read(key, r).then((result) => siblingsReply(result, context));
}

function setVersion(args: Buffer[], _connection: unknown, context: CommandContext): Reply | Promise<Reply> {
  let w: number | undefined;
  let pw: number | undefined;
  let expiresAtMs: number | null = null;
  let expiryGiven = false;
  for (let j = 4; j < args.length; j += 2) {
    const option = args[j] as Buffer;
    const value = args[j + 1];
    if (value === undefined) return ERRORS.syntax;
    if (isToken(option, 'w')) {
      const parsed = parseInteger(value);
      if (parsed === undefined) return ERRORS.notInteger;
      w = context.kv.checkQuorum('w', parsed);
      continue;
    }
    if (isToken(option, 'pw')) {
      const parsed = parseInteger(value);
      if (parsed === undefined) return ERRORS.notInteger;
      pw = context.kv.checkPrimaries(parsed);
      continue;
    }
    const seconds = isToken(option, 'ex');
    if ((!seconds && !isToken(option, 'px')) || expiryGiven) return ERRORS.syntax;
    const parsed = parsePositiveExpiry(value, seconds ? 'seconds' : 'milliseconds', 'relative', context.clock.nowMs());
    if (parsed === 'not-integer') return ERRORS.notInteger;
    if (parsed === 'invalid') return invalidExpire('rc.setv');
    expiresAtMs = parsed;
    expiryGiven = true;
  }
  const kv = context.kv;
  const key = args[1] as Buffer;
  const value = args[2] as Buffer;
  kv.checkKey(key);
  kv.checkValue(value);
  const clientContext = kv.decodeContext(text(args[3] as Buffer));
  const options = { context: clientContext, expiresAtMs, ...(w === undefined ? {} : { w }), ...(pw === undefined ? {} : { pw }) };
  return kv.write(key, ownedCopy(value), options).then((result) => bulkReply(kv.writeToken(result, clientContext)));
}

/** The key's type as TYPE shows it, and how many elements it holds: one quorum read. */
function typeFigures(result: ReadResult, context: CommandContext): readonly ReplyValue[] {
  const type = context.kv.typeOf(result);
  const elements = type === 'none' ? 0 : type === 'string' ? 1 : presentElements(collectionOf(result.versioned?.collections, type), context.clock.nowMs()).length;
  return [bulkReply('type'), bulkReply(type), bulkReply('elements'), integerReply(elements)];
}

function route(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  const key = args[1] as Buffer;
  context.kv.checkKey(key);
  const info = routeOf(context.kv.table.current(), context.kv.coordinator.liveness, key);
  const names = (servers: readonly string[]): ReplyValue => arrayReply(servers.map((server) => bulkReply(server)));
  return context.kv.read(Buffer.from(key)).then((result) => arrayReply([
    bulkReply('vnode'), integerReply(info.vnode),
    bulkReply('epoch'), integerReply(info.epoch),
    bulkReply('replicas'), names(info.replicas),
    bulkReply('live'), names(info.live),
    bulkReply('down'), names(info.down),
    bulkReply('coordinator'), bulkReply(info.coordinator),
    bulkReply('fallbacks'), names(info.fallbacks),
    bulkReply('pending'), info.pending === null ? bulkReply(null) : names([info.pending.from, info.pending.to]),
    ...typeFigures(result, context),
  ]));
}

export const RINGCACHE_COMMANDS: readonly CommandDefinition[] = [
  {
    name: 'rc.getv', arity: -2, flags: READ_FLAGS, keys: FIRST_KEY, categories: ['@read', '@fast'], run: getVersions,
    summary: 'Every live sibling of a key (newest first: value, dot, timestampMs, expiresAtMs or -1) and the context token to write with.',
    since: '0.1.0', group: 'ringcache', complexity: 'O(siblings) plus one quorum read',
    arguments: [key(), argument('r', 'integer', { token: 'R', optional: true })],
  },
  {
    name: 'rc.setv', arity: -4, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: ['@write', '@slow'], run: setVersion,
    summary: 'Write a value with the context token last read ("" or "-": none); answers the new context token.',
    since: '0.1.0', group: 'ringcache', complexity: 'O(1) plus one quorum write',
    arguments: [
      key(), argument('value', 'string'), argument('context', 'string'),
      argument('w', 'integer', { token: 'W', optional: true }),
      argument('pw', 'integer', { token: 'PW', optional: true }),
      argument('expiration', 'oneof', { optional: true, arguments: [argument('seconds', 'integer', { token: 'EX' }), argument('milliseconds', 'integer', { token: 'PX' })] }),
    ],
  },
  {
    name: 'rc.route', arity: 2, flags: READ_FLAGS, keys: FIRST_KEY, categories: ['@read', '@fast'], run: route,
    summary: 'Where a key lives and why: vnode, epoch, the row, live and down replicas, coordinator, fallbacks, pending move, and its type and element count.',
    since: '0.1.0', group: 'ringcache', complexity: 'O(S) servers plus one quorum read', arguments: [key()],
  },
];
