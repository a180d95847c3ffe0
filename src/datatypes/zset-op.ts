/**
 * Sorted-set operations on a member map (or-map.ts) at the coordinating replica. A member's add
 * carries its score (8 bytes, IEEE 754 big-endian); concurrent ZADDs of one member keep both adds
 * and the newer shows (the plain-GET order), so every replica shows the same score.
 *
 * ZINCRBY (and ZADD INCR) read the score this replica holds and write the sum as a new add: the
 * scores are doubles, which a PN-counter of integers cannot hold, so concurrent increments
 * through different coordinators resolve to the newer sum rather than adding up.
 * ZPOPMIN / ZPOPMAX are a read and an observed remove at one replica: under a partition two
 * clients may be handed the same member.
 */
import type { Element } from './or-map.js';
import { newestAdd } from './or-map.js';
import type { CollectionOperation, ElementsOutcome, OperationInput } from './collection-op.js';
import { findMember, putElement } from './collection-op.js';

export const SCORE_BYTES = 8;

export function encodeScore(score: number): Uint8Array {
  const bytes = Buffer.allocUnsafe(SCORE_BYTES);
  bytes.writeDoubleBE(score, 0);
  return bytes;
}

/** A member's score: its newest add's, or undefined when absent (or its bytes are not a score). */
export function scoreOf(element: Element | undefined): number | undefined {
  const add = element === undefined ? undefined : newestAdd(element);
  if (add?.value.length !== SCORE_BYTES) return undefined;
  return Buffer.from(add.value.buffer, add.value.byteOffset, SCORE_BYTES).readDoubleBE(0);
}

/** ZADD's flags (Redis's ZADD_IN_*). */
export const ZADD_NX = 1;
export const ZADD_XX = 2;
export const ZADD_GT = 4;
export const ZADD_LT = 8;
export const ZADD_CH = 16;
export const ZADD_INCR = 32;

function present(elements: readonly Element[], member: Uint8Array): Element | undefined {
  const index = findMember(elements, member);
  const element = index >= 0 ? elements[index] : undefined;
  return element !== undefined && element.dots.length > 0 ? element : undefined;
}

function setScore(elements: Element[], member: Uint8Array, score: number, input: OperationInput): void {
  putElement(elements, member, { member, dots: [{ dot: input.dot, value: encodeScore(score), timestampMs: input.timestampMs }] });
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
    setScore(elements, member, score, input);
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
        putElement(elements, member, undefined);
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
        putElement(elements, member, undefined);
        items.push(member, encodeScore(score));
      }
      return { elements, answer: { items }, usedDot: false, changed: popped.length > 0 };
    }
    default:
      return 'wrong-type';
  }
}
