/**
 * Versions of one key (DESIGN.md section 3): dotted version vectors with a sibling set, as in
 * Riak 2.x (Preguica et al., "Dotted Version Vectors", 2012).
 *
 *   Versioned = { context: [(n1.7f, 12), (n2.a0, 4)],          covers every dot below
 *                 siblings: [ {dot (n1.7f, 12), value "x", ...},  concurrent values
 *                             {dot (n2.a0, 4),  value "y", ...} ] }
 *
 * A dot (actor, counter) names exactly one write. An actor is a server incarnation, never a client
 * or a proxy, so vectors stay as wide as the number of servers that coordinated writes.
 * Counters are per actor (not per key), so a dot is unique even after a key is evicted.
 */
import type { CounterState } from '../datatypes/pn-counter.js';
import type { Collection } from '../datatypes/or-map.js';

/** `${serverId}.${incarnation}`: a node that lost its memory starts a new actor, so no dot repeats. */
export type Actor = string;

export interface Dot {
  readonly actor: Actor;
  readonly counter: number;
}

/** One entry of a version vector: the highest counter seen from an actor for this key. */
export interface VectorEntry {
  readonly actor: Actor;
  readonly counter: number;
}

/** Sorted by actor (byte order), at most one entry per actor, counters >= 1. */
export type VersionVector = readonly VectorEntry[];

export interface Sibling {
  readonly dot: Dot;
  /** The value bytes, or null for a tombstone (a delete). */
  readonly value: Uint8Array | null;
  /** Wall-clock ms at the coordinating replica: the tie-breaker of plain GET, and tombstone age. */
  readonly timestampMs: number;
  /** Absolute expiry (ms since the Unix epoch), the same on every replica; null = never. */
  readonly expiresAtMs: number | null;
}

export interface Versioned {
  /**
   * The key's counter (INCR and friends), joined by its own lattice inside merge; absent for a
   * plain string key (docs/ARCHITECTURE.md, "Typed values").
   */
  readonly counter?: CounterState;
  /**
   * The key's hash, set and sorted set (observed-remove maps whose clock is `context`), sorted
   * by type, none empty; absent when there is none (docs/ARCHITECTURE.md, "Typed values").
   */
  readonly collections?: readonly Collection[];
  /** Covers every dot in `siblings` and every dot they superseded. */
  readonly context: VersionVector;
  /** Concurrent values, sorted by dot (actor, then counter): a canonical form, so equal states encode equally. */
  readonly siblings: readonly Sibling[];
}
