/**
 * Version vectors and dots: pure functions over sorted arrays (DVV 2012, section 3; Riak's vclock).
 *
 *   vector  [(n1.7f, 12), (n2.a0, 4)]     sorted by actor (UTF-8 byte order), counters >= 1
 *   dot     (n2.a0, 3)                    covered: vector[n2.a0] = 4 >= 3
 *
 * Vectors are as wide as the servers that coordinated writes, so walks over both sorted arrays
 * (O(n + m)) and binary searches are all that is needed.
 */
import type { Actor, Dot, VectorEntry, VersionVector } from './types.js';

export type Ordering = 'before' | 'after' | 'equal' | 'concurrent';

/**
 * Orders actors by their UTF-8 bytes, the order they are sorted in on the wire. JavaScript's `<`
 * compares UTF-16 code units, which differs from code point (= UTF-8 byte) order only when a
 * surrogate (U+D800..U+DFFF) meets a code unit in U+E000..U+FFFF; `codePointRank` fixes that case.
 */
export function compareActors(a: Actor, b: Actor): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(codeUnit: number): number {
  if (codeUnit < 0xd800) return codeUnit;
  // Surrogates start code points >= U+10000, so they sort after every BMP code unit.
  return codeUnit >= 0xe000 ? codeUnit - 0x800 : codeUnit + 0x2000;
}

/** Orders dots by actor, then counter: the canonical order of siblings. */
export function compareDots(a: Dot, b: Dot): number {
  const byActor = compareActors(a.actor, b.actor);
  return byActor !== 0 ? byActor : a.counter - b.counter;
}

/** The counter a vector holds for an actor, 0 when it has none (binary search). */
export function vectorCounter(vector: VersionVector, actor: Actor): number {
  let low = 0;
  let high = vector.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const entry = vector[middle] as VectorEntry;
    const order = compareActors(entry.actor, actor);
    if (order === 0) return entry.counter;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return 0;
}

/** True when the vector has seen the write named by `dot`: vector[actor] >= counter. */
export function covers(vector: VersionVector, dot: Dot): boolean {
  return vectorCounter(vector, dot.actor) >= dot.counter;
}

/**
 * Pointwise maximum. Returns `a` itself when `b` adds nothing (and `b` when `a` adds nothing), so
 * callers can detect "unchanged" by identity.
 */
export function joinVectors(a: VersionVector, b: VersionVector): VersionVector {
  if (b.length === 0 || a === b) return a;
  if (a.length === 0) return b;
  const joined: VectorEntry[] = [];
  let aAhead = false;
  let bAhead = false;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    const order = x === undefined ? 1 : y === undefined ? -1 : compareActors(x.actor, y.actor);
    if (order < 0 && x !== undefined) {
      joined.push(x);
      aAhead = true;
      i++;
    } else if (order > 0 && y !== undefined) {
      joined.push(y);
      bAhead = true;
      j++;
    } else if (x !== undefined && y !== undefined) {
      joined.push(x.counter >= y.counter ? x : y);
      aAhead ||= x.counter > y.counter;
      bAhead ||= y.counter > x.counter;
      i++;
      j++;
    }
  }
  if (!bAhead) return a;
  if (!aAhead) return b;
  return joined;
}

/** Adds one dot to a vector (the coordinator's fresh write). */
export function joinDot(vector: VersionVector, dot: Dot): VersionVector {
  return joinVectors(vector, [{ actor: dot.actor, counter: dot.counter }]);
}

/** Causal order of two vectors: a `before` b when b has seen everything a has and more. */
export function compareVectors(a: VersionVector, b: VersionVector): Ordering {
  let aAhead = false;
  let bAhead = false;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    const order = x === undefined ? 1 : y === undefined ? -1 : compareActors(x.actor, y.actor);
    if (order < 0) {
      aAhead = true;
      i++;
    } else if (order > 0) {
      bAhead = true;
      j++;
    } else if (x !== undefined && y !== undefined) {
      aAhead ||= x.counter > y.counter;
      bAhead ||= y.counter > x.counter;
      i++;
      j++;
    }
    if (aAhead && bAhead) return 'concurrent';
  }
  if (aAhead) return 'after';
  return bAhead ? 'before' : 'equal';
}

export function vectorsEqual(a: VersionVector, b: VersionVector): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as VectorEntry;
    const y = b[i] as VectorEntry;
    if (x.actor !== y.actor || x.counter !== y.counter) return false;
  }
  return true;
}

/** The first way a vector breaks its canonical form, or undefined when it is canonical. */
export function vectorProblem(vector: VersionVector): string | undefined {
  let previous: Actor | undefined;
  for (const entry of vector) {
    if (entry.actor.length === 0) return 'an actor is empty';
    if (!Number.isSafeInteger(entry.counter) || entry.counter < 1) {
      return `actor ${entry.actor} has counter ${entry.counter}, not an integer in 1..2^53-1`;
    }
    if (previous !== undefined && compareActors(previous, entry.actor) >= 0) {
      return `actors are not strictly sorted (${previous} then ${entry.actor})`;
    }
    previous = entry.actor;
  }
  return undefined;
}
