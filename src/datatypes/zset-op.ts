/**
 * Sorted-set operations on a member map (or-map.ts) at the coordinating replica. A member's add
 * carries its score (8 bytes, IEEE 754 big-endian); concurrent ZADDs of one member keep both adds
 * and the newer shows (the plain-GET order), so every replica shows the same score.
 *
 *   member "bob": adds {(n2.t, 3) 8.0}, floats +1.5     ZSCORE 9.5 (the add's score plus the float counter)
 *
 * ZINCRBY (and ZADD INCR) add to the member's counter of doubles (float-counter.ts) in this
 * replica's lane, so concurrent increments through different coordinators all count; a ZADD of a
 * score replaces the adds and resets the counter it saw, as HSET does a field's. An increment
 * to or from an infinite score (or one whose lane would leave the finite doubles) is written as a
 * ZADD of the result instead: a lane holding infinity could never be reset (inf - inf is NaN).
 * ZPOPMIN / ZPOPMAX are a read and an observed remove at one replica: under a partition two
 * clients may be handed the same member.
 */
import type { Element } from './or-map.js';
import { elementOf, isPresent, newestAdd, resetElementCounters } from './or-map.js';
import { EMPTY_FLOAT_COUNTER, floatDelta, incrementFloat, isFloatFullyReset } from './float-counter.js';
import type { CollectionOperation, ElementsOutcome, OperationInput } from './collection-op.js';
import { findMember, putElement } from './collection-op.js';

export const SCORE_BYTES = 8;

export function encodeScore(score: number): Uint8Array {
  const bytes = Buffer.allocUnsafe(SCORE_BYTES);
  bytes.writeDoubleBE(score, 0);
  return bytes;
}

/**
 * A member's score: its newest add's plus what its counter counted (an increment concurrent with
 * the ZREM that removed the add counts from 0), or undefined when absent.
 */
export function scoreOf(element: Element | undefined): number | undefined {
  if (element === undefined || !isPresent(element)) return undefined;
  const add = newestAdd(element);
  if (add !== undefined && add.value.length !== SCORE_BYTES) return undefined;
  const base = add === undefined ? 0 : Buffer.from(add.value.buffer, add.value.byteOffset, SCORE_BYTES).readDoubleBE(0);
  const floats = element.floats;
  return floats === undefined || isFloatFullyReset(floats) ? base : base + floatDelta(floats);
}

/** ZADD's flags (Redis's ZADD_IN_*). */
export const ZADD_NX = 1;
export const ZADD_XX = 2;
export const ZADD_GT = 4;
export const ZADD_LT = 8;
export const ZADD_CH = 16;
export const ZADD_INCR = 32;

function held(elements: readonly Element[], member: Uint8Array): Element | undefined {
  const index = findMember(elements, member);
  return index >= 0 ? elements[index] : undefined;
}

/** ZADD's replacement of a member's score: one add, the member's counter reset (what this replica holds). */
function setScore(elements: Element[], member: Uint8Array, score: number, input: OperationInput): void {
  const { floats } = resetElementCounters(held(elements, member), null);
  putElement(elements, member, elementOf(member, [{ dot: input.dot, value: encodeScore(score), timestampMs: input.timestampMs }], undefined, floats));
}

/**
 * ZINCRBY's increment into this replica's lane, or a ZADD of the sum when a lane cannot hold it.
 * Returns the score the member now shows: the lanes' sum, which may differ from `score` in the
 * last bit (the additions run in another order), and is what every replica will show.
 */
function incrementScore(elements: Element[], member: Uint8Array, amount: number, score: number, input: OperationInput): number {
  const existing = held(elements, member);
  const floats = Number.isFinite(amount) && Number.isFinite(score)
    ? incrementFloat(existing?.floats ?? EMPTY_FLOAT_COUNTER, input.dot.actor, input.dot.counter, amount, score - amount)
    : undefined;
  const counted = floats === undefined ? undefined : elementOf(member, existing?.dots ?? [], undefined, floats);
  const shown = scoreOf(counted);
  if (counted !== undefined && shown !== undefined && Number.isFinite(shown)) {
    putElement(elements, member, counted);
    return shown;
  }
  setScore(elements, member, score, input);
  return score;
}

