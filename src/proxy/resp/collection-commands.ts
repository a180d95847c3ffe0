/**
 * What hash, set and sorted-set commands share: a write is one operation at the coordinating
 * replica (RC.TYPEDOP, src/datatypes), its arguments checked here first so every refusal is
 * Redis's exact error and nothing is sent; a read is a quorum read whose merged state is looked
 * at here, WRONGTYPE when the key shows another type.
 */
import { REPLIES, arrayReply, bulkReply, rawReply } from '../../resp/index.js';
import type { Reply, ReplyValue } from '../../resp/index.js';
import { RingcacheError } from '../../runtime/index.js';
import { collectionOf, operateAsync, parseOperation, presentElements } from '../../datatypes/index.js';
import type { ArgumentRefusal, CollectionOperation, CollectionType, Element, OperationAnswer, OperationName, OperationOutcome, OperationRefusal } from '../../datatypes/index.js';
import type { CommandContext } from './command.js';
import { ERRORS, arityError, errorFor } from './error-replies.js';
import { isToken, parseInteger } from './arguments.js';
import { globMatch } from './glob.js';
import { SCAN_COUNT_DEFAULT } from './collection-scan.js';

function collectionFull(message: string): ReplyValue {
  return errorFor(new RingcacheError('RC_ERR_COLLECTION_FULL', message));
}

export function argumentError(refusal: ArgumentRefusal, command: string, context: CommandContext): ReplyValue {
  const limits = context.kv.contextLimits;
  switch (refusal) {
    case 'arity': return arityError(command);
    case 'syntax': return ERRORS.syntax;
    case 'xx-and-nx': return ERRORS.zaddXxNx;
    case 'gt-lt-nx': return ERRORS.zaddGtLtNx;
    case 'incr-pairs': return ERRORS.zaddIncrPairs;
    case 'not-integer': return ERRORS.notInteger;
    case 'not-float': return ERRORS.notFloat;
    case 'not-finite': return ERRORS.notFinite;
    case 'out-of-range': return ERRORS.positiveCount;
    case 'member-too-long': return collectionFull(`a field or member is longer than limits.memberBytesMax=${String(limits.memberBytesMax)}`);
    case 'value-too-long': return errorFor(new RingcacheError('RC_ERR_VALUE_TOO_LARGE', `value is over limits.valueBytesMax=${String(limits.valueBytesMax)}`));
  }
}

function refusalError(refusal: OperationRefusal, context: CommandContext): ReplyValue {
  switch (refusal) {
    case 'wrong-type': return ERRORS.wrongType;
    case 'hash-not-integer': return ERRORS.hashNotInteger;
    case 'hash-not-float': return ERRORS.hashNotFloat;
    case 'overflow': return ERRORS.overflow;
    case 'nan-or-infinity': return ERRORS.nanOrInfinity;
    case 'nan-score': return ERRORS.nanScore;
    case 'too-many-elements':
      return collectionFull(`the add would pass limits.collectionElementsMax=${String(context.kv.contextLimits.collectionElementsMax)} elements; nothing was stored`);
  }
}

/**
 * `name key args...` as one operation at the coordinating replica; `reply` turns its answer into
 * the command's reply. Arguments are checked before anything is sent.
 */
export function operate(
  args: Buffer[], context: CommandContext, name: OperationName, operationArgs: readonly Buffer[], reply: (answer: OperationAnswer) => Reply,
): Reply | Promise<Reply> {
  const key = args[1] as Buffer;
  context.kv.checkKey(key);
  const parsed = parseOperation(name, operationArgs, context.kv.contextLimits);
  if (typeof parsed === 'string') return argumentError(parsed, (args[0] as Buffer).toString('latin1').toLowerCase(), context);
  if (addsTooMany(parsed, context.kv.contextLimits.collectionElementsMax)) return refusalError('too-many-elements', context);
  const owned = operationArgs.map((arg) => Buffer.from(arg));
  return operateAsync(context.kv.coordinator, Buffer.from(key), name, owned).then((outcome: OperationOutcome): Reply => {
    if (typeof outcome === 'string') return refusalError(outcome, context);
    return reply(outcome.answer);
  });
}

