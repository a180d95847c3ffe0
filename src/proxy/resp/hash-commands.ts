/**
 * Hashes as an observed-remove map of fields (src/datatypes/or-map.ts): HSET, HMSET, HDEL,
 * HINCRBY and HINCRBYFLOAT are operations at the coordinating replica; the reads are quorum
 * reads of the merged map. Replies and errors are Redis 7's (t_hash.c).
 *
 * An HSET concurrent with an HDEL of the same field (two coordinators that did not see each
 * other) keeps the field: add wins. Concurrent HSETs of one field keep both values; HGET shows
 * the newer (the plain-GET order) and RC.HGETV shows all. HSETNX is refused: it needs
 * compare-and-set, as SET NX does.
 */
import { REPLIES, arrayReply, bulkReply, integerReply } from '../../resp/index.js';
import type { Reply, ReplyValue } from '../../resp/index.js';
import { compareAddRecency, fieldBytes } from '../../datatypes/index.js';
import type { Element } from '../../datatypes/index.js';
import type { CommandContext, CommandDefinition } from './command.js';
import { FIRST_KEY, READ_FLAGS, WRITE_FLAGS, argument, key } from './command.js';
import { ERRORS } from './error-replies.js';
import { bulkArray, integerAnswer, matches, operate, parseScan, scanReply, withElements } from './collection-commands.js';
import { scanPage } from './collection-scan.js';

function findField(elements: readonly Element[], field: Buffer): Element | undefined {
  return elements.find((element) => field.equals(element.member));
}

function hget(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  return withElements(context, args[1] as Buffer, 'hash', (elements) => {
    const value = fieldBytes(findField(elements, args[2] as Buffer));
    return value === undefined ? REPLIES.nullBulk : bulkReply(value);
  });
}

function hmget(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  return withElements(context, args[1] as Buffer, 'hash', (elements) => arrayReply(args.slice(2).map((field) => {
    const value = fieldBytes(findField(elements, field));
    return value === undefined ? REPLIES.nullBulk : bulkReply(value);
  })));
}

/** Present fields with their values, in member byte order (Redis's order is unspecified). */
function pairs(elements: readonly Element[]): Uint8Array[] {
  const items: Uint8Array[] = [];
  for (const element of elements) {
    const value = fieldBytes(element);
    if (value === undefined) continue;
    items.push(element.member, value);
  }
  return items;
}

function hgetall(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  return withElements(context, args[1] as Buffer, 'hash', (elements) => bulkArray(pairs(elements)));
}

function hkeys(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  return withElements(context, args[1] as Buffer, 'hash', (elements) => bulkArray(elements.map((element) => element.member)));
}

function hvals(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  return withElements(context, args[1] as Buffer, 'hash', (elements) => bulkArray(pairs(elements).filter((_item, index) => index % 2 === 1)));
}

function hlen(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  return withElements(context, args[1] as Buffer, 'hash', (elements) => integerReply(elements.length));
}

function hexists(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  return withElements(context, args[1] as Buffer, 'hash', (elements) => (findField(elements, args[2] as Buffer) === undefined ? REPLIES.zero : REPLIES.one));
}

function hstrlen(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  return withElements(context, args[1] as Buffer, 'hash', (elements) => integerReply(fieldBytes(findField(elements, args[2] as Buffer))?.length ?? 0));
}

function hscan(args: Buffer[], _connection: unknown, context: CommandContext): Reply | Promise<Reply> {
  const options = parseScan(args, true);
  if (!('noValues' in options)) return options;
  return withElements(context, args[1] as Buffer, 'hash', (elements) => {
    const page = scanPage(elements, options.cursor, options.count);
    const items: Uint8Array[] = [];
    for (const element of page.elements) {
      if (!matches(options, element.member)) continue;
      const value = fieldBytes(element);
      if (value === undefined) continue;
      items.push(element.member);
      if (!options.noValues) items.push(value);
    }
    return scanReply(items, page.cursor);
  });
}

/** RC.HGETV key: every field with all its concurrent values, newest first (what HGET chooses from). */
function hgetv(args: Buffer[], _connection: unknown, context: CommandContext): Promise<Reply> {
  return withElements(context, args[1] as Buffer, 'hash', (elements) => {
    const items: ReplyValue[] = [];
    for (const element of elements) {
      const counted = fieldBytes(element);
      if (counted === undefined) continue;
      // A counted field (HINCRBY, HINCRBYFLOAT) shows its one value: the increments are merged, not concurrent.
      const values = element.counter === undefined && element.floats === undefined ? element.dots.slice().sort(compareAddRecency).map((entry) => entry.value) : [counted];
      items.push(bulkReply(element.member), bulkArray(values));
    }
    return arrayReply(items);
  });
}

const WRITE = 'O(N) fields, one operation at the coordinating replica and W-1 merges';
const READ = 'O(N) fields of the hash, plus one quorum read';
const HASH_WRITE = ['@write', '@hash', '@fast'];
const HASH_READ = ['@read', '@hash', '@fast'];

const fieldValue = [key(), argument('data', 'block', { multiple: true, arguments: [argument('field', 'string'), argument('value', 'string')] })];