/** A member that is present, with its element. */
function present(elements: readonly Element[], member: Uint8Array): Element | undefined {
  const element = held(elements, member);
  return element !== undefined && isPresent(element) ? element : undefined;
}

/** A ZREM or a pop: the member's adds go, its counter is reset (kept: see or-map.ts). */
function removeMember(elements: Element[], member: Uint8Array): void {
  const existing = held(elements, member);
  const { floats } = resetElementCounters(existing, null);
  putElement(elements, member, elementOf(member, [], undefined, floats));
}

/** Sorted by (score, member bytes): ZRANGE's order. */
export function byScore(elements: readonly Element[]): { readonly member: Uint8Array; readonly score: number }[] {
  const scored: { member: Uint8Array; score: number }[] = [];
  for (const element of elements) {
    const score = scoreOf(element);
    if (score !== undefined) scored.push({ member: element.member, score });
  }
  return scored.sort((a, b) => (a.score !== b.score ? (a.score < b.score ? -1 : 1) : Buffer.compare(a.member, b.member)));
}

function zadd(operation: Extract<CollectionOperation, { name: 'zadd' }>, input: OperationInput): ElementsOutcome {
  const elements = input.elements.slice();
  const { flags } = operation;
  let added = 0;
  let updated = 0;
  let incremented: number | null = null;
  for (const [requested, member] of operation.pairs) {
    const current = scoreOf(present(elements, member));
    if ((flags & ZADD_NX) !== 0 && current !== undefined) continue;
    if ((flags & ZADD_XX) !== 0 && current === undefined) continue;
    let score = requested;
    if ((flags & ZADD_INCR) !== 0) {
      score = (current ?? 0) + requested;
      if (Number.isNaN(score)) return 'nan-score';
    }
    if (current !== undefined) {
      if ((flags & ZADD_GT) !== 0 && !(score > current)) continue;
      if ((flags & ZADD_LT) !== 0 && !(score < current)) continue;
    }
    if ((flags & ZADD_INCR) !== 0) incremented = score;
    if (current === undefined) added++;
    else if (score !== current) updated++;
    else continue;
    if ((flags & ZADD_INCR) !== 0) incremented = incrementScore(elements, member, requested, score, input);
    else setScore(elements, member, score, input);
    if (elements.length > input.limits.collectionElementsMax) return 'too-many-elements';
  }
  const changed = added + updated > 0;
  if ((flags & ZADD_INCR) !== 0) {
    return { elements, answer: incremented === null ? {} : { items: [encodeScore(incremented)] }, usedDot: changed, changed };
  }
  return { elements, answer: { integer: BigInt((flags & ZADD_CH) !== 0 ? added + updated : added) }, usedDot: changed, changed };
}

export function applyZsetOperation(operation: CollectionOperation, input: OperationInput): ElementsOutcome {
  switch (operation.name) {
    case 'zadd':
      return zadd(operation, input);
    case 'zrem': {
      const elements = input.elements.slice();
      let removed = 0;
      for (const member of operation.members) {
        if (present(elements, member) === undefined) continue;
        removed++;
        removeMember(elements, member);
      }
      return { elements, answer: { integer: BigInt(removed) }, usedDot: false, changed: removed > 0 };
    }
    case 'zpopmin': case 'zpopmax': {
      const elements = input.elements.slice();
      const ordered = byScore(elements);
      if (operation.name === 'zpopmax') ordered.reverse();
      const popped = ordered.slice(0, operation.count);
      const items: Uint8Array[] = [];
      for (const { member, score } of popped) {
        removeMember(elements, member);
        items.push(member, encodeScore(score));
      }
      return { elements, answer: { items }, usedDot: false, changed: popped.length > 0 };
    }
    default:
      return 'wrong-type';
  }
}
