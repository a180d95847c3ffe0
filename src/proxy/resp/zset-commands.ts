/**
 * Sorted sets as an observed-remove map of members, each add carrying its score
 * (src/datatypes/zset-op.ts): ZADD, ZINCRBY, ZREM, ZPOPMIN and ZPOPMAX are operations at the
 * coordinating replica; the reads are quorum reads of the merged set, ordered by (score, member).
 * Replies and errors are Redis 7's (t_zset.c), scores printed as %.17g.
 *
 * Concurrent ZADDs of one member resolve to the newer score on every replica. ZINCRBY adds to
 * a counter of doubles per member (src/datatypes/float-counter.ts): concurrent ones through
 * different coordinators all count. Pops under a partition may hand one member to two clients.
 */
import { REPLIES, arrayReply, bulkReply, integerReply } from '../../resp/index.js';
import type { Reply, ReplyValue } from '../../resp/index.js';
import { byScore, scoreOf } from '../../datatypes/index.js';
import type { Element, OperationAnswer } from '../../datatypes/index.js';
import { isToken, parseInteger } from './arguments.js';
import type { CommandContext, CommandDefinition } from './command.js';
import { FIRST_KEY, READ_FLAGS, WRITE_FLAGS, argument, key } from './command.js';
import { ERRORS } from './error-replies.js';
import { matches, operate, parseScan, scanReply, withElements } from './collection-commands.js';
import { scanPage } from './collection-scan.js';
import type { Scored } from './zset-range.js';
import { formatScore, inLexRange, inScoreRange, parseLexBound, parseScoreBound, rankWindow } from './zset-range.js';

function scoreReply(score: number | undefined): ReplyValue {
  return score === undefined ? REPLIES.nullBulk : bulkReply(formatScore(score));
}

function decodedScore(bytes: Uint8Array): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readDoubleBE(0);
}

function zaddReply(args: Buffer[]): (answer: OperationAnswer) => Reply {
  const incr = args.some((arg, index) => index >= 2 && isToken(arg, 'incr'));
  return (answer) => {
    if (!incr) return integerReply(Number(answer.integer ?? 0n));
    const item = answer.items?.[0];
    return item === undefined ? REPLIES.nullBulk : bulkReply(formatScore(decodedScore(item)));
  };
}

function popReply(answer: OperationAnswer): Reply {
  const items = answer.items ?? [];
  return arrayReply(items.map((item, index) => bulkReply(index % 2 === 0 ? item : formatScore(decodedScore(item)))));
}

function member(elements: readonly Element[], name: Buffer): Element | undefined {
  return elements.find((element) => name.equals(element.member));
}

function flat(scored: readonly Scored[], withScores: boolean): ReplyValue {
  const items: ReplyValue[] = [];
  for (const entry of scored) {
    items.push(bulkReply(entry.member));
    if (withScores) items.push(bulkReply(formatScore(entry.score)));
  }
  return arrayReply(items);
}

interface RangeRequest {
  readonly by: 'rank' | 'score' | 'lex';
  readonly reverse: boolean;
  readonly withScores: boolean;
  readonly limit: readonly [number, number] | undefined;
  readonly min: Buffer;
  readonly max: Buffer;
}

/** ZRANGE's options after `key start stop`, Redis 7's checks in its order. */
function parseRange(args: Buffer[], from: number, base: Pick<RangeRequest, 'by' | 'reverse'>): RangeRequest | ReplyValue {
  let { by, reverse } = base;
  // ZRANGEBYSCORE (Redis's older form) takes only WITHSCORES and LIMIT.
  const fixed = base.by !== 'rank';
  let withScores = false;
  let limit: [number, number] | undefined;
  for (let j = from; j < args.length; j++) {
    const option = args[j] as Buffer;
    if (isToken(option, 'withscores')) withScores = true;
    else if (!fixed && isToken(option, 'byscore')) by = 'score';
    else if (!fixed && isToken(option, 'bylex')) by = 'lex';
    else if (!fixed && isToken(option, 'rev')) reverse = true;
    else if (isToken(option, 'limit') && j + 2 < args.length) {
      const offset = parseInteger(args[j + 1] as Buffer);
      const count = parseInteger(args[j + 2] as Buffer);
      if (offset === undefined || count === undefined) return ERRORS.notInteger;
      limit = [offset, count];
      j += 2;
    } else {
      return ERRORS.syntax;
    }
  }
  if (limit !== undefined && by === 'rank') return ERRORS.limitWithoutBy;
  if (withScores && by === 'lex') return ERRORS.withScoresByLex;
  const [first, second] = [args[2] as Buffer, args[3] as Buffer];
  // With REV, BYSCORE and BYLEX take max first.
  const swap = reverse && by !== 'rank';
  return { by, reverse, withScores, limit, min: swap ? second : first, max: swap ? first : second };
}

