/**
 * Sets as an ORSWOT (src/datatypes/or-map.ts): SADD, SREM and SPOP are operations at the
 * coordinating replica; the reads are quorum reads of the merged set. Replies and errors are
 * Redis 7's (t_set.c).
 *
 * An SADD concurrent with an SREM of the same member keeps it (add wins); a removed member
 * leaves no tombstone. SPOP is a read and an observed remove at one replica: two clients popping
 * through coordinators that cannot see each other (a partition) may be handed the same member.
 */
import { REPLIES, arrayReply, bulkReply, integerReply } from '../../resp/index.js';
import type { Reply } from '../../resp/index.js';
import type { Element } from '../../datatypes/index.js';
import { parseInteger } from './arguments.js';
import type { CommandContext, CommandDefinition } from './command.js';
import { FIRST_KEY, READ_FLAGS, WRITE_FLAGS, argument, key } from './command.js';
import { ERRORS } from './error-replies.js';
import { EMPTY_ARRAY, bulkArray, integerAnswer, matches, operate, parseScan, scanReply, withElements } from './collection-commands.js';
import { scanPage } from './collection-scan.js';

function isMember(elements: readonly Element[], member: Buffer): boolean {
  return elements.some((element) => member.equals(element.member));
}

function smembers(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  return withElements(context, args[1] as Buffer, 'set', (elements) => bulkArray(elements.map((element) => element.member)));
}

function sismember(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  return withElements(context, args[1] as Buffer, 'set', (elements) => (isMember(elements, args[2] as Buffer) ? REPLIES.one : REPLIES.zero));
}

function smismember(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  return withElements(context, args[1] as Buffer, 'set', (elements) =>
    arrayReply(args.slice(2).map((member) => (isMember(elements, member) ? REPLIES.one : REPLIES.zero))));
}

function scard(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  return withElements(context, args[1] as Buffer, 'set', (elements) => integerReply(elements.length));
}

function sscan(args: Buffer[], _connection: unknown, context: CommandContext): Reply | Promise<Reply> {
  const options = parseScan(args, false);
  if (!('noValues' in options)) return options;
  return withElements(context, args[1] as Buffer, 'set', (elements) => {
    const page = scanPage(elements, options.cursor, options.count);
    return scanReply(page.elements.filter((element) => matches(options, element.member)).map((element) => element.member), page.cursor);
  });
}

/** SPOP key [count]: without a count a bulk (nil when empty), with one an array. */
function spop(args: Buffer[], _connection: unknown, context: CommandContext): Reply | Promise<Reply> {
  if (args.length > 3) return ERRORS.syntax;
  const counted = args.length === 3;
  const countArg = counted ? (args[2] as Buffer) : Buffer.from('1');
  return operate(args, context, 'spop', [countArg], (answer) => {
    const items = answer.items ?? [];
    if (counted) return bulkArray(items);
    const first = items[0];
    return first === undefined ? REPLIES.nullBulk : bulkReply(first);
  });
}

/**
 * SRANDMEMBER key [count]: count > 0 distinct members, count < 0 |count| members with repeats,
 * no count one member (nil when empty), as Redis answers.
 */
function srandmember(args: Buffer[], _connection: unknown, context: CommandContext): Reply | Promise<Reply> {
  if (args.length > 3) return ERRORS.syntax;
  const count = args.length === 3 ? parseInteger(args[2] as Buffer) : undefined;
  if (args.length === 3 && count === undefined) return ERRORS.notInteger;
  const limit = context.kv.contextLimits.collectionElementsMax;
  if (count !== undefined && Math.abs(count) > limit) return ERRORS.positiveCount;
  return withElements(context, args[1] as Buffer, 'set', (elements) => {
    const random = context.random;
    if (count === undefined) {
      const chosen = elements.length === 0 ? undefined : elements[random.int(elements.length)];
      return chosen === undefined ? REPLIES.nullBulk : bulkReply(chosen.member);
    }
    if (count === 0 || elements.length === 0) return EMPTY_ARRAY;
    if (count < 0) return bulkArray(Array.from({ length: -count }, () => (elements[random.int(elements.length)] as Element).member));
    const pool = elements.slice();
    const picked: Uint8Array[] = [];
    while (picked.length < count && pool.length > 0) picked.push((pool.splice(random.int(pool.length), 1)[0] as Element).member);
    return bulkArray(picked);
  });
}

