/**
 * The tests every StorageEngine passes (js-libp2p's compliance suites, riak_core's backend
 * behaviour): replication, repair and transfers are written against the contract, so every
 * engine must keep it. Run it from an engine's own test file:
 *
 *   storageContract('MemoryEngine', (options) => new MemoryEngine({ ...options, evictionPolicy: 'reject' }));
 */
import { describe, expect, it } from 'vitest';
import { coordinatedPut, merge } from '../../src/version/index.js';
import type { Versioned, VersionVector } from '../../src/version/index.js';
import type { ChangeCause, StorageEngine } from '../../src/storage/index.js';
import { isRingcacheError } from '../../src/runtime/index.js';

/** What the suite asks of an engine; over budget it must reject (the default policy). */
export interface StorageContractOptions {
  readonly bytesMax: number;
  readonly siblingsMax: number;
}

const LARGE: StorageContractOptions = { bytesMax: 64 * 1024 * 1024, siblingsMax: 64 };

export function key(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function version(
  actor: string, counter: number, value: string | null,
  options: { base?: Versioned | undefined; context?: VersionVector | null; timestampMs?: number; expiresAtMs?: number | null } = {},
): Versioned {
  return coordinatedPut(options.base, {
    value: value === null ? null : new TextEncoder().encode(value),
    context: options.context ?? null,
    dot: { actor, counter },
    timestampMs: options.timestampMs ?? 0,
    expiresAtMs: options.expiresAtMs ?? null,
  });
}

/** Context and dots with values as text: what two engines must agree on. */
export function shape(versioned: Versioned | undefined): unknown {
  if (versioned === undefined) return undefined;
  return {
    context: versioned.context.map((entry) => `${entry.actor}:${entry.counter}`),
    siblings: versioned.siblings.map((s) => [`${s.dot.actor}:${s.dot.counter}`, s.value === null ? null : Buffer.from(s.value).toString(), s.timestampMs, s.expiresAtMs]),
  };
}

/** The engine's totals agree with its per-vnode numbers. */
export function expectConsistentTotals(engine: StorageEngine): void {
  const vnodes = engine.vnodes();
  const perVnode = vnodes.map((vnode) => engine.vnodeStats(vnode));
  const stats = engine.stats();
  expect(perVnode.reduce((sum, s) => sum + s.keys, 0)).toBe(stats.keys);
  expect(perVnode.reduce((sum, s) => sum + s.bytes, 0)).toBe(stats.bytes);
  for (const [index, vnode] of vnodes.entries()) expect([...engine.entries(vnode)].length).toBe(perVnode[index]?.keys);
  expect(engine.isEmpty()).toBe(stats.keys === 0);
  if (stats.keys === 0) expect(stats.bytes).toBe(0);
}

type MakeEngine = (options: StorageContractOptions) => StorageEngine;

export function storageContract(name: string, makeEngine: MakeEngine): void {
  describe(`StorageEngine contract: ${name}`, () => {
    readWriteTests(makeEngine);
    indexTests(makeEngine);
    sweepTests(makeEngine);
    budgetTests(makeEngine);
    changeFeedTests(makeEngine);
  });
}

/** Get, put and merge. */
function readWriteTests(makeEngine: MakeEngine): void {
  it('stores and returns versions by raw key bytes', () => {
    const engine = makeEngine(LARGE);
    expect(engine.get(key('a'))).toBeUndefined();
    expect(engine.isEmpty()).toBe(true);
    const keys = [Uint8Array.of(0xff), Uint8Array.of(0xfe), Uint8Array.of(0xc3, 0xa9), Uint8Array.of(0), Uint8Array.of(0, 0)];
    keys.forEach((k, i) => engine.put(k, 1, version('n1', i + 1, `v${i}`)));
    keys.forEach((k, i) => expect(shape(engine.get(k))).toEqual(shape(version('n1', i + 1, `v${i}`))));
    expect(engine.get(Uint8Array.of(0xff, 0))).toBeUndefined();
    expect(engine.stats().keys).toBe(5);
    // The same bytes are the same key, however they were built.
    engine.put(key('\u00e9'), 1, version('n1', 9, 'e'));
    expect(shape(engine.get(Uint8Array.of(0xc3, 0xa9)))).toEqual(shape(version('n1', 9, 'e')));
    expect(engine.stats().keys).toBe(5);
    expect(engine.isEmpty()).toBe(false);
  });

  it('put replaces, returns what it stored, and keeps dead siblings for get', () => {
    const engine = makeEngine(LARGE);
    const first = version('n1', 1, 'x', { timestampMs: 5 });
    expect(shape(engine.put(key('k'), 3, first))).toEqual(shape(first));
    const deleted = version('n1', 2, null, { base: first, timestampMs: 6 });
    expect(shape(engine.put(key('k'), 3, deleted))).toEqual(shape(deleted));
    expect(shape(engine.get(key('k')))).toEqual(shape(deleted));
    expectConsistentTotals(engine);
  });

  it('merge joins with the stored state and says whether it changed', () => {
    const engine = makeEngine(LARGE);
    const a = version('n1', 1, 'a');
    const b = version('n2', 1, 'b');
    expect(engine.merge(key('k'), 2, a).changed).toBe(true);
    expect(engine.merge(key('k'), 2, a).changed).toBe(false);
    const both = engine.merge(key('k'), 2, b);
    expect(both.changed).toBe(true);
    expect(shape(both.stored)).toEqual(shape(merge(a, b)));
    const newer = version('n1', 2, 'c', { base: both.stored, context: both.stored.context });
    expect(shape(engine.merge(key('k'), 2, newer).stored)).toEqual(shape(newer));
    const stale = engine.merge(key('k'), 2, b);
    expect(stale.changed).toBe(false);
    expect(shape(stale.stored)).toEqual(shape(newer));
    expect(shape(engine.get(key('k')))).toEqual(shape(newer));
  });

  it('merge counts a context-only change as a change', () => {
    const engine = makeEngine(LARGE);
    const a = version('n1', 1, 'a');
    engine.put(key('k'), 0, a);
    const wider: Versioned = { context: [...a.context, { actor: 'n9', counter: 4 }], siblings: a.siblings };
    expect(engine.merge(key('k'), 0, wider).changed).toBe(true);
    expect(engine.get(key('k'))?.context).toEqual(wider.context);
  });
}

/** Per-vnode index and delete. */
function indexTests(makeEngine: MakeEngine): void {
  it('indexes keys per vnode: entries, vnodeStats and vnodes', () => {
    const engine = makeEngine(LARGE);
    for (let i = 0; i < 30; i++) engine.put(key(`k${i}`), i % 3, version('n1', i + 1, `v${i}`));
    expect(engine.vnodes()).toEqual([0, 1, 2]);
    const keysOf1 = [...engine.entries(1)].map(([k]) => Buffer.from(k).toString()).sort();
    expect(keysOf1).toEqual(Array.from({ length: 10 }, (_, j) => `k${3 * j + 1}`).sort());
    for (const [k, versioned] of engine.entries(2)) expect(shape(engine.get(k))).toEqual(shape(versioned));
    expect([...engine.entries(7)]).toEqual([]);
    expect(engine.vnodeStats(7)).toEqual({ keys: 0, bytes: 0 });
    expect(engine.vnodeStats(0).keys).toBe(10);
    expect(engine.vnodeStats(0).bytes).toBeGreaterThan(0);
    expectConsistentTotals(engine);
    for (const [k] of [...engine.entries(1)]) expect(engine.delete(k)).toBe(true);
    expect(engine.vnodes()).toEqual([0, 2]);
    expect(engine.vnodeStats(1)).toEqual({ keys: 0, bytes: 0 });
  });

  it('delete removes a key outright and says whether it was there', () => {
    const engine = makeEngine(LARGE);
    engine.put(key('k'), 0, version('n1', 1, 'x'));
    expect(engine.delete(key('k'))).toBe(true);
    expect(engine.delete(key('k'))).toBe(false);
    expect(engine.get(key('k'))).toBeUndefined();
    expect(engine.isEmpty()).toBe(true);
    expect(engine.vnodes()).toEqual([]);
    expect(engine.stats().bytes).toBe(0);
  });
}

/** Sweep. */
function sweepTests(makeEngine: MakeEngine): void {
  it('sweep removes keys dead for longer than the grace, and only those', () => {
    const engine = makeEngine(LARGE);
    engine.put(key('old-tombstone'), 0, version('n1', 1, null, { timestampMs: 100 }));
    engine.put(key('new-tombstone'), 0, version('n1', 2, null, { timestampMs: 950 }));
    engine.put(key('long-expired'), 1, version('n1', 3, 'x', { expiresAtMs: 200 }));
    engine.put(key('just-expired'), 1, version('n1', 4, 'x', { expiresAtMs: 990 }));
    engine.put(key('live'), 1, version('n1', 5, 'x'));
    const mixed = merge(version('n1', 6, null, { timestampMs: 0 }), version('n2', 1, 'x'));
    engine.put(key('tombstone-and-value'), 2, mixed);
    let removed = 0;
    for (let call = 0; call < 10; call++) removed += engine.sweep(1000, 100, 10);
    expect(removed).toBe(2);
    expect(engine.get(key('old-tombstone'))).toBeUndefined();
    expect(engine.get(key('long-expired'))).toBeUndefined();
    for (const kept of ['new-tombstone', 'just-expired', 'live', 'tombstone-and-value']) expect(engine.get(key(kept))).toBeDefined();
    expectConsistentTotals(engine);
  });

  it('sweep removes at most keysMax keys a call, and repeated calls reach every dead key', () => {
    const engine = makeEngine(LARGE);
    for (let i = 0; i < 20; i++) engine.put(key(`k${i}`), i % 4, version('n1', i + 1, i % 2 === 0 ? null : 'x'));
    let calls = 0;
    while (engine.stats().keys > 10) {
      expect(engine.sweep(1, 0, 3)).toBeLessThanOrEqual(3);
      calls++;
      expect(calls).toBeLessThanOrEqual(20);
    }
    expect(engine.sweep(1, 0, 100)).toBe(0);
    expect(engine.stats().keys).toBe(10);
    expect(engine.sweep(1, 0, 0)).toBe(0);
    expectConsistentTotals(engine);
  });
}

/** Byte accounting, budget and siblingsMax. */
function budgetTests(makeEngine: MakeEngine): void {
  it('keeps the byte accounting consistent through every operation, back to 0', () => {
    const engine = makeEngine(LARGE);
    for (let i = 0; i < 50; i++) {
      const k = key(`k${i % 17}`);
      const vnode = (i % 17) % 5;
      if (i % 5 === 0) engine.put(k, vnode, version('n1', i + 1, 'x'.repeat(i)));
      else if (i % 5 === 1) engine.merge(k, vnode, version('n2', i + 1, 'y'.repeat(2 * i)));
      else if (i % 5 === 2) engine.merge(k, vnode, version('n3', i + 1, null, { timestampMs: 0 }));
      else if (i % 5 === 3) engine.delete(key(`k${(i * 7) % 17}`));
      else engine.sweep(10_000, 0, 4);
      expectConsistentTotals(engine);
    }
    const small = makeEngine(LARGE);
    small.put(key('k'), 0, version('n1', 1, 'x'));
    const oneValue = small.stats().bytes;
    small.put(key('k'), 0, version('n1', 2, 'x'.repeat(1001)));
    expect(small.stats().bytes - oneValue).toBeGreaterThanOrEqual(1000);
    for (const vnode of engine.vnodes()) for (const [k] of [...engine.entries(vnode)]) engine.delete(k);
    expect(engine.stats()).toMatchObject({ keys: 0, bytes: 0 });
  });

  it('over budget rejects put and merge with RC_ERR_STORAGE_FULL and leaves every value unchanged', () => {
    const probe = makeEngine(LARGE);
    probe.put(key('k00'), 0, version('n1', 1, 'x'.repeat(100)));
    const perKey = probe.stats().bytes;
    const engine = makeEngine({ bytesMax: perKey * 4 + 50, siblingsMax: 64 });
    for (let i = 0; i < 4; i++) engine.put(key(`k0${i}`), i, version('n1', i + 1, 'x'.repeat(100)));
    const before = engine.vnodes().map((vnode) => [...engine.entries(vnode)].map(([k, v]) => [Buffer.from(k).toString(), shape(v)]));
    const attempts = [
      () => engine.put(key('k99'), 0, version('n1', 10, 'x'.repeat(100))),
      () => engine.put(key('k00'), 0, version('n1', 11, 'x'.repeat(1000))),
      () => engine.merge(key('k01'), 1, version('n2', 1, 'y'.repeat(1000))),
      () => engine.merge(key('k98'), 1, version('n2', 2, 'y'.repeat(100))),
    ];
    for (const attempt of attempts) {
      try {
        attempt();
        expect.unreachable('over budget');
      } catch (error) {
        expect(isRingcacheError(error, 'RC_ERR_STORAGE_FULL')).toBe(true);
      }
    }
    const after = engine.vnodes().map((vnode) => [...engine.entries(vnode)].map(([k, v]) => [Buffer.from(k).toString(), shape(v)]));
    expect(after).toEqual(before);
    expect(engine.stats()).toMatchObject({ keys: 4, rejections: 4, evictions: 0 });
    expect(engine.stats().bytes).toBeLessThanOrEqual(engine.stats().bytesMax);
    expect(engine.merge(key('k00'), 0, version('n1', 1, 'x'.repeat(100))).changed).toBe(false);
    expectConsistentTotals(engine);
  });

  it('keeps the newest siblingsMax siblings on put and merge, counting the overflow', () => {
    const engine = makeEngine({ bytesMax: LARGE.bytesMax, siblingsMax: 3 });
    let wide: Versioned = version('a0', 1, 'v0', { timestampMs: 0 });
    for (let i = 1; i < 5; i++) wide = merge(wide, version(`a${i}`, 1, `v${i}`, { timestampMs: i }));
    const stored = engine.put(key('k'), 0, wide);
    expect(stored.siblings.map((s) => s.dot.actor)).toEqual(['a2', 'a3', 'a4']);
    expect(stored.context).toEqual(wide.context);
    expect(engine.stats().siblingsOverflow).toBe(2);
    const joined = engine.merge(key('k'), 0, version('b', 1, 'new', { timestampMs: 10 }));
    expect(joined.stored.siblings.map((s) => s.dot.actor)).toEqual(['a3', 'a4', 'b']);
    expect(engine.stats().siblingsOverflow).toBe(3);
    // An older sibling is dropped at once, but its dot joins the context: still a change.
    expect(engine.merge(key('k'), 0, version('c', 1, 'old', { timestampMs: 0 })).changed).toBe(true);
    expect(engine.get(key('k'))?.siblings.map((s) => s.dot.actor)).toEqual(['a3', 'a4', 'b']);
    expect(engine.stats().siblingsOverflow).toBe(4);
  });
}

interface Heard {
  readonly cause: ChangeCause;
  readonly vnode: number;
  readonly key: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** Subscribes a recorder that keeps what each change said, keys as text. */
function record(engine: StorageEngine): { heard: Heard[]; stop: () => void } {
  const heard: Heard[] = [];
  const stop = engine.subscribe((cause, vnode, changedKey, before, after) => {
    heard.push({ cause, vnode, key: Buffer.from(changedKey).toString(), before: shape(before), after: shape(after) });
  });
  return { heard, stop };
}

/** The change feed: every change once, in order, with the states before and after. */
function changeFeedTests(makeEngine: MakeEngine): void {
  it('reports put, merge, delete and sweep with the states before and after, once each', () => {
    const engine = makeEngine(LARGE);
    const { heard } = record(engine);
    const first = version('n1', 1, 'a');
    engine.put(key('k'), 3, first);
    const second = version('n1', 2, 'b', { base: first, context: first.context });
    engine.put(key('k'), 3, second);
    const concurrent = version('n2', 1, 'c');
    const merged = engine.merge(key('k'), 3, concurrent).stored;
    engine.merge(key('k'), 3, concurrent);
    engine.delete(key('k'));
    engine.delete(key('k'));
    engine.put(key('dead'), 4, version('n1', 3, null, { timestampMs: 0 }));
    engine.sweep(10_000, 1, 100);
    expect(heard).toEqual([
      { cause: 'put', vnode: 3, key: 'k', before: undefined, after: shape(first) },
      { cause: 'put', vnode: 3, key: 'k', before: shape(first), after: shape(second) },
      { cause: 'merge', vnode: 3, key: 'k', before: shape(second), after: shape(merged) },
      { cause: 'delete', vnode: 3, key: 'k', before: shape(merged), after: undefined },
      { cause: 'put', vnode: 4, key: 'dead', before: undefined, after: shape(version('n1', 3, null, { timestampMs: 0 })) },
      { cause: 'sweep', vnode: 4, key: 'dead', before: shape(version('n1', 3, null, { timestampMs: 0 })), after: undefined },
    ]);
  });

  it('reports nothing for a refused write, and nothing after unsubscribing', () => {
    const engine = makeEngine({ bytesMax: 2000, siblingsMax: 64 });
    const { heard, stop } = record(engine);
    engine.put(key('small'), 0, version('n1', 1, 'x'));
    expect(() => engine.put(key('big'), 0, version('n1', 2, 'y'.repeat(3000)))).toThrow();
    expect(heard.map((change) => change.cause)).toEqual(['put']);
    stop();
    engine.put(key('small'), 0, version('n1', 3, 'z'));
    expect(heard).toHaveLength(1);
  });

  it('a replica rebuilt from the feed alone always equals the engine', () => {
    const engine = makeEngine(LARGE);
    const shadow = new Map<string, unknown>();
    engine.subscribe((_cause, vnode, changedKey, _before, after) => {
      const name = `${String(vnode)}/${Buffer.from(changedKey).toString()}`;
      if (after === undefined) shadow.delete(name);
      else shadow.set(name, shape(after));
    });
    let counter = 0;
    for (let round = 0; round < 200; round++) {
      const name = `k${String(round % 7)}`;
      const vnode = round % 7;
      const roll = (round * 7919) % 10;
      if (roll < 4) engine.put(key(name), vnode, version('n1', ++counter, `v${String(round)}`, { base: engine.get(key(name)) }));
      else if (roll < 7) engine.merge(key(name), vnode, version(`m${String(round % 3)}`, ++counter, `w${String(round)}`, { timestampMs: round }));
      else if (roll < 8) engine.delete(key(name));
      else engine.put(key(name), vnode, version('n1', ++counter, null, { base: engine.get(key(name)), timestampMs: 0 }));
      if (round % 50 === 49) engine.sweep(1_000_000, 1, 1000);
    }
    const actual = new Map<string, unknown>();
    for (const vnode of engine.vnodes()) for (const [k, v] of engine.entries(vnode)) actual.set(`${String(vnode)}/${Buffer.from(k).toString()}`, shape(v));
    expect(shadow).toEqual(actual);
  });
}
