import type { CounterLane, CounterState } from '../datatypes/pn-counter.js';
import type { FloatCounterState } from '../datatypes/float-counter.js';
import type { Collection } from '../datatypes/or-map.js';
import { vnodeOf } from '../ring/index.js';
import { RingcacheError } from '../runtime/index.js';
import type { Clock, ErrorCode } from '../runtime/index.js';
import type { Actor, Versioned, VersionVector } from '../version/index.js';

/**
 * What every peer message must satisfy before it touches the store (DESIGN.md section 8), in
 * one place, called by each handler that writes the engine (data merge and coordinated put,
 * counter operations, hints for this node, anti-entropy states) after decoding and before the
 * engine. The codecs already bound sizes and check that a state is canonical; this checks what
 * a codec cannot know:
 *
 * - **the key's vnode is the hash of the key.** A key filed under another vnode stays there:
 *   every later write naming the right vnode would break the engine's invariant (the key was
 *   unwritable for good, answering RC_ERR_INTERNAL).
 * - **counters are bounded by what their actor can have issued.** A context (or a dot, or a
 *   counter lane) claiming (a, c) covers every write of actor a up to c, so a forged c silently
 *   drops a's next writes, and for a's own node makes every write of the key fail. The bound:
 *     this node's own actors (data and typed): exactly the counter they issued;
 *     any other actor `<server>.<start ms base36><salt>`: what it could have minted since it
 *     started, at ACTOR_DOTS_PER_MS_MAX, plus CLOCK_SKEW_MS_MAX of clock difference and a
 *     margin; an actor whose start cannot be read is bounded from the Unix epoch. So 2^53 - 1
 *     is refused for every actor, and a node's own dots cannot be claimed ahead of it.
 * - **a counter lane's sums are bounded like its dot.** A lane only grows (pn-counter.ts), and an
 *   increment that would take a lane's sum past 2^64 - 1 is refused, so a forged lane of this
 *   node's typed actor at 2^64 - 1 made every INCR this node coordinates on the key fail for good
 *   (a SET resets the value, not the lane). The bound:
 *     this node's own typed actor: what it has added and removed over all keys (a lane is a
 *     part of that sum, whatever was evicted or moved since), exactly;
 *     any other actor: one increment per dot, each at most 2^63 in magnitude (a signed 64-bit
 *     INCRBY), so sum <= lane dot counter x 2^63 (a lane claiming 2^64 - 1 on its first dot is
 *     refused). Its own node refuses more than it added, so the forgery cannot reach the one
 *     replica whose increments it would block.
 *   An offset is at most its lane (the codec checks it), so it is bounded with it.
 *   The lanes of a hash field's counter (HINCRBY) are bounded the same way, against the same
 *   sums: the typed actor's added and removed count every lane it increments, key or field.
 * - **a field's or member's counter of doubles** (HINCRBYFLOAT, ZINCRBY) is bounded by its dot
 *   counters only: its sums are finite (the codec checks it), and an increment its lane could not
 *   hold is written as a plain value instead (float-counter.ts), so no forged sum blocks a field.
 *
 * A refusal is RC_ERR_PROTOCOL (RC_ERR_BAD_CONTEXT for a client's context), counted by reason
 * (`ringcache_node_peer_messages_refused_total`), and nothing of the message is applied.
 * Whether this node holds the vnode at the message's epoch is the table's check (fencing), not
 * this one.
 */
/** append only: values are metric labels. */
export type RefusalReason = 'wrong_vnode' | 'unissued_counter' | 'implausible_counter' | 'unissued_lane_sum' | 'implausible_lane_sum';

export const REFUSAL_REASONS: readonly RefusalReason[] = ['wrong_vnode', 'unissued_counter', 'implausible_counter', 'unissued_lane_sum', 'implausible_lane_sum'];

/** What an actor of this node has added and removed, over all keys (its lanes' sums are parts of these). */
export interface LaneSumsIssued {
  readonly added: bigint;
  readonly removed: bigint;
}

/** Largest magnitude of one increment: INCRBY takes a signed 64-bit integer, and |-2^63| = 2^63. */
const INCREMENT_MAGNITUDE_MAX = 2n ** 63n;

/**
 * Dots one actor can mint a millisecond: one Node process coordinates ~100k writes a second,
 * so a million a second is a bound no honest actor reaches and 2^53 is 285 years of it.
 */