const WRITE = 'O(N) members, one operation at the coordinating replica and W-1 merges';
const READ = 'O(N) members of the set, plus one quorum read';
const SET_WRITE = ['@write', '@set', '@fast'];
const SET_READ = ['@read', '@set', '@fast'];

export const SET_COMMANDS: readonly CommandDefinition[] = [
  {
    name: 'sadd', arity: -3, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: SET_WRITE,
    run: (args, _connection, context) => operate(args, context, 'sadd', args.slice(2), integerAnswer),
    summary: 'Add members, answering how many were new (an add wins over a concurrent SREM).',
    since: '1.0.0', group: 'set', complexity: WRITE, arguments: [key(), argument('member', 'string', { multiple: true })],
  },
  {
    name: 'srem', arity: -3, flags: ['write', 'fast'], keys: FIRST_KEY, categories: SET_WRITE,
    run: (args, _connection, context) => operate(args, context, 'srem', args.slice(2), integerAnswer),
    summary: 'Remove members this replica saw, answering how many were present.',
    since: '1.0.0', group: 'set', complexity: WRITE, arguments: [key(), argument('member', 'string', { multiple: true })],
  },
  {
    name: 'spop', arity: -2, flags: ['write', 'fast'], keys: FIRST_KEY, categories: SET_WRITE, run: spop,
    summary: 'Remove and answer random members: under a partition two clients may be handed the same member.',
    since: '1.0.0', group: 'set', complexity: WRITE, arguments: [key(), argument('count', 'integer', { optional: true })],
  },
  {
    name: 'smembers', arity: 2, flags: ['readonly'], keys: FIRST_KEY, categories: ['@read', '@set', '@slow'], run: smembers,
    summary: 'Every member.', since: '1.0.0', group: 'set', complexity: READ, arguments: [key()],
  },
  {
    name: 'sismember', arity: 3, flags: READ_FLAGS, keys: FIRST_KEY, categories: SET_READ, run: sismember,
    summary: '1 when the member is in the set.', since: '1.0.0', group: 'set', complexity: READ, arguments: [key(), argument('member', 'string')],
  },
  {
    name: 'smismember', arity: -3, flags: READ_FLAGS, keys: FIRST_KEY, categories: SET_READ, run: smismember,
    summary: '1 or 0 for each member given.', since: '6.2.0', group: 'set', complexity: READ, arguments: [key(), argument('member', 'string', { multiple: true })],
  },
  {
    name: 'scard', arity: 2, flags: READ_FLAGS, keys: FIRST_KEY, categories: SET_READ, run: scard,
    summary: 'Number of members.', since: '1.0.0', group: 'set', complexity: READ, arguments: [key()],
  },
  {
    name: 'srandmember', arity: -2, flags: ['readonly'], keys: FIRST_KEY, categories: ['@read', '@set', '@slow'], run: srandmember,
    summary: 'Random members without removing them (count < 0 allows repeats).',
    since: '1.0.0', group: 'set', complexity: READ, arguments: [key(), argument('count', 'integer', { optional: true })],
  },
  {
    name: 'sscan', arity: -3, flags: ['readonly'], keys: FIRST_KEY, categories: ['@read', '@set', '@slow'], run: sscan,
    summary: 'Members matching MATCH, the whole set in one call (cursor 0): a set is bounded by limits.collectionElementsMax.',
    since: '2.8.0', group: 'set', complexity: READ,
    arguments: [key(), argument('cursor', 'integer'), argument('pattern', 'string', { token: 'MATCH', optional: true }), argument('count', 'integer', { token: 'COUNT', optional: true })],
  },
];
