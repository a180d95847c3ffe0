/**
 * A counter of doubles per hash field (HINCRBYFLOAT) and per sorted-set member (ZINCRBY): one
 * lane per actor holding that actor's running sum, and per actor an offset (the lane a reset
 * observed), as pn-counter.ts does for integers.
 *
 *   lanes    n1.7f.t: (dot 12, 2.75)   n2.a0.t: (dot 4, -0.5)      each actor's running sum
 *   offsets  n1.7f.t: (dot  9, 1.5)                                 what resets have seen of it
 *   delta    (2.75 - 1.5) + (-0.5) = 0.75
 *
 * Only the lane's own actor changes it, and each change draws a fresh dot, so of two lanes of one
 * actor the one with the higher dot counter is the later one and holds every increment of the
 * earlier. The join per actor is therefore the maximum by (dot counter, sum): a total order, so the
 * join is commutative, associative and idempotent on any input (the sum breaks ties only between
 * states no honest actor makes). Keeping the running sum instead of separate sums of positive and
 * negative increments keeps Redis's precision: the value is the same sequence of additions a
 * single Redis would do for one client's increments, where sums of magnitudes would lose small
 * increments under large ones that cancel.
 *
 * Sums are always finite: an increment whose lane or value would not be finite is written as a
 * plain value instead (hash-op.ts, zset-op.ts), so no lane can block a field for good. So is one
 * into a lane far larger than the value shows (a reset offset most of it, or another lane
 * cancels it): there the lane's rounding would swallow increments Redis would keep, since
 * Redis rounds at the value's magnitude, not the lane's.
 */
import { assert } from '../runtime/index.js';
import { actorLanesEqual, joinActorLanes } from './actor-lanes.js';
// The vector module itself, not version/index.js: version/dvv.ts joins these inside merge.
import type { Actor, VersionVector } from '../version/types.js';
import { compareActors, vectorCounter } from '../version/vector.js';

export interface FloatLane {
  readonly actor: Actor;
  /** The dot counter of the actor's latest increment here. */
  readonly counter: number;
  /** The actor's running sum of its increments here: finite, never -0. */
  readonly sum: number;
}

export interface FloatCounterState {
  /** Sorted by actor (byte order), one per actor. */
  readonly lanes: readonly FloatLane[];
  /** What resets observed, sorted by actor; each at most the lane of its actor by dot counter. */
  readonly offsets: readonly FloatLane[];
}

export const EMPTY_FLOAT_COUNTER: FloatCounterState = Object.freeze({ lanes: Object.freeze([]), offsets: Object.freeze([]) });

function laterLane(a: FloatLane, b: FloatLane): FloatLane {
  if (a.counter !== b.counter) return a.counter > b.counter ? a : b;
  return b.sum > a.sum ? b : a;
}

function joinLanes(a: readonly FloatLane[], b: readonly FloatLane[]): readonly FloatLane[] {
  return joinActorLanes(a, b, laterLane);
}

/** The join of lanes and of offsets, each per actor the later. Returns `a` itself when `b` adds nothing. */
export function joinFloatCounters(a: FloatCounterState, b: FloatCounterState): FloatCounterState {
  const lanes = joinLanes(a.lanes, b.lanes);
  const offsets = joinLanes(a.offsets, b.offsets);
  if (lanes === a.lanes && offsets === a.offsets) return a;
  return { lanes, offsets };
}

function sameSum(x: FloatLane, y: FloatLane): boolean {
  return x.sum === y.sum;
}

function lanesEqual(a: readonly FloatLane[], b: readonly FloatLane[]): boolean {
  return actorLanesEqual(a, b, sameSum);
}

export function floatCountersEqual(a: FloatCounterState, b: FloatCounterState): boolean {
  return a === b || (lanesEqual(a.lanes, b.lanes) && lanesEqual(a.offsets, b.offsets));
}

/** True when every lane is its own offset: nothing counts beyond what resets saw. */
export function isFloatFullyReset(state: FloatCounterState): boolean {
  return lanesEqual(state.lanes, state.offsets);
}