export const ACTOR_DOTS_PER_MS_MAX = 1000;
/** How far another node's clock (the start time in its actor) may be ahead of ours. */
export const CLOCK_SKEW_MS_MAX = 10 * 60 * 1000;
/** Slack for the first moments of an actor, so a bound never starts at zero. */
const COUNTER_MARGIN = 1_000_000;
/** The random suffix of an actor's incarnation (actor.ts): 4 base36 digits after the start time. */
const SALT_DIGITS = 4;
/** A typed actor is `<actor>.t` (src/datatypes). */
const TYPED_SUFFIX = '.t';
/** Actors whose start time is kept parsed: a cluster has a few per server incarnation. */
const STARTS_CACHED_MAX = 4096;

export interface PeerInputDeps {
  /** V, fixed for the life of the cluster (cluster.vnodeCount). */
  readonly vnodeCount: number;
  readonly clock: Clock;
}

export class PeerInputCheck {
  private readonly issuers = new Map<Actor, () => number>();
  private readonly laneIssuers = new Map<Actor, () => LaneSumsIssued>();
  private readonly refused = new Map<RefusalReason, number>(REFUSAL_REASONS.map((reason) => [reason, 0]));
  /** Actor -> the start time written in it (0: none), see boundOf. */
  private readonly starts = new Map<Actor, number>();

  constructor(private readonly deps: PeerInputDeps) {}

  /**
   * An actor of this node and the counter it has issued so far: nothing beyond it is accepted.
   * With `sums` (the typed actor), no counter lane of it may claim more than it added or removed.
   */
  registerIssuer(actor: Actor, issued: () => number, sums?: () => LaneSumsIssued): void {
    this.issuers.set(actor, issued);
    if (sums !== undefined) this.laneIssuers.set(actor, sums);
  }

  /** Refusals by reason, for the metrics. */
  refusals(): [RefusalReason, number][] {
    return [...this.refused];
  }

  /** Throws unless `vnode` is the hash of `key`. */
  keyInVnode(key: Uint8Array, vnode: number, what: string): void {
    const expected = vnodeOf(key, this.deps.vnodeCount);
    if (vnode !== expected) {
      this.refuse('wrong_vnode', 'RC_ERR_PROTOCOL', `${what}: vnode ${String(vnode)} is not the key's (${String(expected)} of V=${String(this.deps.vnodeCount)})`);
    }
  }

  /** Throws unless every counter of the state (context, dots, counter lanes) is within its actor's bound. */
  state(versioned: Versioned, what: string): void {
    const nowMs = this.deps.clock.nowMs();
    this.vector(versioned.context, what, 'RC_ERR_PROTOCOL', nowMs);
    for (const sibling of versioned.siblings) this.counter(sibling.dot.actor, sibling.dot.counter, `${what}: dot`, 'RC_ERR_PROTOCOL', nowMs);
    if (versioned.counter !== undefined) this.counterLanes(versioned.counter, what, nowMs);
    if (versioned.collections !== undefined) this.collections(versioned.collections, what, nowMs);
  }

  /** Element counters, per element: O(elements), the cost the codec already paid to decode them. */
  private collections(collections: readonly Collection[], what: string, nowMs: number): void {
    for (const collection of collections) {
      for (const element of collection.elements) {
        if (element.counter !== undefined) this.counterLanes(element.counter, `${what}: ${collection.type} element`, nowMs);
        if (element.floats !== undefined) this.floatLanes(element.floats, `${what}: ${collection.type} element`, nowMs);
      }
    }
  }

  private floatLanes(floats: FloatCounterState, what: string, nowMs: number): void {
    for (const lane of floats.lanes) this.counter(lane.actor, lane.counter, `${what}: float counter lane`, 'RC_ERR_PROTOCOL', nowMs);
    for (const offset of floats.offsets) this.counter(offset.actor, offset.counter, `${what}: float counter offset`, 'RC_ERR_PROTOCOL', nowMs);
  }

  /** A client's context, carried by a coordinated put: refused as a context this cluster did not issue. */
  clientContext(context: VersionVector, what: string): void {
    this.vector(context, what, 'RC_ERR_BAD_CONTEXT', this.deps.clock.nowMs());
  }