export const HASH_COMMANDS: readonly CommandDefinition[] = [
  {
    name: 'hset', arity: -4, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: HASH_WRITE,
    run: (args, _connection, context) => operate(args, context, 'hset', args.slice(2), integerAnswer),
    summary: 'Set fields of a hash, answering how many were new (concurrent HSETs of a field keep both values: RC.HGETV).',
    since: '2.0.0', group: 'hash', complexity: WRITE, arguments: fieldValue,
  },
  {
    name: 'hmset', arity: -4, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: HASH_WRITE,
    run: (args, _connection, context) => operate(args, context, 'hset', args.slice(2), () => REPLIES.ok),
    summary: 'HSET answering OK.', since: '2.0.0', group: 'hash', complexity: WRITE, arguments: fieldValue,
  },
  {
    name: 'hsetnx', arity: 4, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: HASH_WRITE, run: () => ERRORS.conditionalHashSet,
    summary: 'Refused: setting only if absent needs compare-and-set, which replicas accepting concurrent writes do not have.',
    since: '2.0.0', group: 'hash', complexity: 'O(1)', arguments: [key(), argument('field', 'string'), argument('value', 'string')],
  },
  {
    name: 'hdel', arity: -3, flags: ['write', 'fast'], keys: FIRST_KEY, categories: HASH_WRITE,
    run: (args, _connection, context) => operate(args, context, 'hdel', args.slice(2), integerAnswer),
    summary: 'Remove fields (the values this replica saw; a concurrent HSET survives), answering how many were present.',
    since: '2.0.0', group: 'hash', complexity: WRITE, arguments: [key(), argument('field', 'string', { multiple: true })],
  },
  {
    name: 'hincrby', arity: 4, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: HASH_WRITE,
    run: (args, _connection, context) => operate(args, context, 'hincrby', args.slice(2), integerAnswer),
    summary: 'Add an integer to a field: a PN-counter per field, so concurrent increments all count.',
    since: '2.0.0', group: 'hash', complexity: WRITE, arguments: [key(), argument('field', 'string'), argument('increment', 'integer')],
  },
  {
    name: 'hincrbyfloat', arity: 4, flags: WRITE_FLAGS, keys: FIRST_KEY, categories: HASH_WRITE,
    run: (args, _connection, context) => operate(args, context, 'hincrbyfloat', args.slice(2), (answer) => bulkReply(answer.items?.[0] ?? '')),
    summary: 'Add a float to a field: a counter of doubles per field, so concurrent increments all count; HGET shows the sum as Redis writes it.',
    since: '2.6.0', group: 'hash', complexity: WRITE, arguments: [key(), argument('field', 'string'), argument('increment', 'string')],
  },
  {
    name: 'hget', arity: 3, flags: READ_FLAGS, keys: FIRST_KEY, categories: HASH_READ, run: hget,
    summary: 'A field\'s value (of concurrent values the newer), nil when absent.', since: '2.0.0', group: 'hash', complexity: READ,
    arguments: [key(), argument('field', 'string')],
  },
  {
    name: 'hmget', arity: -3, flags: READ_FLAGS, keys: FIRST_KEY, categories: HASH_READ, run: hmget,
    summary: 'Values of the given fields, nil for each absent one.', since: '2.0.0', group: 'hash', complexity: READ,
    arguments: [key(), argument('field', 'string', { multiple: true })],
  },
  {
    name: 'hgetall', arity: 2, flags: ['readonly'], keys: FIRST_KEY, categories: ['@read', '@hash', '@slow'], run: hgetall,
    summary: 'Every field and value.', since: '2.0.0', group: 'hash', complexity: READ, arguments: [key()],
  },
  {
    name: 'hkeys', arity: 2, flags: ['readonly'], keys: FIRST_KEY, categories: ['@read', '@hash', '@slow'], run: hkeys,
    summary: 'Every field name.', since: '2.0.0', group: 'hash', complexity: READ, arguments: [key()],
  },
  {
    name: 'hvals', arity: 2, flags: ['readonly'], keys: FIRST_KEY, categories: ['@read', '@hash', '@slow'], run: hvals,
    summary: 'Every value.', since: '2.0.0', group: 'hash', complexity: READ, arguments: [key()],
  },
  {
    name: 'hlen', arity: 2, flags: READ_FLAGS, keys: FIRST_KEY, categories: HASH_READ, run: hlen,
    summary: 'Number of fields.', since: '2.0.0', group: 'hash', complexity: READ, arguments: [key()],
  },
  {
    name: 'hexists', arity: 3, flags: READ_FLAGS, keys: FIRST_KEY, categories: HASH_READ, run: hexists,
    summary: '1 when the field is present.', since: '2.0.0', group: 'hash', complexity: READ, arguments: [key(), argument('field', 'string')],
  },
  {
    name: 'hstrlen', arity: 3, flags: READ_FLAGS, keys: FIRST_KEY, categories: HASH_READ, run: hstrlen,
    summary: 'Length of a field\'s value, 0 when absent.', since: '3.2.0', group: 'hash', complexity: READ, arguments: [key(), argument('field', 'string')],
  },
  {
    name: 'hscan', arity: -3, flags: ['readonly'], keys: FIRST_KEY, categories: ['@read', '@hash', '@slow'], run: hscan,
    summary: 'Fields matching MATCH, the whole hash in one call (cursor 0): a hash is bounded by limits.collectionElementsMax.',
    since: '2.8.0', group: 'hash', complexity: READ,
    arguments: [key(), argument('cursor', 'integer'), argument('pattern', 'string', { token: 'MATCH', optional: true }),
      argument('count', 'integer', { token: 'COUNT', optional: true }), argument('novalues', 'pure-token', { token: 'NOVALUES', optional: true })],
  },
  {
    name: 'rc.hgetv', arity: 2, flags: ['readonly'], keys: FIRST_KEY, categories: ['@read', '@hash', '@slow'], run: hgetv,
    summary: 'Every field with all its concurrent values, newest first: [field, [value...], ...].',
    since: '0.1.0', group: 'ringcache', complexity: READ, arguments: [key()],
  },
];
