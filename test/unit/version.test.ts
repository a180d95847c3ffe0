import { describe, expect, it } from 'vitest';
import {
  EMPTY_VERSIONED, compareActors, compareVectors, coordinatedPut, covers, isDead, joinVectors, liveSiblings, merge,
  resolve, truncateSiblings, versionedBytes, versionedProblem, versionsEqual,
} from '../../src/version/index.js';
import type { Versioned, VersionVector } from '../../src/version/index.js';
import { isRingcacheError } from '../../src/runtime/index.js';

const encoder = new TextEncoder();

function write(
  local: Versioned | undefined,
  actor: string,
  counter: number,
  value: string | null,
  options: { context?: VersionVector | null; timestampMs?: number; expiresAtMs?: number | null } = {},
): Versioned {
  return coordinatedPut(local, {
    value: value === null ? null : encoder.encode(value),
    context: options.context ?? null,
    dot: { actor, counter },
    timestampMs: options.timestampMs ?? 0,
    expiresAtMs: options.expiresAtMs ?? null,
  });
}

function values(versioned: Versioned): (string | null)[] {
  return versioned.siblings.map((sibling) => (sibling.value === null ? null : Buffer.from(sibling.value).toString()));
}

function dots(versioned: Versioned): string[] {
  return versioned.siblings.map((sibling) => `${sibling.dot.actor}:${sibling.dot.counter}`);
}

describe('coordinatedPut', () => {
  it('without a context supersedes every local sibling', () => {
    const a = write(undefined, 'n1', 1, 'x');
    const b = merge(a, write(undefined, 'n2', 1, 'y'));
    expect(values(b)).toEqual(['x', 'y']);
    const c = write(b, 'n1', 2, 'z');
    expect(values(c)).toEqual(['z']);
    expect(c.context).toEqual([{ actor: 'n1', counter: 2 }, { actor: 'n2', counter: 1 }]);
    expect(versionedProblem(c)).toBeUndefined();
  });

  it('with a context drops exactly the siblings the context covers', () => {
    const a = write(undefined, 'n1', 1, 'x');
    const seen = a.context;
    const withY = merge(a, write(undefined, 'n2', 1, 'y'));
    const next = write(withY, 'n1', 2, 'z', { context: seen });
    expect(values(next)).toEqual(['z', 'y']);
    expect(dots(next)).toEqual(['n1:2', 'n2:1']);
    expect(next.context).toEqual([{ actor: 'n1', counter: 2 }, { actor: 'n2', counter: 1 }]);
  });

  it('with an empty context keeps every local sibling (a blind add, as Riak with no vclock)', () => {
    const a = write(undefined, 'n1', 1, 'x');
    expect(values(write(a, 'n1', 2, 'y', { context: [] }))).toEqual(['x', 'y']);
  });

  it('joins the client context into the result, so a context from a newer replica is kept', () => {
    const next = write(undefined, 'n1', 1, 'x', { context: [{ actor: 'n2', counter: 7 }] });
    expect(next.context).toEqual([{ actor: 'n1', counter: 1 }, { actor: 'n2', counter: 7 }]);
  });

  it('refuses a client context that claims dots this actor has not issued', () => {
    const attempt = (): Versioned => write(undefined, 'n1', 3, 'x', { context: [{ actor: 'n1', counter: 3 }] });
    expect(attempt).toThrow(expect.objectContaining({ code: 'RC_ERR_BAD_CONTEXT' }));
  });

  it('refuses a fresh dot the stored context already covers (a counter that went backwards)', () => {
    const a = write(undefined, 'n1', 5, 'x');
    try {
      write(a, 'n1', 5, 'y');
      expect.unreachable();
    } catch (error) {
      expect(isRingcacheError(error, 'RC_ERR_INTERNAL')).toBe(true);
    }
  });

  it('writes a tombstone for a delete; plain GET then sees nothing but the context remembers', () => {
    const a = write(undefined, 'n1', 1, 'x', { timestampMs: 10 });
    const deleted = write(a, 'n1', 2, null, { context: a.context, timestampMs: 20 });
    expect(values(deleted)).toEqual([null]);
    expect(resolve(deleted, 30)).toBeUndefined();
    expect(liveSiblings(deleted, 30)).toEqual([]);
    expect(merge(deleted, a)).toBe(deleted);
  });
});