  private counterLanes(counter: CounterState, what: string, nowMs: number): void {
    for (const lane of counter.lanes) {
      this.counter(lane.actor, lane.counter, `${what}: counter lane`, 'RC_ERR_PROTOCOL', nowMs);
      this.laneSums(lane, `${what}: counter lane`);
    }
    for (const offset of counter.offsets) this.counter(offset.actor, offset.counter, `${what}: counter offset`, 'RC_ERR_PROTOCOL', nowMs);
  }

  private vector(vector: VersionVector, what: string, code: ErrorCode, nowMs: number): void {
    for (const entry of vector) this.counter(entry.actor, entry.counter, `${what}: context`, code, nowMs);
  }

  private counter(actor: Actor, counter: number, what: string, code: ErrorCode, nowMs: number): void {
    const issued = this.issuers.get(actor);
    if (issued !== undefined) {
      const counterIssued = issued();
      if (counter > counterIssued) {
        this.refuse('unissued_counter', code, `${what} claims (${actor}, ${String(counter)}) but this node's actor has issued ${String(counterIssued)}`);
      }
      return;
    }
    const bound = this.boundOf(actor, nowMs);
    if (counter > bound) {
      this.refuse('implausible_counter', code,
        `${what} claims (${actor}, ${String(counter)}), more than that actor can have issued since it started (${String(bound)} at ${String(ACTOR_DOTS_PER_MS_MAX)} a ms)`);
    }
  }

  /**
   * plausibleCounterMax with the actor's start time parsed once: every merge checks every actor of
   * the state (a counter key has two: the string actor and the typed one), and the parse was a
   * visible share of a replica's MERGE. Bounded: past STARTS_CACHED_MAX actors it starts over.
   */
  private boundOf(actor: Actor, nowMs: number): number {
    let startedMs = this.starts.get(actor);
    if (startedMs === undefined) {
      if (this.starts.size >= STARTS_CACHED_MAX) this.starts.clear();
      startedMs = incarnationStartMs(actor) ?? 0;
      this.starts.set(actor, startedMs);
    }
    return counterBoundSince(startedMs, nowMs);
  }

  private laneSums(lane: CounterLane, what: string): void {
    const issued = this.laneIssuers.get(lane.actor)?.();
    if (issued !== undefined) {
      if (lane.added > issued.added || lane.removed > issued.removed) {
        this.refuse('unissued_lane_sum', 'RC_ERR_PROTOCOL',
          `${what} of ${lane.actor} claims +${String(lane.added)} -${String(lane.removed)} but this node's actor has added ${String(issued.added)} and removed ${String(issued.removed)} in all`);
      }
      return;
    }
    const bound = BigInt(lane.counter) * INCREMENT_MAGNITUDE_MAX;
    if (lane.added > bound || lane.removed > bound) {
      this.refuse('implausible_lane_sum', 'RC_ERR_PROTOCOL',
        `${what} of ${lane.actor} claims +${String(lane.added)} -${String(lane.removed)} by dot ${String(lane.counter)}, more than ${String(lane.counter)} increments of at most 2^63 can sum to`);
    }
  }

  private refuse(reason: RefusalReason, code: ErrorCode, message: string): never {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
    throw new RingcacheError(code, message, { reason });
  }
}

/** The highest counter `actor` can have minted by `nowMs` (see the class comment). */
export function plausibleCounterMax(actor: Actor, nowMs: number): number {
  return counterBoundSince(incarnationStartMs(actor) ?? 0, nowMs);
}

function counterBoundSince(startedMs: number, nowMs: number): number {
  const aliveMs = Math.max(0, nowMs - startedMs) + CLOCK_SKEW_MS_MAX;
  return Math.min(Number.MAX_SAFE_INTEGER, aliveMs * ACTOR_DOTS_PER_MS_MAX + COUNTER_MARGIN);
}

/** The start time written in an actor by newActor (actor.ts), or undefined when it holds none. */
export function incarnationStartMs(actor: Actor): number | undefined {
  const base = actor.endsWith(TYPED_SUFFIX) ? actor.slice(0, -TYPED_SUFFIX.length) : actor;
  const incarnation = base.slice(base.lastIndexOf('.') + 1);
  if (incarnation === base || incarnation.length <= SALT_DIGITS) return undefined;
  const stamp = incarnation.slice(0, -SALT_DIGITS);
  // 11 base36 digits reach past 2^53: longer is not a time newActor wrote.
  if (!/^[0-9a-z]{1,10}$/.test(stamp)) return undefined;
  return Number.parseInt(stamp, 36);
}
