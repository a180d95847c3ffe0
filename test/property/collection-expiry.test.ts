/**
 * Expiry of a whole hash, set or sorted set (src/datatypes/collection-expiry.ts) with the real
 * coordinator code: one replica against a model of Redis's semantics (the key goes at its expiry,
 * a write after it starts a new key without expiry), and replicas that miss an expiry, or miss
 * adds made before it, against the rule that no element of the old key comes back through merge.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  collectionExpiryMs, collectionOf, coordinatedOperation, expiryCutMs, joinExpiry, parseOperation, pendingExpiryMs, presentElements,
} from '../../src/datatypes/index.js';
import type { CollectionExpiry, OperationName } from '../../src/datatypes/index.js';
import { EMPTY_VERSIONED, VERSION_DEFAULTS, decodeVersioned, encodeVersioned, isDead, merge, versionedProblem } from '../../src/version/index.js';
import type { Versioned } from '../../src/version/index.js';

const MEMBERS = ['a', 'b', 'c'];

function apply(state: Versioned, actor: string, counter: number, name: OperationName, args: readonly string[], nowMs: number): { state: Versioned; answer: bigint | undefined } {
  const parsed = parseOperation(name, args.map((arg) => Buffer.from(arg)), VERSION_DEFAULTS);
  if (typeof parsed === 'string') throw new Error(`refused ${parsed}`);
  const result = coordinatedOperation(state, parsed, { actor, counter }, nowMs, VERSION_DEFAULTS, () => 0);
  if (result.outcome !== 'ok') throw new Error(result.outcome);
  return { state: result.versioned, answer: result.answer.integer };
}

function members(state: Versioned, nowMs: number): string[] {
  return presentElements(collectionOf(state.collections, 'set'), nowMs).map((element) => Buffer.from(element.member).toString()).sort();
}

type Step = { name: 'sadd' | 'srem'; member: number; gapMs: number } | { name: 'pexpireat'; aheadMs: number; gapMs: number } | { name: 'persist'; gapMs: number };

const gapMs = fc.integer({ min: 0, max: 4 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ name: fc.constantFrom('sadd' as const, 'srem' as const), member: fc.nat(MEMBERS.length - 1), gapMs }),
  fc.record({ name: fc.constant('pexpireat' as const), aheadMs: fc.integer({ min: -3, max: 10 }), gapMs }),
  fc.record({ name: fc.constant('persist' as const), gapMs }),
);

/** Redis's set with an expiry: gone once the clock reaches it. */
class Model {
  members = new Set<string>();
  expiresAtMs: number | null = null;

  settle(nowMs: number): void {
    if (this.expiresAtMs !== null && this.expiresAtMs <= nowMs) {
      this.members.clear();
      this.expiresAtMs = null;
    }
  }
}

describe('expiry on one replica behaves as Redis', () => {
  it('members, TTL and every answer match a model of Redis over random histories', () => {
    fc.assert(fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
      let state = EMPTY_VERSIONED;
      const model = new Model();
      let nowMs = 1000;
      let counter = 0;
      for (const next of steps) {
        nowMs += next.gapMs;
        model.settle(nowMs);
        counter++;
        let expected: bigint;
        let args: string[];
        if (next.name === 'sadd' || next.name === 'srem') {
          const member = MEMBERS[next.member] as string;
          args = [member];
          const present = model.members.has(member);
          expected = next.name === 'sadd' ? (present ? 0n : 1n) : (present ? 1n : 0n);
          if (next.name === 'sadd') {
            if (model.members.size === 0) model.expiresAtMs = null;
            model.members.add(member);
          } else {
            model.members.delete(member);
            if (model.members.size === 0) model.expiresAtMs = null;
          }
        } else if (next.name === 'pexpireat') {
          const when = nowMs + next.aheadMs;
          args = [String(Math.max(0, when))];
          expected = model.members.size === 0 ? 0n : 1n;
          if (model.members.size > 0) model.expiresAtMs = Math.max(0, when);
          model.settle(nowMs);
        } else {
          args = [];
          expected = model.members.size > 0 && model.expiresAtMs !== null ? 1n : 0n;
          model.expiresAtMs = null;
        }
        const result = apply(state, 'n1.t', counter, next.name, args, nowMs);
        state = result.state;
        expect(result.answer).toBe(expected);
        expect(versionedProblem(state)).toBeUndefined();
        expect(members(state, nowMs)).toEqual([...model.members].sort());
        const shown = collectionExpiryMs(state, nowMs);
        expect(shown === undefined ? null : shown).toBe(model.members.size === 0 ? null : model.expiresAtMs);
        // The wire form keeps the expiry.
        expect(encodeVersioned(decodeVersioned(encodeVersioned(state))).equals(encodeVersioned(state))).toBe(true);
      }
    }), { numRuns: 300 });
  });
});