function applyLimit(scored: Scored[], limit: RangeRequest['limit']): Scored[] {
  if (limit === undefined) return scored;
  const [offset, count] = limit;
  if (offset < 0) return [];
  return count < 0 ? scored.slice(offset) : scored.slice(offset, offset + count);
}

function selectRange(elements: readonly Element[], request: RangeRequest): Scored[] | ReplyValue {
  const ordered: Scored[] = byScore(elements);
  if (request.by === 'rank') {
    const start = parseInteger(request.min);
    const stop = parseInteger(request.max);
    if (start === undefined || stop === undefined) return ERRORS.notInteger;
    if (request.reverse) ordered.reverse();
    const window = rankWindow(ordered.length, start, stop);
    return window === undefined ? [] : ordered.slice(window[0], window[1] + 1);
  }
  let selected: Scored[];
  if (request.by === 'score') {
    const min = parseScoreBound(request.min);
    const max = parseScoreBound(request.max);
    if (min === undefined || max === undefined) return ERRORS.scoreRange;
    selected = ordered.filter((entry) => inScoreRange(entry.score, min, max));
  } else {
    const min = parseLexBound(request.min);
    const max = parseLexBound(request.max);
    if (min === undefined || max === undefined) return ERRORS.lexRange;
    selected = ordered.filter((entry) => inLexRange(entry.member, min, max));
  }
  if (request.reverse) selected.reverse();
  return applyLimit(selected, request.limit);
}

function range(args: Buffer[], context: CommandContext, from: number, base: Pick<RangeRequest, 'by' | 'reverse'>): Reply | Promise<Reply> {
  const request = parseRange(args, from, base);
  if (!('by' in request)) return request;
  return withElements(context, args[1] as Buffer, 'zset', (elements) => {
    const selected = selectRange(elements, request);
    return Array.isArray(selected) ? flat(selected, request.withScores) : selected;
  });
}

function zcount(args: Buffer[], _connection: unknown, context: CommandContext): Reply | Promise<Reply> {
  const min = parseScoreBound(args[2] as Buffer);
  const max = parseScoreBound(args[3] as Buffer);
  if (min === undefined || max === undefined) return ERRORS.scoreRange;
  return withElements(context, args[1] as Buffer, 'zset', (elements) =>
    integerReply(byScore(elements).filter((entry) => inScoreRange(entry.score, min, max)).length));
}

function zrank(args: Buffer[], context: CommandContext, reverse: boolean): Promise<Reply> {
  return withElements(context, args[1] as Buffer, 'zset', (elements) => {
    const ordered = byScore(elements);
    if (reverse) ordered.reverse();
    const index = ordered.findIndex((entry) => (args[2] as Buffer).equals(entry.member));
    return index < 0 ? REPLIES.nullBulk : integerReply(index);
  });
}

function zscan(args: Buffer[], _connection: unknown, context: CommandContext): Reply | Promise<Reply> {
  const options = parseScan(args, false);
  if (!('noValues' in options)) return options;
  return withElements(context, args[1] as Buffer, 'zset', (elements) => {
    const page = scanPage(elements, options.cursor, options.count);
    const items: Uint8Array[] = [];
    // A whole small set in ZRANGE's order, as Redis's listpack gives it; a page in cursor order.
    const entries = page.cursor === '0' && page.elements.length === elements.length ? byScore(page.elements) : page.elements.map((element) => ({ member: element.member, score: scoreOf(element) }));
    for (const entry of entries) {
      if (entry.score === undefined || !matches(options, entry.member)) continue;
      items.push(entry.member, Buffer.from(formatScore(entry.score)));
    }
    return scanReply(items, page.cursor);
  });
}

