/**
 * The counter of a key (INCR, DECR, INCRBY, DECRBY): a PN-counter with one lane per actor, and a
 * reset that subtracts exactly what it observed (docs/ARCHITECTURE.md, "Typed values").
 *
 *   lanes    n1.7f: (dot 12, +40, -3)   n2.a0: (dot 4, +5, -0)     what each actor has added
 *   offsets  n1.7f: (dot  9, +30, -3)                               what resets have seen of it
 *   delta    (40 - 3) - (30 - 3) + (5 - 0) = 15
 *
 * An actor's lane only grows: its dot counter, its sum of increments and its sum of decrements
 * each increase with every increment it coordinates, so the join of two lanes is their pointwise
 * maximum, and the join of two states is the pointwise maximum of every lane and every offset
 * (Shapiro et al., "A comprehensive study of CRDTs", 2011, PN-Counter; Riak's riak_dt_pncounter).
 * That join is commutative, associative and idempotent whatever the inputs, so a replayed or
 * duplicated state never counts an increment twice: increments are counted once per lane, not
 * once per message.
 *
 * A reset (SET on the key) copies the lanes it observed into the offsets. An increment it did
 * not observe is in a lane beyond the offset, so it survives: a concurrent INCR on the other side
 * of a partition is still counted after heal. An offset is always a lane some replica held, so
 * offset <= lane holds pointwise, before and after every join.
 */
import { assert } from '../runtime/index.js';
import { actorLanesEqual, joinActorLanes } from './actor-lanes.js';
// The vector module itself, not version/index.js: version/dvv.ts joins counters inside merge.
import type { Actor, VersionVector } from '../version/types.js';
import { compareActors, vectorCounter } from '../version/vector.js';

/** One actor's increments at this key. */
export interface CounterLane {
  readonly actor: Actor;
  /** The dot counter of the actor's latest increment here: what a reset's context must cover. */
  readonly counter: number;
  /** Sum of the positive increments, >= 0. */
  readonly added: bigint;
  /** Sum of the magnitudes of the negative increments, >= 0. */
  readonly removed: bigint;
}

export interface CounterState {
  /** Sorted by actor (byte order), one per actor. */
  readonly lanes: readonly CounterLane[];
  /** What resets observed, sorted by actor; each <= the lane of its actor, pointwise. */
  readonly offsets: readonly CounterLane[];
}

export const EMPTY_COUNTER: CounterState = Object.freeze({ lanes: Object.freeze([]), offsets: Object.freeze([]) });

/** Redis's counters are signed 64-bit; a lane's sums are unsigned 64-bit. */
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const LANE_SUM_MAX = 2n ** 64n - 1n;

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function joinLane(a: CounterLane, b: CounterLane): CounterLane {
  if (a.counter >= b.counter && a.added >= b.added && a.removed >= b.removed) return a;
  if (b.counter >= a.counter && b.added >= a.added && b.removed >= a.removed) return b;
  return { actor: a.actor, counter: Math.max(a.counter, b.counter), added: maxBig(a.added, b.added), removed: maxBig(a.removed, b.removed) };
}

/** Pointwise maximum of two actor-sorted lists of lanes. */
function joinLanes(a: readonly CounterLane[], b: readonly CounterLane[]): readonly CounterLane[] {
  return joinActorLanes(a, b, joinLane);
}

/** The join: pointwise maximum of lanes and of offsets. Returns `a` itself when `b` adds nothing. */
export function joinCounters(a: CounterState, b: CounterState): CounterState {
  const lanes = joinLanes(a.lanes, b.lanes);
  const offsets = joinLanes(a.offsets, b.offsets);
  if (lanes === a.lanes && offsets === a.offsets) return a;
  return { lanes, offsets };
}

function sameSums(x: CounterLane, y: CounterLane): boolean {
  return x.added === y.added && x.removed === y.removed;
}