describe('reads', () => {
  const concurrent = merge(
    merge(write(undefined, 'n1', 1, 'old', { timestampMs: 10 }), write(undefined, 'n2', 1, 'new', { timestampMs: 20, expiresAtMs: 100 })),
    write(undefined, 'n3', 1, 'tie', { timestampMs: 10 }),
  );

  it('resolve picks the highest timestamp, then the higher actor', () => {
    expect(resolve(concurrent, 0)?.dot).toEqual({ actor: 'n2', counter: 1 });
    expect(resolve(concurrent, 100)?.dot).toEqual({ actor: 'n3', counter: 1 });
  });

  it('expiry is absolute and inclusive: expired at expiresAtMs', () => {
    expect(liveSiblings(concurrent, 99).length).toBe(3);
    expect(liveSiblings(concurrent, 100).map((sibling) => sibling.dot.actor)).toEqual(['n1', 'n3']);
  });

  it('a newer tombstone hides a concurrent value from plain GET, an older one does not', () => {
    const value = write(undefined, 'n1', 1, 'x', { timestampMs: 10 });
    expect(resolve(merge(value, write(undefined, 'n2', 1, null, { timestampMs: 11 })), 0)).toBeUndefined();
    expect(resolve(merge(value, write(undefined, 'n2', 1, null, { timestampMs: 9 })), 0)?.dot.actor).toBe('n1');
  });

  it('isDead waits for the grace after a tombstone or an expiry', () => {
    const tombstone = write(undefined, 'n1', 1, null, { timestampMs: 100 });
    expect(isDead(tombstone, 149, 50)).toBe(false);
    expect(isDead(tombstone, 150, 50)).toBe(true);
    const expiring = write(undefined, 'n1', 1, 'x', { timestampMs: 0, expiresAtMs: 100 });
    expect(isDead(expiring, 120, 50)).toBe(false);
    expect(isDead(expiring, 150, 50)).toBe(true);
    expect(isDead(merge(tombstone, write(undefined, 'n2', 1, 'live')), 10_000, 50)).toBe(false);
  });
});

describe('truncateSiblings', () => {
  it('keeps the newest by (timestampMs, actor, counter) and leaves the context alone', () => {
    let state: Versioned = EMPTY_VERSIONED;
    for (let i = 1; i <= 6; i++) state = merge(state, write(undefined, `n${i}`, 1, `v${i}`, { timestampMs: i % 3 }));
    const { versioned, dropped } = truncateSiblings(state, 3);
    expect(dropped).toBe(3);
    expect(dots(versioned)).toEqual(['n2:1', 'n4:1', 'n5:1']);
    expect(versioned.context).toBe(state.context);
    expect(versionedProblem(versioned)).toBeUndefined();
    // The dropped dots stay covered, so they stay superseded when merged back.
    expect(merge(versioned, state).siblings.length).toBe(3);
    expect(truncateSiblings(versioned, 3).versioned).toBe(versioned);
  });
});

describe('vectors', () => {
  const a = [{ actor: 'n1', counter: 2 }];
  const b = [{ actor: 'n1', counter: 2 }, { actor: 'n2', counter: 1 }];
  const c = [{ actor: 'n1', counter: 3 }];

  it('compareVectors gives the four orders', () => {
    expect(compareVectors(a, a)).toBe('equal');
    expect(compareVectors([], [])).toBe('equal');
    expect(compareVectors(a, b)).toBe('before');
    expect(compareVectors(b, a)).toBe('after');
    expect(compareVectors(b, c)).toBe('concurrent');
    expect(compareVectors([], a)).toBe('before');
  });

  it('joinVectors is the pointwise max and returns an input when the other adds nothing', () => {
    expect(joinVectors(b, c)).toEqual([{ actor: 'n1', counter: 3 }, { actor: 'n2', counter: 1 }]);
    expect(joinVectors(b, a)).toBe(b);
    expect(joinVectors(a, b)).toBe(b);
  });

  it('covers compares counters', () => {
    expect(covers(b, { actor: 'n2', counter: 1 })).toBe(true);
    expect(covers(b, { actor: 'n2', counter: 2 })).toBe(false);
    expect(covers(b, { actor: 'n3', counter: 1 })).toBe(false);
  });

  it('orders actors by UTF-8 bytes, not UTF-16 code units', () => {
    const actors = ['\u{1F600}', '\uFFFD', 'n10', 'n2', '\u00e9', 'n1'];
    const byBytes = [...actors].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...actors].sort(compareActors)).toEqual(byBytes);
  });
});

describe('versionsEqual and versionedBytes', () => {
  it('compares contexts and dots', () => {
    const a = write(undefined, 'n1', 1, 'x');
    expect(versionsEqual(a, write(undefined, 'n1', 1, 'x'))).toBe(true);
    expect(versionsEqual(a, write(undefined, 'n1', 2, 'x'))).toBe(false);
    expect(versionsEqual(a, write(undefined, 'n1', 1, 'x', { context: [{ actor: 'n0', counter: 1 }] }))).toBe(false);
  });

  it('grows with value bytes and siblings', () => {
    const small = write(undefined, 'n1', 1, 'x');
    const large = write(undefined, 'n1', 1, 'x'.repeat(1001));
    expect(versionedBytes(large) - versionedBytes(small)).toBe(1000);
    const tombstone = write(undefined, 'n1', 1, null);
    expect(versionedBytes(tombstone)).toBeLessThan(versionedBytes(small));
    const two = merge(small, write(undefined, 'n2', 1, 'x'));
    expect(two.siblings.length).toBe(2);
    expect(versionedBytes(two)).toBeGreaterThan(2 * versionedBytes(small) - 200);
  });
});
