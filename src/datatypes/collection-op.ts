/**
 * Hash and set operations as the coordinating replica applies them to the state it holds
 * (docs/ARCHITECTURE.md, "Typed values"). An operation is its Redis name and arguments; it is
 * parsed the same way at the proxy (for Redis's exact error) and at the node (a peer is trusted
 * with nothing), then applied with one fresh dot:
 *
 *   HSET f v      the field's adds this replica holds are replaced by (dot, v); its counter reset
 *   HDEL f        the field's adds removed, its counter reset (no dot: the context already covers them)
 *   HINCRBY f n   n into the field's counter lane of this replica (a PN-counter per field)
 *   SADD m        the member's adds replaced by (dot): a concurrent SREM elsewhere did not see it
 *   SREM m, SPOP  the member's adds removed
 *
 * PEXPIREAT and PERSIST apply to the collection the key shows, whatever its type (expiry-op.ts);
 * every operation first settles the expiries that have fired (settleExpiry).
 *
 * Every add of one operation shares its dot (as riak_dt_orswot's batched adds do): the join is
 * per element, so removing one of them later leaves the others untouched.
 */
import type { Dot, Versioned } from '../version/types.js';
import { coordinatedPut, withTypes } from '../version/dvv.js';
import { joinDot } from '../version/vector.js';
import type { VersionLimits } from '../version/options.js';
import { keyType } from './key-type.js';
import type { KeyType } from './key-type.js';
import type { CollectionType, Element } from './or-map.js';
import { collectionOf, collectionsEmpty, compareMembers, withCollection } from './or-map.js';
import { applyHashOperation } from './hash-op.js';
import { applySetOperation } from './set-op.js';
import { ZADD_CH, ZADD_GT, ZADD_INCR, ZADD_LT, ZADD_NX, ZADD_XX, applyZsetOperation } from './zset-op.js';
import { parseInt64 } from './counter-op.js';
import { parseFloatText } from './float-text.js';
import type { ExpiryOperation } from './expiry-op.js';
import { applyExpiryOperation, parseExpiryOperation, settleExpiry } from './expiry-op.js';

export type CollectionOperation =
  | { readonly name: 'hset'; readonly pairs: readonly (readonly [Uint8Array, Uint8Array])[] }
  | { readonly name: 'hdel'; readonly members: readonly Uint8Array[] }
  | { readonly name: 'hincrby'; readonly member: Uint8Array; readonly amount: bigint }
  | { readonly name: 'hincrbyfloat'; readonly member: Uint8Array; readonly amount: number }
  | { readonly name: 'sadd'; readonly members: readonly Uint8Array[] }
  | { readonly name: 'srem'; readonly members: readonly Uint8Array[] }
  | { readonly name: 'spop'; readonly count: number }
  /** ZADD and ZINCRBY (ZADD INCR): (score, member) pairs under ZADD_* flags. */
  | { readonly name: 'zadd'; readonly flags: number; readonly pairs: readonly (readonly [number, Uint8Array])[] }
  | { readonly name: 'zrem'; readonly members: readonly Uint8Array[] }
  | { readonly name: 'zpopmin' | 'zpopmax'; readonly count: number }
  | ExpiryOperation;

/** Why an operation's arguments are refused (each maps to one Redis error). */
export type ArgumentRefusal =
  | 'arity' | 'syntax' | 'not-integer' | 'not-float' | 'not-finite' | 'member-too-long' | 'value-too-long' | 'out-of-range'
  | 'xx-and-nx' | 'gt-lt-nx' | 'incr-pairs';

/** Why an applied operation changed nothing (Redis's errors, and the collection limit). */
export type OperationRefusal = 'wrong-type' | 'hash-not-integer' | 'hash-not-float' | 'overflow' | 'nan-or-infinity' | 'too-many-elements' | 'nan-score';

