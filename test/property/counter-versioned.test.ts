/**
 * Counters inside versions: replicas coordinate INCRBYs, blind SETs of integers and DELs with the
 * read's context, and sync through the one `merge` in random orders. merge keeps its laws with
 * counters present, every replica converges, and without a SET or DEL every increment is counted
 * exactly once whatever the duplicated syncs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coordinatedIncrement, counterView } from '../../src/datatypes/index.js';
import { EMPTY_VERSIONED, coordinatedPut, encodeVersioned, merge, versionedProblem } from '../../src/version/index.js';
import type { Versioned } from '../../src/version/index.js';

const ACTORS = ['n1.a', 'n2.b', 'n3.c'];
const NOW = 1000;

type Operation =
  | { kind: 'incr'; replica: number; amount: number }
  | { kind: 'set'; replica: number; value: number }
  | { kind: 'del'; replica: number }
  | { kind: 'sync'; from: number; to: number };

const replica = fc.nat(ACTORS.length - 1);
const operation = (writes: boolean): fc.Arbitrary<Operation> => fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('incr' as const), replica, amount: fc.integer({ min: -9, max: 9 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('set' as const), replica, value: fc.integer({ min: -50, max: 50 }) }), weight: writes ? 1 : 0 },
  { arbitrary: fc.record({ kind: fc.constant('del' as const), replica }), weight: writes ? 1 : 0 },
  { arbitrary: fc.record({ kind: fc.constant('sync' as const), from: replica, to: replica }), weight: 4 },
);

interface Run {
  readonly states: Versioned[];
  readonly replicas: Versioned[];
  readonly incremented: bigint;
}

function play(operations: readonly Operation[]): Run {
  const replicas: Versioned[] = ACTORS.map(() => EMPTY_VERSIONED);
  const counters = ACTORS.map(() => 0);
  const states: Versioned[] = [];
  let incremented = 0n;
  for (const step of operations) {
    if (step.kind === 'sync') {
      replicas[step.to] = merge(replicas[step.to] as Versioned, replicas[step.from] as Versioned);
    } else {
      const local = replicas[step.replica] as Versioned;
      const dot = { actor: ACTORS[step.replica] as string, counter: ++(counters[step.replica] as number) };
      counters[step.replica] = dot.counter;
      if (step.kind === 'incr') {
        const result = coordinatedIncrement(local, BigInt(step.amount), dot, NOW);
        expect(typeof result).not.toBe('string');
        if (typeof result === 'string') continue;
        replicas[step.replica] = result.versioned;
        incremented += BigInt(step.amount);
      } else {
        const value = step.kind === 'set' ? Buffer.from(String(step.value)) : null;
        replicas[step.replica] = coordinatedPut(local, { value, context: step.kind === 'del' ? local.context : null, dot, timestampMs: NOW + dot.counter, expiresAtMs: null });
      }
    }
    states.push(...replicas);
  }
  return { states, replicas, incremented };
}

const same = (a: Versioned, b: Versioned): boolean => encodeVersioned(a).equals(encodeVersioned(b));

function converge(replicas: readonly Versioned[]): Versioned {
  return replicas.reduce((joined, state) => merge(joined, state), EMPTY_VERSIONED);
}

describe('merge with counters', () => {
  it('is commutative, associative and idempotent on reachable states, and keeps them canonical', () => {
    const picked = fc.tuple(fc.array(operation(true), { minLength: 1, maxLength: 40 }).map(play), fc.nat(), fc.nat(), fc.nat());
    fc.assert(fc.property(picked, ([{ states }, i, j, k]) => {
      const [a, b, c] = [i, j, k].map((n) => states[n % states.length] as Versioned) as [Versioned, Versioned, Versioned];
      expect(same(merge(a, b), merge(b, a))).toBe(true);
      expect(same(merge(merge(a, b), c), merge(a, merge(b, c)))).toBe(true);
      expect(merge(a, a)).toBe(a);
      expect(versionedProblem(merge(a, b))).toBeUndefined();
    }), { numRuns: 300 });
  });

  it('replicas converge, and without SET or DEL every increment is counted exactly once', () => {
    fc.assert(fc.property(fc.array(operation(false), { maxLength: 60 }).map(play), fc.nat(20), ({ replicas, states, incremented }, replays) => {
      let converged = converge(replicas);
      for (let i = 0; i < replays && states.length > 0; i++) converged = merge(converged, states[(i * 31) % states.length] as Versioned);
      for (const state of replicas) expect(same(merge(state, converged), converged)).toBe(true);
      const view = counterView(converged, NOW);
      expect(view.kind === 'integer' ? view.value : view.kind === 'absent' ? 0n : undefined).toBe(incremented);
    }), { numRuns: 300 });
  });

  it('with SETs and DELs too, every order of syncing reaches the same state and the same value', () => {
    fc.assert(fc.property(fc.array(operation(true), { maxLength: 60 }).map(play), ({ replicas }) => {
      const forward = converge(replicas);
      const backward = converge([...replicas].reverse());
      expect(same(forward, backward)).toBe(true);
      expect(counterView(forward, NOW)).toEqual(counterView(backward, NOW));
    }), { numRuns: 300 });
  });
});
