/**
 * Which type a key shows (TYPE, WRONGTYPE): a key holds one type as Redis sees it, but replicas
 * accept concurrent writes, so a SET on one side of a partition and an HSET on the other both
 * survive the merge. Readers then see the newer, by the plain-GET order (wall-clock timestamp,
 * ties by dot): the resolved string's sibling against each collection's newest add.
 *
 *   siblings {(n1, 4) "x" @ t=100}     hash {"f" -> (n2.t, 7) @ t=120}     TYPE hash, GET WRONGTYPE
 *
 * Counters are strings to Redis (INCR's result is a string), so a counter counts as the string.
 * A collection whose elements only hold HINCRBY counters (no add) ranks oldest: lanes carry no time.
 */
import type { Dot, Versioned } from '../version/types.js';
import { compareDots } from '../version/vector.js';
import { counterView } from './counter-op.js';
import type { CollectionType } from './or-map.js';
import { collectionOf, newestAdd, presentElements } from './or-map.js';
import { pendingExpiryMs } from './collection-expiry.js';

export type KeyType = 'none' | 'string' | CollectionType;

interface Candidate {
  readonly type: KeyType;
  readonly timestampMs: number;
  readonly dot: Dot | undefined;
}

/** Newer first: (timestampMs, dot), a total order over distinct writes. */
function newer(a: Candidate, b: Candidate): boolean {
  if (a.timestampMs !== b.timestampMs) return a.timestampMs > b.timestampMs;
  if (a.dot === undefined || b.dot === undefined) return a.dot !== undefined;
  return compareDots(a.dot, b.dot) > 0;
}

function stringCandidate(versioned: Versioned, nowMs: number): Candidate | undefined {
  const view = counterView(versioned, nowMs);
  if (view.kind === 'absent') return undefined;
  if (view.kind === 'string') return { type: 'string', timestampMs: view.sibling.timestampMs, dot: view.sibling.dot };
  let newest: Candidate = { type: 'string', timestampMs: 0, dot: undefined };
  for (const sibling of versioned.siblings) {
    const candidate: Candidate = { type: 'string', timestampMs: sibling.timestampMs, dot: sibling.dot };
    if (newer(candidate, newest)) newest = candidate;
  }
  return newest;
}

/** The type a key shows now: what TYPE answers and what decides WRONGTYPE. */
export function keyType(versioned: Versioned | null | undefined, nowMs: number): KeyType {
  if (versioned === null || versioned === undefined) return 'none';
  let winner = stringCandidate(versioned, nowMs);
  for (const collection of versioned.collections ?? []) {
    const present = presentElements(collection, nowMs);
    if (present.length === 0) continue;
    let candidate: Candidate = { type: collection.type, timestampMs: 0, dot: undefined };
    for (const element of present) {
      const add = newestAdd(element);
      if (add === undefined) continue;
      const next: Candidate = { type: collection.type, timestampMs: add.timestampMs, dot: add.dot };
      if (newer(next, candidate)) candidate = next;
    }
    if (winner === undefined || newer(candidate, winner)) winner = candidate;
  }
  return winner?.type ?? 'none';
}

/**
 * The expiry TTL shows for a key: a collection's pending expiry (collection-expiry.ts) when the
 * key shows a hash, set or sorted set; undefined when it shows a string or nothing.
 */
export function collectionExpiryMs(versioned: Versioned | null | undefined, nowMs: number): number | null | undefined {
  const type = keyType(versioned, nowMs);
  if (type === 'none' || type === 'string') return undefined;
  return pendingExpiryMs(collectionOf(versioned?.collections, type)?.expiry, nowMs);
}