const WRITE = 'O(N log M), one operation at the coordinating replica and W-1 merges';
const READ = 'O(M log M) for M members, plus one quorum read';
const ZSET_WRITE = ['@write', '@sortedset', '@fast'];
const ZSET_READ = ['@read', '@sortedset', '@fast'];
const rangeArguments = [key(), argument('start', 'string'), argument('stop', 'string'),
  argument('by', 'oneof', { optional: true, arguments: [argument('byscore', 'pure-token', { token: 'BYSCORE' }), argument('bylex', 'pure-token', { token: 'BYLEX' })] }),
  argument('rev', 'pure-token', { token: 'REV', optional: true }),
  argument('limit', 'block', { token: 'LIMIT', optional: true, arguments: [argument('offset', 'integer'), argument('count', 'integer')] }),
  argument('withscores', 'pure-token', { token: 'WITHSCORES', optional: true })];

export const ZSET_COMMANDS: readonly CommandDefinition[] = [
  {
    name: 'zadd', arity: -4, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: ZSET_WRITE,
    run: (args, _connection, context) => operate(args, context, 'zadd', args.slice(2), zaddReply(args)),
    summary: 'Add members with scores (NX XX GT LT CH INCR); concurrent ZADDs of a member resolve to the newer score.',
    since: '1.2.0', group: 'sorted-set', complexity: WRITE,
    arguments: [key(), argument('condition', 'oneof', { optional: true, arguments: [argument('nx', 'pure-token', { token: 'NX' }), argument('xx', 'pure-token', { token: 'XX' })] }),
      argument('comparison', 'oneof', { optional: true, arguments: [argument('gt', 'pure-token', { token: 'GT' }), argument('lt', 'pure-token', { token: 'LT' })] }),
      argument('change', 'pure-token', { token: 'CH', optional: true }), argument('increment', 'pure-token', { token: 'INCR', optional: true }),
      argument('data', 'block', { multiple: true, arguments: [argument('score', 'string'), argument('member', 'string')] })],
  },
  {
    name: 'zincrby', arity: 4, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: ZSET_WRITE,
    run: (args, _connection, context) => operate(args, context, 'zincrby', args.slice(2), (answer) => scoreReply(answer.items?.[0] === undefined ? undefined : decodedScore(answer.items[0]))),
    summary: 'Add to a member\'s score: a counter of doubles per member, so concurrent increments all count.',
    since: '1.2.0', group: 'sorted-set', complexity: WRITE, arguments: [key(), argument('increment', 'string'), argument('member', 'string')],
  },
  {
    name: 'zrem', arity: -3, flags: ['write', 'fast'], keys: FIRST_KEY, categories: ZSET_WRITE,
    run: (args, _connection, context) => operate(args, context, 'zrem', args.slice(2), (answer) => integerReply(Number(answer.integer ?? 0n))),
    summary: 'Remove members this replica saw, answering how many were present.',
    since: '1.2.0', group: 'sorted-set', complexity: WRITE, arguments: [key(), argument('member', 'string', { multiple: true })],
  },
  {
    name: 'zpopmin', arity: -2, flags: ['write', 'fast'], keys: FIRST_KEY, categories: ZSET_WRITE,
    run: (args, _connection, context) => operate(args, context, 'zpopmin', args.slice(2), popReply),
    summary: 'Remove and answer the lowest-scored members; under a partition two clients may get the same one.',
    since: '5.0.0', group: 'sorted-set', complexity: WRITE, arguments: [key(), argument('count', 'integer', { optional: true })],
  },
  {
    name: 'zpopmax', arity: -2, flags: ['write', 'fast'], keys: FIRST_KEY, categories: ZSET_WRITE,
    run: (args, _connection, context) => operate(args, context, 'zpopmax', args.slice(2), popReply),
    summary: 'Remove and answer the highest-scored members; under a partition two clients may get the same one.',
    since: '5.0.0', group: 'sorted-set', complexity: WRITE, arguments: [key(), argument('count', 'integer', { optional: true })],
  },
  {
    name: 'zscore', arity: 3, flags: READ_FLAGS, keys: FIRST_KEY, categories: ZSET_READ,
    run: (args, _connection, context) => withElements(context, args[1] as Buffer, 'zset', (elements) => scoreReply(scoreOf(member(elements, args[2] as Buffer)))),
    summary: 'A member\'s score, nil when absent.', since: '1.2.0', group: 'sorted-set', complexity: READ, arguments: [key(), argument('member', 'string')],
  },
  {
    name: 'zmscore', arity: -3, flags: READ_FLAGS, keys: FIRST_KEY, categories: ZSET_READ,
    run: (args, _connection, context) => withElements(context, args[1] as Buffer, 'zset', (elements) =>
      arrayReply(args.slice(2).map((name) => scoreReply(scoreOf(member(elements, name)))))),
    summary: 'Scores of the given members, nil for each absent one.', since: '6.2.0', group: 'sorted-set', complexity: READ,
    arguments: [key(), argument('member', 'string', { multiple: true })],
  },
  {
    name: 'zcard', arity: 2, flags: READ_FLAGS, keys: FIRST_KEY, categories: ZSET_READ,
    run: (args, _connection, context) => withElements(context, args[1] as Buffer, 'zset', (elements) => integerReply(elements.length)),
    summary: 'Number of members.', since: '1.2.0', group: 'sorted-set', complexity: READ, arguments: [key()],
  },
  {
    name: 'zrank', arity: 3, flags: READ_FLAGS, keys: FIRST_KEY, categories: ZSET_READ, run: (args, _connection, context) => zrank(args, context, false),
    summary: 'A member\'s rank by ascending score, nil when absent.', since: '2.0.0', group: 'sorted-set', complexity: READ, arguments: [key(), argument('member', 'string')],
  },
  {
    name: 'zrevrank', arity: 3, flags: READ_FLAGS, keys: FIRST_KEY, categories: ZSET_READ, run: (args, _connection, context) => zrank(args, context, true),
    summary: 'A member\'s rank by descending score, nil when absent.', since: '2.0.0', group: 'sorted-set', complexity: READ, arguments: [key(), argument('member', 'string')],
  },
  {
    name: 'zrange', arity: -4, flags: ['readonly'], keys: FIRST_KEY, categories: ['@read', '@sortedset', '@slow'],
    run: (args, _connection, context) => range(args, context, 4, { by: 'rank', reverse: false }),
    summary: 'Members by rank, score (BYSCORE) or member (BYLEX), REV and LIMIT, optionally WITHSCORES.',
    since: '1.2.0', group: 'sorted-set', complexity: READ, arguments: rangeArguments,
  },
  {
    name: 'zrevrange', arity: -4, flags: ['readonly'], keys: FIRST_KEY, categories: ['@read', '@sortedset', '@slow'],
    run: (args, _connection, context) => (args.length > 5 || (args.length === 5 && !isToken(args[4] as Buffer, 'withscores'))
      ? ERRORS.syntax : range(args, context, 4, { by: 'rank', reverse: true })),
    summary: 'Members by descending rank.', since: '1.2.0', group: 'sorted-set', complexity: READ,
    arguments: [key(), argument('start', 'integer'), argument('stop', 'integer'), argument('withscores', 'pure-token', { token: 'WITHSCORES', optional: true })],
  },
  {
    name: 'zrangebyscore', arity: -4, flags: ['readonly'], keys: FIRST_KEY, categories: ['@read', '@sortedset', '@slow'],
    run: (args, _connection, context) => range(args, context, 4, { by: 'score', reverse: false }),
    summary: 'Members with a score in [min, max] ("(" excludes), optionally WITHSCORES and LIMIT.',
    since: '1.0.5', group: 'sorted-set', complexity: READ,
    arguments: [key(), argument('min', 'string'), argument('max', 'string'), argument('withscores', 'pure-token', { token: 'WITHSCORES', optional: true }),
      argument('limit', 'block', { token: 'LIMIT', optional: true, arguments: [argument('offset', 'integer'), argument('count', 'integer')] })],
  },
  {
    name: 'zcount', arity: 4, flags: READ_FLAGS, keys: FIRST_KEY, categories: ZSET_READ, run: zcount,
    summary: 'Number of members with a score in [min, max].', since: '2.0.0', group: 'sorted-set', complexity: READ,
    arguments: [key(), argument('min', 'string'), argument('max', 'string')],
  },
  {
    name: 'zscan', arity: -3, flags: ['readonly'], keys: FIRST_KEY, categories: ['@read', '@sortedset', '@slow'], run: zscan,
    summary: 'Members and scores matching MATCH, the whole set in one call (cursor 0): bounded by limits.collectionElementsMax.',
    since: '2.8.0', group: 'sorted-set', complexity: READ,
    arguments: [key(), argument('cursor', 'integer'), argument('pattern', 'string', { token: 'MATCH', optional: true }), argument('count', 'integer', { token: 'COUNT', optional: true })],
  },
];
