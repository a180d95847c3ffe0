/**
 * Hashes, sets and sorted sets on *reachable* states: replicas apply HSET, HDEL, HINCRBY, HINCRBYFLOAT, SADD, SREM,
 * ZADD, ZINCRBY, ZREM, ZPOPMIN, PEXPIREAT, PERSIST and
 * DEL (a tombstone with what the replica holds as context) under their own actors with the real
 * coordinator code, and sync with the one `merge` in random orders. Checks the lattice laws, the
 * wire codec, and the ORSWOT rule itself: after everyone has synced, an element holds exactly
 * the adds no operation observed and removed (an add concurrent with a remove survives).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectionOf, coordinatedOperation, parseOperation } from '../../src/datatypes/index.js';
import type { Collection, CollectionOperation, OperationName } from '../../src/datatypes/index.js';
import { RingcacheError } from '../../src/runtime/index.js';
import {
  EMPTY_VERSIONED, VERSION_DEFAULTS, coordinatedPut, decodeVersioned, encodeVersioned, isDead, merge, versionedProblem,
} from '../../src/version/index.js';
import type { Versioned } from '../../src/version/index.js';
import { byteMutation, mutate } from '../support/byte-mutation.js';

const ACTORS = ['n1.a', 'n2.b', 'n3.c'];
const MEMBERS = ['a', 'b', 'c'];

type Step =
  | { kind: 'operation'; replica: number; name: OperationName; member: number; value: number }
  | { kind: 'delete'; replica: number }
  | { kind: 'sync'; from: number; to: number };

const replica = fc.nat(ACTORS.length - 1);
const member = fc.nat(MEMBERS.length - 1);
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('operation' as const), replica, name: fc.constantFrom<OperationName>('hset', 'hdel', 'hincrby', 'hincrbyfloat'), member, value: fc.integer({ min: -9, max: 9 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('operation' as const), replica, name: fc.constantFrom<OperationName>('sadd', 'srem'), member, value: fc.constant(0) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('operation' as const), replica, name: fc.constantFrom<OperationName>('zadd', 'zincrby', 'zrem', 'zpopmin'), member, value: fc.integer({ min: -9, max: 9 }) }), weight: 2 },
  // Expiries a few steps ahead (each step is 1 ms), so some fire during the history and some not.
  { arbitrary: fc.record({ kind: fc.constant('operation' as const), replica, name: fc.constantFrom<OperationName>('pexpireat', 'persist'), member, value: fc.integer({ min: -2, max: 12 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), replica }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('sync' as const), from: replica, to: replica }), weight: 4 },
);

interface Run {
  readonly states: Versioned[];
  readonly replicas: Versioned[];
  /** Every add dot minted, as "type member actor counter". */
  readonly added: Set<string>;
  /** Adds some operation observed at its replica and removed or replaced there. */
  readonly removed: Set<string>;
}

function addsOf(state: Versioned): Set<string> {
  const adds = new Set<string>();
  for (const collection of state.collections ?? []) {
    for (const element of collection.elements) {
      for (const entry of element.dots) adds.add(`${collection.type} ${Buffer.from(element.member).toString()} ${entry.dot.actor} ${String(entry.dot.counter)}`);
    }
  }
  return adds;
}

function operationOf(name: OperationName, memberIndex: number, value: number, nowMs = 0): CollectionOperation {
  if (name === 'pexpireat' || name === 'persist') {
    const parsed = parseOperation(name, name === 'persist' ? [] : [Buffer.from(String(nowMs + value))], VERSION_DEFAULTS);
    if (typeof parsed === 'string') throw new Error(`unexpected refusal ${parsed}`);
    return parsed;
  }
  const memberBytes = Buffer.from(MEMBERS[memberIndex] as string);
  // Fractions for the float counters, so their lanes hold sums that are not integers.
  const number = Buffer.from(name === 'hincrbyfloat' || name === 'zincrby' ? String(value / 4) : String(value));
  const args = name === 'hset' || name === 'hincrby' || name === 'hincrbyfloat' ? [memberBytes, number]
    : name === 'zadd' || name === 'zincrby' ? [number, memberBytes]
      : name === 'zpopmin' ? [] : [memberBytes];
  const parsed = parseOperation(name, args, VERSION_DEFAULTS);
  if (typeof parsed === 'string') throw new Error(`unexpected refusal ${parsed}`);
  return parsed;
}

