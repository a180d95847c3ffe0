/**
 * The counter's join on *reachable* states: replicas coordinate increments under their own actor,
 * reset with what they (or a client's older read) observed, and sync in random orders, with
 * duplicated and replayed states. Checks the lattice laws, and that after everyone has synced
 * the value counts every increment exactly once unless a reset observed it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_COUNTER, counterDelta, counterProblem, decodeCounter, encodeCounter, increment, joinCounters, resetCounter,
} from '../../src/datatypes/index.js';
import type { CounterState } from '../../src/datatypes/index.js';
import { RingcacheError } from '../../src/runtime/index.js';
import type { VersionVector } from '../../src/version/index.js';
import { byteMutation, mutate } from '../support/byte-mutation.js';

const ACTORS = ['n1.a', 'n2.b', 'n\u00e9.c', '\u{1F600}.d'];

type Operation =
  | { kind: 'increment'; replica: number; amount: bigint; gap: number }
  | { kind: 'reset'; replica: number; observedFrom: number }
  | { kind: 'sync'; from: number; to: number };

const replica = fc.nat(ACTORS.length - 1);
const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('increment' as const), replica,
      amount: fc.oneof(fc.bigInt({ min: -5n, max: 5n }), fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n })),
      gap: fc.nat(3),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('reset' as const), replica, observedFrom: replica }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('sync' as const), from: replica, to: replica }), weight: 3 },
);

interface Increment {
  readonly actor: string;
  readonly counter: number;
  readonly amount: bigint;
}

interface Run {
  readonly states: CounterState[];
  readonly replicas: CounterState[];
  readonly increments: Increment[];
  /** Per actor, the highest dot counter a reset observed: increments at or below it were reset. */
  readonly resetUpTo: Map<string, number>;
}

function observedVector(state: CounterState): VersionVector {
  return state.lanes.map((lane) => ({ actor: lane.actor, counter: lane.counter }));
}

function play(operations: readonly Operation[]): Run {
  const replicas: CounterState[] = ACTORS.map(() => EMPTY_COUNTER);
  const next = ACTORS.map(() => 0);
  const states: CounterState[] = [EMPTY_COUNTER];
  const increments: Increment[] = [];
  const resetUpTo = new Map<string, number>();
  for (const step of operations) {
    if (step.kind === 'increment') {
      const actor = ACTORS[step.replica] as string;
      const counter = (next[step.replica] as number) + 1 + step.gap;
      next[step.replica] = counter;
      const outcome = increment(replicas[step.replica] as CounterState, actor, counter, step.amount);
      if (outcome === 'lane-overflow') continue;
      replicas[step.replica] = outcome.state;
      increments.push({ actor, counter, amount: step.amount });
    } else if (step.kind === 'reset') {
      const local = replicas[step.replica] as CounterState;
      const observed = observedVector(replicas[step.observedFrom] as CounterState);
      const after = resetCounter(local, observed);
      for (const lane of local.lanes) {
        const seen = observed.find((entry) => entry.actor === lane.actor)?.counter ?? 0;
        if (lane.counter <= seen) resetUpTo.set(lane.actor, Math.max(resetUpTo.get(lane.actor) ?? 0, lane.counter));
      }
      replicas[step.replica] = after;
    } else {
      replicas[step.to] = joinCounters(replicas[step.to] as CounterState, replicas[step.from] as CounterState);
    }
    states.push(...replicas);
  }
  return { states, replicas, increments, resetUpTo };
}

const SAMPLE = { numRuns: 300 };
const history = fc.array(operation, { maxLength: 40 }).map(play);
const threeStates = fc.tuple(history, fc.nat(), fc.nat(), fc.nat()).map(([run, i, j, k]) => {
  const pick = (n: number): CounterState => run.states[n % run.states.length] as CounterState;
  return [pick(i), pick(j), pick(k)] as const;
});