function lanesEqual(a: readonly CounterLane[], b: readonly CounterLane[]): boolean {
  return actorLanesEqual(a, b, sameSums);
}

export function countersEqual(a: CounterState, b: CounterState): boolean {
  return a === b || (lanesEqual(a.lanes, b.lanes) && lanesEqual(a.offsets, b.offsets));
}

/** True when every lane is its own offset: the counter adds nothing, so the key may be collected. */
export function isFullyReset(state: CounterState): boolean {
  return lanesEqual(state.lanes, state.offsets);
}

/** What the lanes add beyond what resets subtracted. */
export function counterDelta(state: CounterState): bigint {
  let total = 0n;
  for (const lane of state.lanes) total += lane.added - lane.removed;
  for (const offset of state.offsets) total -= offset.added - offset.removed;
  return total;
}

export type IncrementOutcome = { readonly state: CounterState } | 'lane-overflow';

/**
 * `amount` added by `actor` at its fresh dot `counter` (drawn by the coordinating replica).
 * 'lane-overflow' when the actor's sum of increments or of decrements would pass 2^64 - 1.
 */
export function increment(state: CounterState, actor: Actor, counter: number, amount: bigint): IncrementOutcome {
  assert(Number.isSafeInteger(counter) && counter >= 1, 'a fresh dot counter is an integer >= 1');
  const lanes = state.lanes.slice();
  let index = 0;
  while (index < lanes.length && compareActors((lanes[index] as CounterLane).actor, actor) < 0) index++;
  const existing = lanes[index]?.actor === actor ? lanes[index] : undefined;
  assert(existing === undefined || existing.counter < counter, 'a fresh dot is above the actor\'s lane');
  const added = (existing?.added ?? 0n) + (amount > 0n ? amount : 0n);
  const removed = (existing?.removed ?? 0n) + (amount < 0n ? -amount : 0n);
  if (added > LANE_SUM_MAX || removed > LANE_SUM_MAX) return 'lane-overflow';
  const lane: CounterLane = { actor, counter, added, removed };
  lanes.splice(index, existing === undefined ? 0 : 1, lane);
  return { state: { lanes, offsets: state.offsets } };
}

/**
 * A reset that observed `observed` (null: everything this replica holds, a blind SET): every lane
 * whose latest dot it covers becomes its actor's offset, so the delta of what it saw is zero.
 */
export function resetCounter(state: CounterState, observed: VersionVector | null): CounterState {
  const seen = state.lanes.filter((lane) => observed === null || lane.counter <= vectorCounter(observed, lane.actor));
  if (seen.length === 0) return state;
  return joinCounters(state, { lanes: [], offsets: seen });
}

/** The first way a state breaks its invariants, or undefined (pair assertion with the codec). */
export function counterProblem(state: CounterState): string | undefined {
  for (const list of [state.lanes, state.offsets]) {
    for (let i = 0; i < list.length; i++) {
      const lane = list[i] as CounterLane;
      if (i > 0 && compareActors((list[i - 1] as CounterLane).actor, lane.actor) >= 0) return `lanes not sorted by actor at ${String(i)}`;
      if (!Number.isSafeInteger(lane.counter) || lane.counter < 1) return `lane ${lane.actor} has a bad dot counter`;
      if (lane.added < 0n || lane.added > LANE_SUM_MAX || lane.removed < 0n || lane.removed > LANE_SUM_MAX) return `lane ${lane.actor} has a sum out of range`;
    }
  }
  let j = 0;
  for (const offset of state.offsets) {
    while (j < state.lanes.length && compareActors((state.lanes[j] as CounterLane).actor, offset.actor) < 0) j++;
    const lane = state.lanes[j];
    if (lane?.actor !== offset.actor) return `offset of ${offset.actor} has no lane`;
    if (offset.counter > lane.counter || offset.added > lane.added || offset.removed > lane.removed) return `offset of ${offset.actor} is above its lane`;
  }
  return undefined;
}