/** append only: the names are on the wire. */
export const OPERATION_NAMES = ['hset', 'hdel', 'hincrby', 'hincrbyfloat', 'sadd', 'srem', 'spop', 'zadd', 'zincrby', 'zrem', 'zpopmin', 'zpopmax', 'pexpireat', 'persist'] as const;
export type OperationName = (typeof OPERATION_NAMES)[number];

/** The type a named operation writes; undefined for the key-wide ones (expiry), which take the key's. */
export function operationType(name: OperationName): CollectionType | undefined {
  if (name === 'pexpireat' || name === 'persist') return undefined;
  return name.startsWith('h') ? 'hash' : name.startsWith('s') ? 'set' : 'zset';
}

const ZADD_FLAG_TOKENS: readonly (readonly [string, number])[] = [
  ['nx', ZADD_NX], ['xx', ZADD_XX], ['gt', ZADD_GT], ['lt', ZADD_LT], ['ch', ZADD_CH], ['incr', ZADD_INCR],
];

/** Redis 7's zaddGenericCommand argument checks, in its order. */
function parseZadd(args: readonly Uint8Array[], limits: VersionLimits): CollectionOperation | ArgumentRefusal {
  let flags = 0;
  let index = 0;
  for (; index < args.length; index++) {
    const token = Buffer.from(args[index] as Uint8Array).toString('latin1').toLowerCase();
    const flag = ZADD_FLAG_TOKENS.find(([name]) => name === token);
    if (flag === undefined) break;
    flags |= flag[1];
  }
  const rest = args.length - index;
  if (rest === 0 || rest % 2 !== 0) return 'syntax';
  if ((flags & ZADD_NX) !== 0 && (flags & ZADD_XX) !== 0) return 'xx-and-nx';
  const exclusive = ((flags & ZADD_GT) !== 0 ? 1 : 0) + ((flags & ZADD_LT) !== 0 ? 1 : 0) + ((flags & ZADD_NX) !== 0 ? 1 : 0);
  if (exclusive > 1) return 'gt-lt-nx';
  if ((flags & ZADD_INCR) !== 0 && rest > 2) return 'incr-pairs';
  const pairs: [number, Uint8Array][] = [];
  for (let i = index; i < args.length; i += 2) {
    const score = parseFloatText(args[i] as Uint8Array);
    if (score === undefined || Number.isNaN(score)) return 'not-float';
    pairs.push([score, args[i + 1] as Uint8Array]);
  }
  return checkMembers(pairs.map((pair) => pair[1]), limits) ?? { name: 'zadd', flags, pairs };
}

function parseCount(args: readonly Uint8Array[], limits: VersionLimits): number | ArgumentRefusal {
  if (args.length > 1) return 'syntax';
  if (args.length === 0) return 1;
  const count = parseInt64(args[0] as Uint8Array);
  if (count === undefined || count < 0n) return 'out-of-range';
  return Number(count > BigInt(limits.collectionElementsMax) ? BigInt(limits.collectionElementsMax) : count);
}

function checkMembers(members: readonly Uint8Array[], limits: VersionLimits): ArgumentRefusal | undefined {
  for (const member of members) if (member.length > limits.memberBytesMax) return 'member-too-long';
  return undefined;
}