function play(steps: readonly Step[]): Run {
  const replicas: Versioned[] = ACTORS.map(() => EMPTY_VERSIONED);
  const typed = ACTORS.map(() => 0);
  const plain = ACTORS.map(() => 0);
  const states: Versioned[] = [EMPTY_VERSIONED];
  const added = new Set<string>();
  const removed = new Set<string>();
  let nowMs = 1000;
  for (const next of steps) {
    nowMs += 1;
    if (next.kind === 'sync') {
      replicas[next.to] = merge(replicas[next.to] as Versioned, replicas[next.from] as Versioned);
    } else {
      const index = next.replica;
      const local = replicas[index] as Versioned;
      const before = addsOf(local);
      let after: Versioned;
      if (next.kind === 'delete') {
        plain[index] = (plain[index] as number) + 1;
        after = coordinatedPut(local, { value: null, context: local.context, dot: { actor: ACTORS[index] as string, counter: plain[index] }, timestampMs: nowMs, expiresAtMs: null });
      } else {
        const dot = { actor: `${ACTORS[index] as string}.t`, counter: (typed[index] as number) + 1 };
        const result = coordinatedOperation(local, operationOf(next.name, next.member, next.value, nowMs), dot, nowMs, VERSION_DEFAULTS, () => 0);
        if (result.outcome !== 'ok') continue;
        if (result.changed) typed[index] = dot.counter;
        after = result.versioned;
      }
      const now = addsOf(after);
      for (const add of before) if (!now.has(add)) removed.add(add);
      for (const add of now) added.add(add);
      replicas[index] = after;
    }
    states.push(...replicas);
  }
  return { states, replicas, added, removed };
}

const SAMPLE = { numRuns: 300 };
const history = fc.array(step, { maxLength: 40 }).map(play);
const threeStates = fc.tuple(history, fc.nat(), fc.nat(), fc.nat()).map(([run, i, j, k]) => {
  const pick = (n: number): Versioned => run.states[n % run.states.length] as Versioned;
  return [pick(i), pick(j), pick(k)] as const;
});

function same(a: Versioned, b: Versioned): void {
  expect(encodeVersioned(a).equals(encodeVersioned(b))).toBe(true);
}