/**
 * True when one operation names more distinct new members than any collection may hold: refused
 * here, before a message of up to a million arguments goes to a replica that would refuse it too.
 */
function addsTooMany(operation: CollectionOperation, elementsMax: number): boolean {
  const members = operation.name === 'hset' ? operation.pairs.map((pair) => pair[0])
    : operation.name === 'sadd' ? operation.members
      : operation.name === 'zadd' ? operation.pairs.map((pair) => pair[1]) : [];
  if (members.length <= elementsMax) return false;
  return new Set(members.map((member) => Buffer.from(member).toString('latin1'))).size > elementsMax;
}

export function integerAnswer(answer: OperationAnswer): Reply {
  return rawReply(Buffer.from(`:${(answer.integer ?? 0n).toString()}\r\n`));
}

/** The key's present elements of `type`, or WRONGTYPE when it shows another type. */
export function readElements(context: CommandContext, key: Buffer, type: CollectionType): Promise<Element[] | ReplyValue> {
  context.kv.checkKey(key);
  return context.kv.read(key).then((result) => {
    const shown = context.kv.typeOf(result);
    if (shown !== 'none' && shown !== type) return ERRORS.wrongType;
    return presentElements(collectionOf(result.versioned?.collections, type), context.clock.nowMs());
  });
}

/** Runs `answer` on the elements, or passes WRONGTYPE through. */
export function withElements(
  context: CommandContext, key: Buffer, type: CollectionType, answer: (elements: Element[]) => Reply,
): Promise<Reply> {
  return readElements(context, key, type).then((elements) => (Array.isArray(elements) ? answer(elements) : elements));
}

export function bulkArray(items: readonly Uint8Array[]): ReplyValue {
  return arrayReply(items.map((item) => bulkReply(item)));
}

export const EMPTY_ARRAY: ReplyValue = Object.freeze(arrayReply([]));
export { REPLIES };

export interface ScanOptions {
  readonly cursor: bigint;
  readonly count: number;
  readonly match: Buffer | undefined;
  readonly noValues: boolean;
}

/**
 * HSCAN / SSCAN / ZSCAN `key cursor [MATCH pattern] [COUNT count] [NOVALUES]`: a page of the
 * collection from the cursor (collection-scan.ts), COUNT members visited before MATCH filters
 * them, as Redis counts; collections up to 128 elements come back whole, as Redis's small ones do.
 */
export function parseScan(args: Buffer[], allowNoValues: boolean): ScanOptions | ReplyValue {
  const cursorText = (args[2] as Buffer).toString('latin1');
  if (!/^\d{1,20}$/.test(cursorText) || BigInt(cursorText) > 2n ** 64n - 1n) return ERRORS.invalidCursor;
  const cursor = BigInt(cursorText);
  let count = SCAN_COUNT_DEFAULT;
  let match: Buffer | undefined;
  let noValues = false;
  for (let j = 3; j < args.length; j++) {
    const option = args[j] as Buffer;
    const hasNext = j + 1 < args.length;
    if (isToken(option, 'match') && hasNext) {
      match = args[++j];
    } else if (isToken(option, 'count') && hasNext) {
      const parsed = parseInteger(args[++j] as Buffer);
      if (parsed === undefined) return ERRORS.notInteger;
      if (parsed < 1) return ERRORS.syntax;
      count = Math.min(parsed, Number.MAX_SAFE_INTEGER);
    } else if (allowNoValues && isToken(option, 'novalues')) {
      noValues = true;
    } else {
      return ERRORS.syntax;
    }
  }
  return { cursor, count, match, noValues };
}

export function matches(options: ScanOptions, member: Uint8Array): boolean {
  return options.match === undefined || globMatch(options.match, member);
}

const CURSOR_ZERO: ReplyValue = Object.freeze(bulkReply('0'));

export function scanReply(items: readonly Uint8Array[], cursor = '0'): ReplyValue {
  return arrayReply([cursor === '0' ? CURSOR_ZERO : bulkReply(cursor), bulkArray(items)]);
}