/** The operation `name args...` means (args without the key), or why it is refused. */
export function parseOperation(name: OperationName, args: readonly Uint8Array[], limits: VersionLimits): CollectionOperation | ArgumentRefusal {
  switch (name) {
    case 'hset': {
      if (args.length === 0 || args.length % 2 !== 0) return 'arity';
      const pairs: [Uint8Array, Uint8Array][] = [];
      for (let i = 0; i < args.length; i += 2) {
        const value = args[i + 1] as Uint8Array;
        if (value.length > limits.valueBytesMax) return 'value-too-long';
        pairs.push([args[i] as Uint8Array, value]);
      }
      return checkMembers(pairs.map((pair) => pair[0]), limits) ?? { name, pairs };
    }
    case 'hdel': case 'sadd': case 'srem':
      if (args.length === 0) return 'arity';
      return checkMembers(args, limits) ?? { name, members: args };
    case 'hincrby': {
      if (args.length !== 2) return 'arity';
      const amount = parseInt64(args[1] as Uint8Array);
      if (amount === undefined) return 'not-integer';
      return checkMembers([args[0] as Uint8Array], limits) ?? { name, member: args[0] as Uint8Array, amount };
    }
    case 'hincrbyfloat': {
      if (args.length !== 2) return 'arity';
      const amount = parseFloatText(args[1] as Uint8Array);
      if (amount === undefined || Number.isNaN(amount)) return 'not-float';
      if (!Number.isFinite(amount)) return 'not-finite';
      return checkMembers([args[0] as Uint8Array], limits) ?? { name, member: args[0] as Uint8Array, amount };
    }
    case 'zadd':
      return parseZadd(args, limits);
    case 'zincrby': {
      if (args.length !== 2) return 'arity';
      const amount = parseFloatText(args[0] as Uint8Array);
      if (amount === undefined || Number.isNaN(amount)) return 'not-float';
      return checkMembers([args[1] as Uint8Array], limits) ?? { name: 'zadd', flags: ZADD_INCR, pairs: [[amount, args[1] as Uint8Array]] };
    }
    case 'zrem':
      if (args.length === 0) return 'arity';
      return checkMembers(args, limits) ?? { name, members: args };
    case 'zpopmin': case 'zpopmax': {
      const count = parseCount(args, limits);
      return typeof count === 'string' ? count : { name, count };
    }
    case 'pexpireat': case 'persist':
      return parseExpiryOperation(name, args);
    case 'spop': {
      if (args.length !== 1) return 'arity';
      const count = parseInt64(args[0] as Uint8Array);
      // Redis's getPositiveLongFromObjectOrReply: one error for both.
      if (count === undefined) return 'out-of-range';
      if (count < 0n || count > BigInt(limits.collectionElementsMax)) return 'out-of-range';
      return { name, count: Number(count) };
    }
  }
}

/** What an operation answers: Redis's integer, its bulk strings, or both absent. */
export interface OperationAnswer {
  readonly integer?: bigint;
  readonly items?: readonly Uint8Array[];
}

export type OperationResult =
  | { readonly outcome: 'ok'; readonly answer: OperationAnswer; readonly versioned: Versioned; readonly changed: boolean }
  | { readonly outcome: OperationRefusal };

/** The state one operation works on: the collection's elements and where the new state goes. */
export interface OperationInput {
  readonly elements: readonly Element[];
  readonly dot: Dot;
  readonly timestampMs: number;
  readonly limits: VersionLimits;
  /** Picks SPOP's members: an integer in 0..n-1 (the node's injected Random). */
  readonly pick: (n: number) => number;
}

/** The outcome of a type's operation on its elements, before it becomes a state. */
export type ElementsOutcome =
  | { readonly elements: readonly Element[]; readonly answer: OperationAnswer; readonly usedDot: boolean; readonly changed: boolean }
  | OperationRefusal;

/**
 * Applies `operation` at the coordinating replica, which drew `dot` for it (used only when the
 * operation adds). WRONGTYPE when the key shows another type; nothing is stored on any refusal.
 */
