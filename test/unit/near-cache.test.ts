import { afterEach, describe, expect, it } from 'vitest';
import { LoadCounter } from '../../src/load/index.js';
import type { HotKey } from '../../src/load/index.js';
import { KvStore } from '../../src/proxy/kv-store.js';
import { NearCache, nearCacheCapacity } from '../../src/proxy/near-cache.js';
import type { ReadResult } from '../../src/replication/index.js';
import { VirtualClock } from '../../src/runtime/index.js';
import { resolve } from '../../src/version/index.js';
import { InProcessCluster } from '../helpers/in-process-cluster.js';

const strict = (replies: number): ReadResult => ({ versioned: null, replies, quorum: 'strict' });

function source(keys: readonly string[]): { intervals: number; lastHotKeys: HotKey[]; set(keys: readonly string[]): void } {
  const state = {
    intervals: 1,
    lastHotKeys: keys.map((key) => ({ key, count: 100, error: 0 })),
    set(next: readonly string[]) {
      state.intervals++;
      state.lastHotKeys = next.map((key) => ({ key, count: 100, error: 0 }));
    },
  };
  return state;
}

describe('NearCache', () => {
  it('keeps a hot key read at R until its TTL, and nothing else', () => {
    const clock = new VirtualClock();
    const cache = new NearCache(clock, source(['hot']), { capacity: 4, ttlMs: 500, hotCountMin: 2 });
    expect(cache.lookup(Buffer.from('cold'))).toBeUndefined();
    const miss = cache.lookup(Buffer.from('hot'));
    expect(miss !== undefined && 'ticket' in miss).toBe(true);
    if (miss === undefined || !('ticket' in miss)) return;
    cache.admit(miss, strict(1), 2);
    cache.admit(miss, { versioned: null, replies: 2, quorum: 'sloppy' }, 2);
    expect(cache.size).toBe(0);
    expect(cache.stats.refused).toBe(2);
    const result = strict(2);
    cache.admit(miss, result, 2);
    expect(cache.lookup(Buffer.from('hot'))).toEqual({ hit: result });
    clock.runUntil(clock.nowMs() + 499);
    expect(cache.lookup(Buffer.from('hot'))).toEqual({ hit: result });
    clock.runUntil(clock.nowMs() + 1);
    expect(cache.lookup(Buffer.from('hot'))).not.toHaveProperty('hit');
    expect(cache.stats.hits).toBe(2);
  });

  it('a write drops the key, and a read that began before it cannot put the old value back', () => {
    const cache = new NearCache(new VirtualClock(), source(['hot']), { capacity: 4, ttlMs: 500, hotCountMin: 2 });
    const before = cache.lookup(Buffer.from('hot'));
    if (before === undefined || !('ticket' in before)) throw new Error('expected a ticket');
    cache.invalidate(Buffer.from('hot'));
    cache.admit(before, strict(2), 2);
    expect(cache.size).toBe(0);
    const after = cache.lookup(Buffer.from('hot'));
    if (after === undefined || !('ticket' in after)) throw new Error('expected a ticket');
    cache.admit(after, strict(2), 2);
    expect(cache.size).toBe(1);
    cache.invalidate(Buffer.from('hot'));
    expect(cache.size).toBe(0);
    expect(cache.stats.invalidations).toBe(1);
  });

  it('stays within its capacity, and drops keys that cooled down', () => {
    const hot = source(['a', 'b', 'c']);
    const cache = new NearCache(new VirtualClock(), hot, { capacity: 2, ttlMs: 500, hotCountMin: 2 });
    for (const key of ['a', 'b', 'c']) {
      const miss = cache.lookup(Buffer.from(key));
      if (miss !== undefined && 'ticket' in miss) cache.admit(miss, strict(2), 2);
    }
    // The hot set itself holds at most `capacity` keys: 'c' is not admitted.
    expect(cache.size).toBe(2);
    hot.set(['z']);
    expect(cache.lookup(Buffer.from('a'))).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(nearCacheCapacity(5, 8)).toBe(Math.ceil(5 * Math.log(5) * 8));
  });
});

describe('KvStore with a near cache over an in-process cluster', () => {
  let cluster: InProcessCluster | undefined;
  afterEach(async () => { await cluster?.stop(); });

  it('absorbs reads of a hot key and sees this proxy\'s writes at once', async () => {
    const c = new InProcessCluster({ servers: 5, replicaCount: 3, vnodeCount: 64, transport: 'direct' });
    cluster = c;
    const counter = new LoadCounter(64, { hotKeySampleEvery: 1 });
    const coordinator = c.newCoordinator('cached', {}, undefined, counter);
    const cache = new NearCache(c.clock, counter, { capacity: 8, ttlMs: 60_000, hotCountMin: 2 });
    counter.watchWrites((key) => { cache.invalidate(key); });
    const kv = new KvStore(coordinator, c.tableView, c.clock, c.config, cache);
    const key = Buffer.from('user:hot');
    const value = (result: ReadResult): string | undefined => {
      const winner = result.versioned === null ? undefined : resolve(result.versioned, c.clock.nowMs());
      return winner?.value === null || winner === undefined ? undefined : Buffer.from(winner.value).toString();
    };
    await kv.write(key, Buffer.from('v1'), { context: null, expiresAtMs: null });
    for (let i = 0; i < 10; i++) await kv.readCached(key);
    counter.take();
    expect(value(await kv.readCached(key))).toBe('v1');
    const readsBefore = coordinator.stats.reads;
    for (let i = 0; i < 20; i++) expect(value(await kv.readCached(key))).toBe('v1');
    expect(coordinator.stats.reads).toBe(readsBefore);
    expect(cache.stats.hits).toBe(20);
    // A write through this coordinator: the next read goes to the replicas and sees it.
    await kv.write(key, Buffer.from('v2'), { context: null, expiresAtMs: null });
    expect(value(await kv.readCached(key))).toBe('v2');
    expect(coordinator.stats.reads).toBe(readsBefore + 1);
    // Reads that write back a context never come from the cache.
    await kv.read(key);
    expect(coordinator.stats.reads).toBe(readsBefore + 2);
  });
});
