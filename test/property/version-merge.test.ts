/**
 * merge is the one join of every repair path, so its laws are checked on *reachable* states:
 * a few replicas do coordinated puts (blind, or with a context some client read earlier) and sync
 * with each other in random orders, exactly as the coordinator and repair paths would.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compareRecency, compareVectors, coordinatedPut, covers, isExpired, joinVectors, merge, resolve, versionedProblem,
} from '../../src/version/index.js';
import type { Dot, Sibling, Versioned, VersionVector } from '../../src/version/index.js';

/** Includes non-ASCII actors so byte order (not UTF-16 order) is exercised. */
const ACTORS = ['n1.a', 'n2.b', 'n\u00e9.c', '\u{1F600}.d'];

type Operation =
  | { kind: 'put'; replica: number; contextFrom: number | null; value: number; timestampMs: number; tombstone: boolean; ttlMs: number | null }
  | { kind: 'sync'; from: number; to: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constant('put' as const),
    replica: fc.nat(ACTORS.length - 1),
    contextFrom: fc.option(fc.nat(), { nil: null }),
    value: fc.nat(9),
    timestampMs: fc.integer({ min: 0, max: 12 }),
    tombstone: fc.nat(5).map((n) => n === 0),
    ttlMs: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null, freq: 4 }),
  }),
  fc.record({ kind: fc.constant('sync' as const), from: fc.nat(ACTORS.length - 1), to: fc.nat(ACTORS.length - 1) }),
);

interface History {
  /** Every state any replica held, in order. */
  readonly states: Versioned[];
  /** The final state of each replica that holds anything. */
  readonly finals: Versioned[];
  /** Every write with the vector it superseded (its client context, or the local context if blind). */
  readonly writes: { readonly dot: Dot; readonly supersedes: VersionVector }[];
}

function simulate(operations: readonly Operation[]): History {
  const replicas: (Versioned | undefined)[] = ACTORS.map(() => undefined);
  const counters = ACTORS.map(() => 0);
  const states: Versioned[] = [];
  const writes: History['writes'][number][] = [];
  for (const op of operations) {
    if (op.kind === 'sync') {
      const from = replicas[op.from];
      if (from === undefined) continue;
      const to = replicas[op.to];
      replicas[op.to] = to === undefined ? from : merge(to, from);
    } else {
      const local = replicas[op.replica];
      const counter = (counters[op.replica] ?? 0) + 1;
      counters[op.replica] = counter;
      const dot = { actor: ACTORS[op.replica] as string, counter };
      const context = op.contextFrom === null ? null : (states[op.contextFrom % Math.max(1, states.length)]?.context ?? []);
      writes.push({ dot, supersedes: context ?? local?.context ?? [] });
      replicas[op.replica] = coordinatedPut(local, {
        value: op.tombstone ? null : Uint8Array.of(op.value),
        context,
        dot,
        timestampMs: op.timestampMs,
        expiresAtMs: op.ttlMs === null ? null : op.timestampMs + op.ttlMs,
      });
    }
    const changed = replicas[op.kind === 'sync' ? op.to : op.replica];
    if (changed !== undefined) states.push(changed);
  }
  return { states, finals: replicas.filter((state) => state !== undefined), writes };
}

/** The sorted plain form: deep equality of it is equality of states. */
function canonical(versioned: Versioned): unknown {
  return {
    context: versioned.context.map((entry) => [entry.actor, entry.counter]),
    siblings: versioned.siblings.map((sibling) => [
      sibling.dot.actor, sibling.dot.counter, sibling.timestampMs, sibling.expiresAtMs, sibling.value === null ? null : [...sibling.value],
    ]),
  };
}

const isEqual = (x: unknown, y: unknown): boolean => JSON.stringify(x) === JSON.stringify(y);
const key = (dot: Dot): string => `${dot.actor}/${dot.counter}`;
const history = fc.array(operation, { minLength: 1, maxLength: 40 }).map(simulate).filter((h) => h.states.length > 0);
const pick = (states: readonly Versioned[], index: number): Versioned => states[index % states.length] as Versioned;
const RUNS = { numRuns: 300 };