export function coordinatedOperation(
  local: Versioned | undefined, operation: CollectionOperation, dot: Dot, nowMs: number, limits: VersionLimits, pick: (n: number) => number,
): OperationResult {
  const state = local ?? { context: [], siblings: [] };
  const shown = keyType(state, nowMs);
  if (operation.name === 'pexpireat' || operation.name === 'persist') return keyExpiryOperation(state, shown, operation, dot, nowMs);
  const type: CollectionType = operation.name === 'zadd' ? 'zset' : operationType(operation.name) as CollectionType;
  if (shown !== 'none' && shown !== type) return { outcome: 'wrong-type' };
  const settled = settleExpiry(collectionOf(state.collections, type), nowMs);
  // An add is never older than the floor, or it would be dead at once on every replica.
  const input: OperationInput = { elements: settled.elements, dot, timestampMs: Math.max(nowMs, settled.floorMs), limits, pick };
  const outcome = type === 'hash' ? applyHashOperation(operation, input) : type === 'set' ? applySetOperation(operation, input) : applyZsetOperation(operation, input);
  if (typeof outcome === 'string') return { outcome };
  if (outcome.elements.length > limits.collectionElementsMax) return { outcome: 'too-many-elements' };
  if (!outcome.changed) return { outcome: 'ok', answer: outcome.answer, versioned: state, changed: false };
  const context = outcome.usedDot ? joinDot(state.context, dot) : state.context;
  const collections = withCollection(state.collections, type, outcome.elements, settled.expiry);
  const versioned = withTypes({ context, siblings: state.siblings }, state.counter, collections);
  // The last element removed: a tombstone, as DEL writes, so the key is collected only after
  // storage.tombstoneGraceMs. An empty state would be collected at once, and a replica that
  // missed the remove could then bring the element back through repair.
  // Elements left holding only reset counters (see or-map.ts) are not present: the same case.
  if (collectionsEmpty(collections, nowMs) && !outcome.usedDot && state.counter === undefined) {
    return {
      outcome: 'ok', answer: outcome.answer, changed: true,
      versioned: coordinatedPut(versioned, { value: null, context: versioned.context, dot, timestampMs: nowMs, expiresAtMs: null }),
    };
  }
  return { outcome: 'ok', answer: outcome.answer, versioned, changed: true };
}

/** PEXPIREAT / PERSIST on the collection the key shows; 0 on an absent key or a string. */
function keyExpiryOperation(state: Versioned, shown: KeyType, operation: ExpiryOperation, dot: Dot, nowMs: number): OperationResult {
  if (shown === 'none' || shown === 'string') return { outcome: 'ok', answer: { integer: 0n }, versioned: state, changed: false };
  const settled = settleExpiry(collectionOf(state.collections, shown), nowMs);
  const outcome = applyExpiryOperation(operation, settled, dot, nowMs);
  if (outcome.answer === 1n && operation.name === 'pexpireat' && operation.expiresAtMs <= nowMs) {
    // Due already: Redis deletes the key. A tombstone with everything this replica holds as its
    // context, as DEL writes (a concurrent add it did not see survives, as against DEL).
    return { outcome: 'ok', answer: { integer: 1n }, changed: true,
      versioned: coordinatedPut(state, { value: null, context: state.context, dot, timestampMs: nowMs, expiresAtMs: null }) };
  }
  if (outcome.answer === 0n) return { outcome: 'ok', answer: { integer: 0n }, versioned: state, changed: false };
  const context = outcome.usedDot ? joinDot(state.context, dot) : state.context;
  const collections = withCollection(state.collections, shown, settled.elements, outcome.expiry);
  return { outcome: 'ok', answer: { integer: 1n }, versioned: withTypes({ context, siblings: state.siblings }, state.counter, collections), changed: true };
}

/** Index of `member` in sorted elements, or -(insertion point) - 1 (binary search). */
export function findMember(elements: readonly Element[], member: Uint8Array): number {
  let low = 0;
  let high = elements.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = compareMembers((elements[middle] as Element).member, member);
    if (order === 0) return middle;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return -low - 1;
}

/** Sorted elements with `element` put at `member`'s place (replacing it), or removed when undefined. */
export function putElement(elements: Element[], member: Uint8Array, element: Element | undefined): void {
  const index = findMember(elements, member);
  if (index >= 0) {
    if (element === undefined) elements.splice(index, 1);
    else elements[index] = element;
  } else if (element !== undefined) {
    elements.splice(-index - 1, 0, element);
  }
}