describe('hash and set merge', () => {
  it('is commutative, associative and idempotent on reachable states, and keeps the canonical form', () => {
    fc.assert(fc.property(threeStates, ([a, b, c]) => {
      same(merge(a, b), merge(b, a));
      same(merge(merge(a, b), c), merge(a, merge(b, c)));
      expect(merge(a, a)).toBe(a);
      expect(versionedProblem(merge(a, b))).toBeUndefined();
    }), SAMPLE);
  });

  it('after every replica has synced, keeps exactly the adds no operation observed and removed', () => {
    fc.assert(fc.property(history, ({ replicas, added, removed, states }) => {
      let converged = EMPTY_VERSIONED;
      for (const state of replicas) converged = merge(converged, state);
      // Replaying any old state (a duplicate, a hint, an anti-entropy transfer) changes nothing.
      for (let i = 0; i < 5 && states.length > 0; i++) converged = merge(converged, states[(i * 7919) % states.length] as Versioned);
      const expected = [...added].filter((add) => !removed.has(add)).sort();
      expect([...addsOf(converged)].sort()).toEqual(expected);
      for (const state of replicas) same(merge(state, converged), converged);
    }), SAMPLE);
  });

  it('an SADD concurrent with an SREM of the same member keeps it (add wins); an observed one is removed', () => {
    const limits = VERSION_DEFAULTS;
    const sadd = (state: Versioned, actor: string, counter: number): Versioned => {
      const result = coordinatedOperation(state, operationOf('sadd', 0, 0), { actor, counter }, 10, limits, () => 0);
      if (result.outcome !== 'ok') throw new Error(result.outcome);
      return result.versioned;
    };
    const srem = (state: Versioned): Versioned => {
      const result = coordinatedOperation(state, operationOf('srem', 0, 0), { actor: 'unused', counter: 1 }, 10, limits, () => 0);
      if (result.outcome !== 'ok') throw new Error(result.outcome);
      return result.versioned;
    };
    const base = sadd(EMPTY_VERSIONED, 'n1.t', 1);
    const readded = sadd(base, 'n2.t', 1);
    const removedThere = srem(base);
    const members = (state: Versioned): number => collectionOf(state.collections, 'set')?.elements.length ?? 0;
    expect(members(merge(readded, removedThere))).toBe(1);
    expect(members(merge(srem(readded), removedThere))).toBe(0);
    // Removing the last member leaves a tombstone: the key waits out the grace like a DEL, so a
    // replica that missed the remove cannot bring the member back after the key is collected.
    const emptied = srem(base);
    expect(emptied.siblings.map((sibling) => sibling.value)).toEqual([null]);
    expect(isDead(emptied, 10 + 999, 1000)).toBe(false);
    expect(isDead(emptied, 10 + 1000, 1000)).toBe(true);
  });
});

describe('collections in the versioned codec', () => {
  it('round-trips every reachable state, one encoding per state', () => {
    fc.assert(fc.property(history, ({ states }) => {
      for (const state of states) {
        const bytes = encodeVersioned(state);
        const decoded = decodeVersioned(bytes);
        expect(encodeVersioned(decoded).equals(bytes)).toBe(true);
        expect(decoded.collections?.map((collection: Collection) => collection.type)).toEqual(state.collections?.map((collection) => collection.type));
      }
    }), { numRuns: 100 });
  });

  it('mutated bytes decode to a canonical state, or fail with RC_ERR_PROTOCOL only', () => {
    fc.assert(fc.property(history, fc.nat(), fc.array(byteMutation, { minLength: 1, maxLength: 4 }), ({ states }, pick, mutations) => {
      const bytes = encodeVersioned(states[pick % states.length] as Versioned);
      try {
        expect(versionedProblem(decodeVersioned(mutate(bytes, mutations)))).toBeUndefined();
      } catch (error) {
        expect(error).toBeInstanceOf(RingcacheError);
        expect((error as RingcacheError).code).toBe('RC_ERR_PROTOCOL');
      }
    }), { numRuns: 500 });
  });

  it('refuses a collection over limits.collectionElementsMax and a member over limits.memberBytesMax', () => {
    let state: Versioned = EMPTY_VERSIONED;
    for (let i = 0; i < 3; i++) {
      const result = coordinatedOperation(state, operationOf('sadd', i, 0), { actor: 'n1.t', counter: i + 1 }, 10, VERSION_DEFAULTS, () => 0);
      if (result.outcome !== 'ok') throw new Error(result.outcome);
      state = result.versioned;
    }
    const bytes = encodeVersioned(state);
    expect(() => decodeVersioned(bytes, { ...VERSION_DEFAULTS, collectionElementsMax: 2 })).toThrow(/limits.collectionElementsMax/);
    expect(() => decodeVersioned(bytes, { ...VERSION_DEFAULTS, memberBytesMax: 0 })).toThrow(/limits.memberBytesMax/);
    const small = { ...VERSION_DEFAULTS, collectionElementsMax: 3 };
    expect(coordinatedOperation(state, { name: 'sadd', members: [Buffer.from('d')] }, { actor: 'n1.t', counter: 9 }, 10, small, () => 0).outcome).toBe('too-many-elements');
    expect(parseOperation('sadd', [Buffer.alloc(5)], { ...VERSION_DEFAULTS, memberBytesMax: 4 })).toBe('member-too-long');
  });
});
