import { describe, expect, it } from 'vitest';
import { HINT_OVERHEAD_BYTES, HintStore } from '../../src/hinted-handoff/index.js';
import { coordinatedPut, merge, versionedBytes } from '../../src/version/index.js';
import type { Versioned } from '../../src/version/index.js';

const encoder = new TextEncoder();
const T0 = 1_700_000_000_000;

/** A state with one value minted by `actor` (a blind write on top of `base`). */
function written(value: string, actor: string, counter: number, base?: Versioned, context = base?.context ?? null): Versioned {
  return coordinatedPut(base, { value: encoder.encode(value), context, dot: { actor, counter }, timestampMs: T0 + counter, expiresAtMs: null });
}

function store(bytesMax = 1024 * 1024, siblingsMax = 64): HintStore {
  return new HintStore({ bytesMax, siblingsMax });
}

const key = encoder.encode('user:42');

describe('HintStore', () => {
  it('keeps one hint per owner and key: a second hint merges into the first (the one merge)', () => {
    const hints = store();
    const first = written('a', 'n1.x', 1);
    const concurrent = written('b', 'n2.y', 1);
    expect(hints.add('n3', key, 7, first, T0)).toBe('stored');
    expect(hints.add('n3', key, 7, concurrent, T0 + 5)).toBe('merged');
    expect(hints.keys).toBe(1);
    const hint = hints.find('n3', key);
    expect(hint?.versioned).toEqual(merge(first, concurrent));
    expect(hint).toMatchObject({ owner: 'n3', vnode: 7, storedAtMs: T0, revision: 2 });
    expect(hints.bytes).toBe(HINT_OVERHEAD_BYTES + 2 * key.length + versionedBytes(merge(first, concurrent)));
    // The same key for another owner is another hint.
    expect(hints.add('n4', key, 7, first, T0)).toBe('stored');
    expect(hints.keys).toBe(2);
  });

  it('a sloppy read sees the merge of every owner\'s hint for the key', () => {
    const hints = store();
    const a = written('a', 'n1.x', 1);
    const b = written('b', 'n2.y', 1);
    hints.add('n3', key, 7, a, T0);
    hints.add('n4', key, 7, b, T0);
    expect(hints.get(key)).toEqual(merge(a, b));
    expect(hints.get(encoder.encode('other'))).toBeNull();
  });

  it('refuses past bytesMax per owner (counted as full), and still takes hints for other owners', () => {
    const one = written('x'.repeat(100), 'n1.x', 1);
    const size = HINT_OVERHEAD_BYTES + 2 * 6 + versionedBytes(one);
    const hints = store(size * 2 + 10);
    expect(hints.add('n3', encoder.encode('key:01'), 1, one, T0)).toBe('stored');
    expect(hints.add('n3', encoder.encode('key:02'), 1, one, T0)).toBe('stored');
    expect(hints.add('n3', encoder.encode('key:03'), 1, one, T0)).toBe('full');
    expect(hints.add('n4', encoder.encode('key:03'), 1, one, T0)).toBe('stored');
    expect(hints.dropped().get('full')).toBe(1);
    expect(hints.countOf('n3')).toBe(2);
    expect(hints.bytes).toBe(3 * size);
  });

  it('refuses a hint that could never fit (oversized), and a merge that would overflow the owner', () => {
    const small = written('s', 'n1.x', 2);
    const big = written('b'.repeat(1000), 'n1.x', 3);
    const other = encoder.encode('other');
    const sizeOf = (k: Uint8Array, v: Versioned): number => HINT_OVERHEAD_BYTES + 2 * k.length + versionedBytes(v);
    const hints = store(sizeOf(key, small) + sizeOf(other, big) + 100);
    expect(hints.add('n3', key, 1, written('x'.repeat(5000), 'n1.x', 1), T0)).toBe('oversized');
    expect(hints.dropped().get('oversized')).toBe(1);
    expect(hints.add('n3', key, 1, small, T0)).toBe('stored');
    expect(hints.add('n3', other, 1, big, T0)).toBe('stored');
    const before = hints.find('n3', key);
    // Merged, the key's hint would grow past what the owner has left: refused, unchanged.
    expect(hints.add('n3', key, 1, written('y'.repeat(300), 'n2.y', 1), T0)).toBe('full');
    expect(hints.find('n3', key)).toBe(before);
  });

  it('expires hints by the age of their first store, oldest first, and counts them', () => {
    const hints = store();
    hints.add('n3', encoder.encode('old'), 1, written('a', 'n1.x', 1), T0);
    hints.add('n3', encoder.encode('new'), 1, written('b', 'n1.x', 2), T0 + 500);
    // A merge does not make a hint younger: what it holds is as old as its first write.
    hints.add('n3', encoder.encode('old'), 1, written('c', 'n2.y', 1), T0 + 900);
    expect(hints.expire(T0 + 1000, 1000)).toBe(1);
    expect(hints.find('n3', encoder.encode('old'))).toBeUndefined();
    expect(hints.find('n3', encoder.encode('new'))).toBeDefined();
    expect(hints.dropped().get('expired')).toBe(1);
    expect(hints.expire(T0 + 1500, 1000)).toBe(1);
    expect([hints.keys, hints.bytes, hints.ownersWithHints()]).toEqual([0, 0, []]);
  });

  it('deletes a replayed hint only if nothing merged into it since it was sent', () => {
    const hints = store();
    hints.add('n3', key, 1, written('a', 'n1.x', 1), T0);
    const sent = hints.find('n3', key);
    hints.add('n3', key, 1, written('b', 'n1.x', 2), T0);
    expect(sent === undefined ? false : hints.acknowledge(sent)).toBe(false);
    expect(hints.keys).toBe(1);
    const current = hints.find('n3', key);
    expect(current === undefined ? false : hints.acknowledge(current)).toBe(true);
    expect([hints.keys, hints.bytes]).toEqual([0, 0]);
  });

  it('drops every hint of an owner that left, counted by reason', () => {
    const hints = store();
    hints.add('n3', encoder.encode('a'), 1, written('a', 'n1.x', 1), T0);
    hints.add('n3', encoder.encode('b'), 1, written('b', 'n1.x', 2), T0);
    hints.add('n4', encoder.encode('a'), 1, written('a', 'n1.x', 1), T0);
    expect(hints.dropOwner('n3', 'owner-left')).toBe(2);
    expect(hints.dropped().get('owner-left')).toBe(2);
    expect(hints.ownersWithHints()).toEqual(['n4']);
    expect(hints.keys).toBe(1);
  });

  it('truncates a merged hint to siblingsMax, keeping the newest, as the owner would', () => {
    const hints = store(1024 * 1024, 2);
    for (let i = 1; i <= 4; i++) hints.add('n3', key, 1, written(`v${String(i)}`, `n${String(i)}.x`, i), T0);
    const siblings = hints.find('n3', key)?.versioned.siblings ?? [];
    expect(siblings.map((s) => s.dot.counter).sort()).toEqual([3, 4]);
  });

  it('keeps distinct binary keys apart', () => {
    const hints = store();
    hints.add('n3', Uint8Array.of(0xff, 0x00), 1, written('a', 'n1.x', 1), T0);
    hints.add('n3', Uint8Array.of(0xff, 0x01), 1, written('b', 'n1.x', 2), T0);
    expect(hints.keys).toBe(2);
  });
});