describe('merge on reachable states', () => {
  it('is commutative, associative and idempotent, and keeps states canonical', () => {
    fc.assert(fc.property(history, fc.nat(), fc.nat(), fc.nat(), (h, i, j, k) => {
      const [a, b, c] = [pick(h.states, i), pick(h.states, j), pick(h.states, k)];
      const ab = merge(a, b);
      expect(versionedProblem(ab)).toBeUndefined();
      expect(canonical(ab)).toEqual(canonical(merge(b, a)));
      expect(canonical(merge(ab, c))).toEqual(canonical(merge(a, merge(b, c))));
      expect(canonical(merge(a, a))).toEqual(canonical(a));
      expect(canonical(merge(ab, b))).toEqual(canonical(ab));
    }), RUNS);
  });

  it('keeps every sibling the other side has not seen, and invents none', () => {
    fc.assert(fc.property(history, fc.nat(), fc.nat(), (h, i, j) => {
      const [a, b] = [pick(h.states, i), pick(h.states, j)];
      const merged = new Set(merge(a, b).siblings.map((sibling) => key(sibling.dot)));
      const inputs = new Set([...a.siblings, ...b.siblings].map((sibling) => key(sibling.dot)));
      for (const sibling of a.siblings) if (!covers(b.context, sibling.dot)) expect(merged.has(key(sibling.dot))).toBe(true);
      for (const sibling of b.siblings) if (!covers(a.context, sibling.dot)) expect(merged.has(key(sibling.dot))).toBe(true);
      for (const dot of merged) expect(inputs.has(dot)).toBe(true);
    }), RUNS);
  });

  it('never holds a write together with a dot that write superseded, after any merges', () => {
    fc.assert(fc.property(history, (h) => {
      const supersedes = new Map(h.writes.map((w) => [key(w.dot), w.supersedes]));
      const check = (state: Versioned): void => {
        for (const newer of state.siblings) {
          const past = supersedes.get(key(newer.dot)) ?? [];
          for (const older of state.siblings) expect(covers(past, older.dot)).toBe(false);
        }
      };
      h.states.forEach(check);
      for (const a of h.states) for (const b of h.finals) check(merge(a, b));
    }), RUNS);
  });

  it('after a full sync holds exactly the writes no other write superseded (no lost write)', () => {
    fc.assert(fc.property(history, (h) => {
      const synced = h.finals.reduce(merge);
      const survivors = h.writes
        .filter((w) => !h.writes.some((other) => covers(other.supersedes, w.dot)))
        .map((w) => key(w.dot))
        .sort();
      expect(synced.siblings.map((sibling) => key(sibling.dot)).sort()).toEqual(survivors);
      for (const w of h.writes) expect(covers(synced.context, w.dot)).toBe(true);
    }), RUNS);
  });
});

describe('vectors of reachable states', () => {
  it('compareVectors agrees with joinVectors', () => {
    fc.assert(fc.property(history, fc.nat(), fc.nat(), (h, i, j) => {
      const [a, b] = [pick(h.states, i).context, pick(h.states, j).context];
      const joined = canonical({ context: joinVectors(a, b), siblings: [] });
      const joinIsA = canonical({ context: a, siblings: [] });
      const joinIsB = canonical({ context: b, siblings: [] });
      const order = compareVectors(a, b);
      expect(order === 'equal' || order === 'after').toBe(isEqual(joined, joinIsA));
      expect(order === 'equal' || order === 'before').toBe(isEqual(joined, joinIsB));
      expect(compareVectors(b, a)).toBe({ before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' }[order]);
    }), RUNS);
  });
});

describe('resolve', () => {
  it('is deterministic: the newest unexpired sibling whatever the merge order, undefined for a tombstone', () => {
    fc.assert(fc.property(history, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 25 }), (h, i, j, nowMs) => {
      const [a, b] = [pick(h.states, i), pick(h.states, j)];
      const ab = merge(a, b);
      const winner = resolve(ab, nowMs);
      expect(winner?.dot).toEqual(resolve(merge(b, a), nowMs)?.dot);
      const unexpired: Sibling[] = ab.siblings.filter((sibling) => !isExpired(sibling, nowMs));
      const newest = unexpired.sort(compareRecency)[0];
      expect(winner).toBe(newest?.value === null ? undefined : newest);
    }), RUNS);
  });
});