describe('no element of an expired key comes back', () => {
  /** Replica A and B hold {a}; A sets the expiry, B (which missed it) adds b before it fires. */
  function partitioned(): { a: Versioned; b: Versioned } {
    const base = apply(EMPTY_VERSIONED, 'n1.t', 1, 'sadd', ['a'], 100).state;
    const a = apply(base, 'n1.t', 2, 'pexpireat', ['200'], 110).state;
    const b = apply(base, 'n2.t', 1, 'sadd', ['b'], 150).state;
    return { a, b };
  }

  it('an add before the expiry held by a replica that missed the EXPIRE is dead after merge', () => {
    const { a, b } = partitioned();
    expect(members(merge(a, b), 199)).toEqual(['a', 'b']);
    expect(members(merge(a, b), 200)).toEqual([]);
    expect(members(merge(b, a), 250)).toEqual([]);
  });

  it('a write after the expiry starts a new key, and the old adds stay dead through later merges and a new EXPIRE', () => {
    const { a, b } = partitioned();
    // A writes after the expiry: the cut becomes the floor, the setting is spent.
    const renewed = apply(a, 'n1.t', 3, 'sadd', ['c'], 300).state;
    expect(members(renewed, 300)).toEqual(['c']);
    expect(collectionExpiryMs(renewed, 300)).toBeNull();
    // A new EXPIRE on the new key supersedes the spent setting; the floor still holds.
    const again = apply(renewed, 'n1.t', 4, 'pexpireat', ['10000'], 310).state;
    for (const joined of [merge(again, b), merge(b, again), merge(merge(again, b), a), merge(a, merge(b, again))]) {
      expect(members(joined, 320)).toEqual(['c']);
      expect(collectionExpiryMs(joined, 320)).toBe(10_000);
    }
    // A replica that missed everything and adds after the expiry does show its add: a new key.
    const late = apply(b, 'n2.t', 2, 'sadd', ['d'], 400).state;
    expect(members(merge(again, late), 400)).toEqual(['c', 'd']);
  });

  it('an HINCRBY counted before the expiry is not counted after it', () => {
    let state = apply(EMPTY_VERSIONED, 'n1.t', 1, 'hincrby', ['f', '5'], 100).state;
    state = apply(state, 'n1.t', 2, 'pexpireat', ['200'], 110).state;
    const replica = state;
    state = apply(state, 'n1.t', 3, 'hincrby', ['f', '1'], 300).state;
    const field = (versioned: Versioned, nowMs: number): string[] =>
      presentElements(collectionOf(versioned.collections, 'hash'), nowMs).map((element) => Buffer.from(element.member).toString());
    expect(field(replica, 250)).toEqual([]);
    expect(apply(state, 'n1.t', 4, 'hincrby', ['f', '0'], 301).answer).toBe(1n);
    expect(apply(merge(replica, state), 'n1.t', 4, 'hincrby', ['f', '0'], 301).answer).toBe(1n);
  });

  it('an expired key is collected after the tombstone grace, not before', () => {
    const { a } = partitioned();
    expect(isDead(a, 200 + 999, 1000)).toBe(false);
    expect(isDead(a, 200 + 1000, 1000)).toBe(true);
  });

  it('of two concurrent settings the newer governs, and an older one that came due before it was made counts as fired', () => {
    const context = [{ actor: 'n1.t', counter: 5 }, { actor: 'n2.t', counter: 5 }];
    const older: CollectionExpiry = { floorMs: 0, settings: [{ dot: { actor: 'n1.t', counter: 1 }, setAtMs: 100, expiresAtMs: 150 }] };
    const newer: CollectionExpiry = { floorMs: 0, settings: [{ dot: { actor: 'n2.t', counter: 1 }, setAtMs: 160, expiresAtMs: 900 }] };
    const joined = joinExpiry(older, [{ actor: 'n1.t', counter: 1 }], newer, [{ actor: 'n2.t', counter: 1 }]);
    expect(joined?.settings.length).toBe(2);
    expect(joinExpiry(newer, [{ actor: 'n2.t', counter: 1 }], older, [{ actor: 'n1.t', counter: 1 }])).toEqual(joined);
    expect(expiryCutMs(joined, 170)).toBe(150);
    expect(pendingExpiryMs(joined, 170)).toBe(900);
    const overridden: CollectionExpiry = { floorMs: 0, settings: [{ dot: { actor: 'n1.t', counter: 1 }, setAtMs: 100, expiresAtMs: 170 }] };
    expect(expiryCutMs(joinExpiry(overridden, [{ actor: 'n1.t', counter: 1 }], newer, [{ actor: 'n2.t', counter: 1 }]), 500)).toBe(0);
    // Covered by the other side's context and not held there: superseded.
    expect(joinExpiry(older, [{ actor: 'n1.t', counter: 1 }], newer, context)).toEqual(newer);
  });
});