function same(a: CounterState, b: CounterState): void {
  expect(encodeCounter(a).equals(encodeCounter(b))).toBe(true);
}

describe('counter join', () => {
  it('is commutative, associative and idempotent on reachable states, and keeps the invariants', () => {
    fc.assert(fc.property(threeStates, ([a, b, c]) => {
      same(joinCounters(a, b), joinCounters(b, a));
      same(joinCounters(joinCounters(a, b), c), joinCounters(a, joinCounters(b, c)));
      same(joinCounters(a, a), a);
      expect(joinCounters(a, a)).toBe(a);
      expect(counterProblem(joinCounters(a, b))).toBeUndefined();
    }), SAMPLE);
  });

  it('after every replica has synced, counts each increment once unless a reset observed it, whatever the duplicates', () => {
    fc.assert(fc.property(history, fc.nat(5), ({ replicas, increments, resetUpTo, states }, replays) => {
      let converged = EMPTY_COUNTER;
      for (const state of replicas) converged = joinCounters(converged, state);
      // Replaying any old state (a duplicate message, a hint, an anti-entropy transfer) changes nothing.
      for (let i = 0; i < replays && states.length > 0; i++) converged = joinCounters(converged, states[(i * 7919) % states.length] as CounterState);
      let expected = 0n;
      for (const event of increments) if (event.counter > (resetUpTo.get(event.actor) ?? 0)) expected += event.amount;
      expect(counterDelta(converged)).toBe(expected);
      for (const state of replicas) same(joinCounters(state, converged), converged);
    }), SAMPLE);
  });

  it('a reset that observed nothing of a concurrent increment leaves it counted', () => {
    const a = increment(EMPTY_COUNTER, 'n1', 1, 10n);
    if (a === 'lane-overflow') throw new Error('unexpected');
    const b = increment(a.state, 'n2', 1, 5n);
    if (b === 'lane-overflow') throw new Error('unexpected');
    // n1 resets what it holds (its own 10); n2 concurrently added 5 and then 2 more on its side.
    const reset = resetCounter(a.state, null);
    const more = increment(b.state, 'n2', 2, 2n);
    if (more === 'lane-overflow') throw new Error('unexpected');
    expect(counterDelta(reset)).toBe(0n);
    expect(counterDelta(joinCounters(reset, more.state))).toBe(7n);
  });

  it('refuses a lane past 2^64 - 1', () => {
    const big = increment(EMPTY_COUNTER, 'n1', 1, 2n ** 63n);
    if (big === 'lane-overflow') throw new Error('unexpected');
    const again = increment(big.state, 'n1', 2, 2n ** 63n - 1n);
    if (again === 'lane-overflow') throw new Error('unexpected');
    expect(increment(again.state, 'n1', 3, 1n)).toBe('lane-overflow');
  });
});

describe('counter codec', () => {
  it('round-trips every reachable state, one encoding per state', () => {
    fc.assert(fc.property(history, ({ states }) => {
      for (const state of states) {
        const bytes = encodeCounter(state);
        const decoded = decodeCounter(bytes);
        expect(decoded).toEqual(state);
        expect(encodeCounter(decoded).equals(bytes)).toBe(true);
      }
    }), { numRuns: 100 });
  });

  it('mutated bytes decode to a state that keeps the invariants, or fail with RC_ERR_PROTOCOL only', () => {
    fc.assert(fc.property(history, fc.nat(), fc.array(byteMutation, { minLength: 1, maxLength: 4 }), ({ states }, pick, mutations) => {
      const bytes = encodeCounter(states[pick % states.length] as CounterState);
      const mutated = mutate(bytes, mutations);
      try {
        expect(counterProblem(decodeCounter(mutated))).toBeUndefined();
      } catch (error) {
        expect(error).toBeInstanceOf(RingcacheError);
        expect((error as RingcacheError).code).toBe('RC_ERR_PROTOCOL');
      }
    }), { numRuns: 500 });
  });
});
