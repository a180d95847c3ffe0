/**
 * What readers see of a state at a moment: live siblings (RC.GETV, HTTP 300), the single value of
 * plain GET, and whether a key is garbage. TTLs are absolute (`expiresAtMs`), so every replica
 * expires a sibling at the same instant and they agree on what is live (DESIGN.md section 3).
 */
import type { Sibling, Versioned } from './types.js';
import { compareRecency } from './dvv.js';
import { isFullyReset } from '../datatypes/pn-counter.js';
import { collectionsEmpty } from '../datatypes/or-map.js';

/** A sibling has expired once the clock reaches its expiry: `expiresAtMs <= nowMs`. */
export function isExpired(sibling: Sibling, nowMs: number): boolean {
  return sibling.expiresAtMs !== null && sibling.expiresAtMs <= nowMs;
}

/** Values a careful client may merge: neither tombstones nor expired. */
export function liveSiblings(versioned: Versioned, nowMs: number): Sibling[] {
  return versioned.siblings.filter((sibling) => sibling.value !== null && !isExpired(sibling, nowMs));
}

/**
 * The one value of plain GET: the newest non-expired sibling by wall-clock timestamp, ties by
 * actor (byte order, higher wins) then counter, the same answer on every replica. Tombstones take
 * part, so a delete newer than a concurrent write hides it; undefined when the winner is a
 * tombstone or nothing unexpired is left.
 */
export function resolve(versioned: Versioned, nowMs: number): Sibling | undefined {
  let winner: Sibling | undefined;
  for (const sibling of versioned.siblings) {
    if (isExpired(sibling, nowMs)) continue;
    if (winner === undefined || compareRecency(sibling, winner) < 0) winner = sibling;
  }
  return winner?.value === null ? undefined : winner;
}

/**
 * True when the key can be garbage-collected: every sibling is a tombstone written at least
 * `graceMs` ago, or expired at least `graceMs` ago. The grace outlives hints and an anti-entropy
 * round, so no replica still holding an older value can resurrect the key (Cassandra's
 * gc_grace_seconds plays the same role).
 */
export function isDead(versioned: Versioned, nowMs: number, graceMs: number): boolean {
  // Increments no reset observed are live data, whatever the siblings.
  if (versioned.counter !== undefined && !isFullyReset(versioned.counter)) return false;
  // So are hash fields and set members no remove observed, until their expiry is graceMs old
  // (as for an expired string below).
  if (!collectionsEmpty(versioned.collections, nowMs - graceMs)) return false;
  for (const sibling of versioned.siblings) {
    const tombstoneDead = sibling.value === null && sibling.timestampMs + graceMs <= nowMs;
    const expiryDead = sibling.expiresAtMs !== null && sibling.expiresAtMs + graceMs <= nowMs;
    if (!tombstoneDead && !expiryDead) return false;
  }
  return true;
}
