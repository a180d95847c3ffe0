/**
 * HINCRBYFLOAT and ZINCRBY as counters of doubles (src/datatypes/float-counter.ts): the join's
 * lattice laws on arbitrary states, and on states reached by real operations at three replicas
 * that sync in random orders (with duplicates and replays), every increment counted exactly once.
 * Amounts are multiples of 1/4, so every sum is exact and "exactly once" is an equality.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  collectionOf, coordinatedOperation, fieldView, floatCounterProblem, joinFloatCounters, parseOperation, scoreOf,
} from '../../src/datatypes/index.js';
import type { FloatCounterState, FloatLane, OperationName } from '../../src/datatypes/index.js';
import { EMPTY_VERSIONED, VERSION_DEFAULTS, encodeVersioned, merge } from '../../src/version/index.js';
import type { Versioned } from '../../src/version/index.js';

const ACTORS = ['n1.a.t', 'n2.b.t', 'n3.c.t'];

const lane = (actor: string): fc.Arbitrary<FloatLane> => fc.record({
  actor: fc.constant(actor), counter: fc.integer({ min: 1, max: 6 }), sum: fc.integer({ min: -40, max: 40 }).map((n) => n / 4 + 0),
});
const floatState: fc.Arbitrary<FloatCounterState> = fc.tuple(
  fc.subarray(ACTORS, { minLength: 1 }), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
).chain(([actors, withOffset]) => fc.tuple(...actors.map((actor) => lane(actor))).chain((lanes) => fc.tuple(
  fc.constant(lanes),
  fc.tuple(...lanes.map((owned, index) => (withOffset[index] === true
    ? fc.integer({ min: 1, max: owned.counter }).map((counter) => [{ ...owned, counter, sum: counter === owned.counter ? owned.sum : owned.sum - 1 }])
    : fc.constant([])))),
))).map(([lanes, offsets]) => ({ lanes, offsets: offsets.flat() }));

function same(a: FloatCounterState, b: FloatCounterState): void {
  expect(a).toEqual(b);
}

describe('counter of doubles: the join', () => {
  it('is commutative, associative and idempotent, and keeps the invariants', () => {
    fc.assert(fc.property(floatState, floatState, floatState, (a, b, c) => {
      same(joinFloatCounters(a, b), joinFloatCounters(b, a));
      same(joinFloatCounters(joinFloatCounters(a, b), c), joinFloatCounters(a, joinFloatCounters(b, c)));
      expect(joinFloatCounters(a, a)).toBe(a);
      expect(floatCounterProblem(joinFloatCounters(a, b))).toBeUndefined();
    }), { numRuns: 500 });
  });
});

type Step = { kind: 'increment'; replica: number; name: OperationName; quarters: number } | { kind: 'sync'; from: number; to: number };

const replica = fc.nat(ACTORS.length - 1);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('increment' as const), replica, name: fc.constantFrom<OperationName>('hincrbyfloat', 'zincrby'), quarters: fc.integer({ min: -20, max: 20 }) }),
  fc.record({ kind: fc.constant('sync' as const), from: replica, to: replica }),
);

const FIELD = Buffer.from('f');

function apply(state: Versioned, name: OperationName, args: Buffer[], actor: string, counter: number): Versioned {
  const operation = parseOperation(name, args, VERSION_DEFAULTS);
  if (typeof operation === 'string') throw new Error(operation);
  const result = coordinatedOperation(state, operation, { actor, counter }, 1000 + counter, VERSION_DEFAULTS, () => 0);
  if (result.outcome !== 'ok') throw new Error(result.outcome);
  return result.versioned;
}

function shown(state: Versioned): { hash: number; zset: number } {
  const field = collectionOf(state.collections, 'hash')?.elements.find((element) => Buffer.from(element.member).equals(FIELD));
  const member = collectionOf(state.collections, 'zset')?.elements.find((element) => Buffer.from(element.member).equals(FIELD));
  const view = fieldView(field);
  return { hash: view.kind === 'float' ? view.value : 0, zset: scoreOf(member) ?? 0 };
}

describe('HINCRBYFLOAT and ZINCRBY at three replicas', () => {
  it('count every increment exactly once after everyone syncs, whatever the order, duplicates and replays', () => {
    fc.assert(fc.property(fc.array(step, { maxLength: 50 }), fc.nat(), (steps, replay) => {
      // Each replica holds a hash and a zset under two keys' worth of state in one Versioned per type.
      const replicas = { hash: ACTORS.map((): Versioned => EMPTY_VERSIONED), zset: ACTORS.map((): Versioned => EMPTY_VERSIONED) };
      const counters = ACTORS.map(() => 0);
      const seen: Versioned[] = [];
      const total = { hash: 0, zset: 0 };
      for (const next of steps) {
        for (const type of ['hash', 'zset'] as const) {
          if (next.kind === 'sync') replicas[type][next.to] = merge(replicas[type][next.to] as Versioned, replicas[type][next.from] as Versioned);
        }
        if (next.kind !== 'increment') continue;
        const type = next.name === 'hincrbyfloat' ? 'hash' : 'zset';
        const amount = Buffer.from(String(next.quarters / 4));
        counters[next.replica] = (counters[next.replica] as number) + 1;
        const args = type === 'hash' ? [FIELD, amount] : [amount, FIELD];
        replicas[type][next.replica] = apply(replicas[type][next.replica] as Versioned, next.name, args, ACTORS[next.replica] as string, counters[next.replica] as number);
        seen.push(replicas[type][next.replica] as Versioned);
        total[type] += next.quarters / 4;
      }
      for (const type of ['hash', 'zset'] as const) {
        let converged = EMPTY_VERSIONED;
        for (const state of replicas[type]) converged = merge(converged, state);
        for (let i = 0; i < 4 && seen.length > 0; i++) converged = merge(converged, seen[(replay + i * 31) % seen.length] as Versioned);
        expect(shown(converged)[type]).toBe(total[type]);
        for (const state of replicas[type]) expect(encodeVersioned(merge(state, converged)).equals(encodeVersioned(converged))).toBe(true);
      }
    }), { numRuns: 300 });
  });

  it('a reset counts what it did not observe: HSET 7 against a concurrent +0.5 gives 7.5, ZADD likewise', () => {
    const base = apply(EMPTY_VERSIONED, 'hincrbyfloat', [FIELD, Buffer.from('1.25')], 'n1.a.t', 1);
    const reset = apply(base, 'hset', [FIELD, Buffer.from('7')], 'n1.a.t', 2);
    const concurrent = apply(base, 'hincrbyfloat', [FIELD, Buffer.from('0.5')], 'n2.b.t', 1);
    expect(shown(merge(reset, concurrent)).hash).toBe(7.5);
    const zbase = apply(EMPTY_VERSIONED, 'zincrby', [Buffer.from('1.25'), FIELD], 'n1.a.t', 1);
    const zreset = apply(zbase, 'zadd', [Buffer.from('7'), FIELD], 'n1.a.t', 2);
    const zconcurrent = apply(zbase, 'zincrby', [Buffer.from('0.5'), FIELD], 'n2.b.t', 1);
    expect(shown(merge(zreset, zconcurrent)).zset).toBe(7.5);
  });

  it('an increment to an infinite score is a ZADD of it, and one from it gives NaN refused', () => {
    const infinite = apply(EMPTY_VERSIONED, 'zincrby', [Buffer.from('inf'), FIELD], 'n1.a.t', 1);
    expect(shown(infinite).zset).toBe(Number.POSITIVE_INFINITY);
    expect(collectionOf(infinite.collections, 'zset')?.elements[0]?.floats).toBeUndefined();
    const operation = parseOperation('zincrby', [Buffer.from('-inf'), FIELD], VERSION_DEFAULTS);
    if (typeof operation === 'string') throw new Error(operation);
    expect(coordinatedOperation(infinite, operation, { actor: 'n1.a.t', counter: 2 }, 1, VERSION_DEFAULTS, () => 0).outcome).toBe('nan-score');
  });
});