/**
 * What the lanes add beyond what resets subtracted, per actor then summed in actor order, so
 * every replica holding the same state computes the same double (and a fully reset actor adds 0).
 */
export function floatDelta(state: FloatCounterState): number {
  let total = 0;
  let j = 0;
  for (const lane of state.lanes) {
    while (j < state.offsets.length && compareActors((state.offsets[j] as FloatLane).actor, lane.actor) < 0) j++;
    const offset = state.offsets[j];
    total += offset?.actor === lane.actor ? lane.sum - offset.sum : lane.sum;
  }
  return total;
}

/** How much larger than the shown value (or the increment, or 1) a lane may grow: 2^20, 20 bits of precision. */
export const LANE_TO_VALUE_RATIO_MAX = 2 ** 20;

/**
 * `amount` added by `actor` at its fresh dot `counter` to a field that shows `shown`; undefined
 * when the lane's sum would not be finite or would pass LANE_TO_VALUE_RATIO_MAX (the caller then
 * writes the value as a plain add instead).
 */
export function incrementFloat(state: FloatCounterState, actor: Actor, counter: number, amount: number, shown: number): FloatCounterState | undefined {
  assert(Number.isSafeInteger(counter) && counter >= 1, 'a fresh dot counter is an integer >= 1');
  assert(Number.isFinite(amount), 'a float increment is finite');
  const lanes = state.lanes.slice();
  let index = 0;
  while (index < lanes.length && compareActors((lanes[index] as FloatLane).actor, actor) < 0) index++;
  const existing = lanes[index]?.actor === actor ? lanes[index] : undefined;
  assert(existing === undefined || existing.counter < counter, 'a fresh dot is above the actor\'s lane');
  // + 0 turns -0 into 0: one state, one form.
  const sum = (existing?.sum ?? 0) + amount + 0;
  if (!Number.isFinite(sum)) return undefined;
  if (Math.abs(sum) > LANE_TO_VALUE_RATIO_MAX * Math.max(Math.abs(shown), Math.abs(amount), 1)) return undefined;
  lanes.splice(index, existing === undefined ? 0 : 1, { actor, counter, sum });
  return { lanes, offsets: state.offsets };
}

/** A reset that observed `observed` (null: everything this replica holds): the lanes it saw become offsets. */
export function resetFloatCounter(state: FloatCounterState, observed: VersionVector | null): FloatCounterState {
  const seen = state.lanes.filter((lane) => observed === null || lane.counter <= vectorCounter(observed, lane.actor));
  if (seen.length === 0) return state;
  return joinFloatCounters(state, { lanes: [], offsets: seen });
}

/** The first way a state breaks its invariants, or undefined (pair assertion with the codec). */
export function floatCounterProblem(state: FloatCounterState): string | undefined {
  for (const list of [state.lanes, state.offsets]) {
    for (let i = 0; i < list.length; i++) {
      const lane = list[i] as FloatLane;
      if (i > 0 && compareActors((list[i - 1] as FloatLane).actor, lane.actor) >= 0) return `float lanes not sorted by actor at ${String(i)}`;
      if (!Number.isSafeInteger(lane.counter) || lane.counter < 1) return `float lane ${lane.actor} has a bad dot counter`;
      if (!Number.isFinite(lane.sum) || Object.is(lane.sum, -0)) return `float lane ${lane.actor} has a sum that is not finite (or is -0)`;
    }
  }
  let j = 0;
  for (const offset of state.offsets) {
    while (j < state.lanes.length && compareActors((state.lanes[j] as FloatLane).actor, offset.actor) < 0) j++;
    const lane = state.lanes[j];
    if (lane?.actor !== offset.actor) return `float offset of ${offset.actor} has no lane`;
    // Only the dot counter is ordered: a join of two valid states keeps it, whatever the sums.
    if (offset.counter > lane.counter) return `float offset of ${offset.actor} is above its lane`;
  }
  return undefined;
}
