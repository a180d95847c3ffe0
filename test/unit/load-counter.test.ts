import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Coordinator, fixedTableView } from '../../src/replication/index.js';
import { LoadCounter, SpaceSaving, encodeLoadReport, readLoadReport } from '../../src/load/index.js';
import { RingcacheError } from '../../src/runtime/index.js';
import { SimCluster } from '../simulation/cluster.js';
import { SIMULATION_DEFAULTS } from '../simulation/options.js';
import { drive } from '../simulation/drive.js';

const encoder = new TextEncoder();

function coordinatorWith(c: SimCluster, counter: LoadCounter): Coordinator {
  return new Coordinator({
    name: 't', transport: c.network.transport('t'), clock: c.clock, random: c.random, table: fixedTableView(c.table), load: counter,
    options: { r: 2, w: 2, speculativeRetryMs: 1000, readRepair: false },
  });
}

describe('LoadCounter: the replica load model', () => {
  it('counts a write on every replica and a read on the R replicas it asked', async () => {
    const c = new SimCluster(3, { ...SIMULATION_DEFAULTS, servers: 5, zones: 3 });
    const counter = new LoadCounter(c.table.vnodeCount, { hotKeySampleEvery: 1 });
    const coordinator = coordinatorWith(c, counter);
    const key = encoder.encode('user:7');
    const vnode = c.table.vnodeOf(key);
    await drive(c.clock, coordinator.put(key, encoder.encode('abcdef')));
    // Let the MERGE to the third replica go out (W=2 answers before it completes).
    await drive(c.clock, c.clock.sleep(50));
    const afterWrite = counter.take();
    expect(afterWrite.requests[vnode]).toBe(1);
    expect(afterWrite.writes[vnode]).toBe(1);
    expect(afterWrite.touches[vnode]).toBe(3);
    expect(afterWrite.bytes[vnode]).toBeGreaterThanOrEqual(3 * 6);
    await drive(c.clock, coordinator.get(key));
    const afterRead = counter.take();
    expect(afterRead.requests[vnode]).toBe(1);
    expect(afterRead.writes[vnode]).toBe(0);
    expect(afterRead.touches[vnode]).toBe(2);
    expect(afterRead.hotKeys).toEqual([{ key: 'user:7', count: 1, error: 0 }]);
  });

  it('samples the hot-key sketch with a fixed stride and scales its counts back', () => {
    const counter = new LoadCounter(16, { hotKeySampleEvery: 4 });
    for (let i = 0; i < 400; i++) counter.onRequest(1, encoder.encode(i % 2 === 0 ? 'hot' : `cold${i}`), 'read');
    const interval = counter.take();
    expect(interval.requests[1]).toBe(400);
    expect(interval.hotKeys[0]?.key).toBe('hot');
    expect(interval.hotKeys[0]?.count).toBe(400);
    expect(counter.take().requests[1]).toBe(0);
  });
});

describe('SpaceSaving', () => {
  it('holds every key above n/k, each count over by at most its error (property)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 40 }).map((v) => Math.floor(v * v / 40)), { minLength: 1, maxLength: 2000 }), fc.integer({ min: 2, max: 16 }), (stream, k) => {
      const sketch = new SpaceSaving(k);
      const truth = new Map<string, number>();
      for (const value of stream) {
        sketch.offer(String(value));
        truth.set(String(value), (truth.get(String(value)) ?? 0) + 1);
      }
      const top = new Map(sketch.top().map((hot) => [hot.key, hot]));
      expect(top.size).toBeLessThanOrEqual(k);
      for (const [key, count] of truth) {
        if (count > stream.length / k) expect(top.has(key)).toBe(true);
        const hot = top.get(key);
        if (hot !== undefined) {
          expect(hot.count).toBeGreaterThanOrEqual(count);
          expect(hot.count - hot.error).toBeLessThanOrEqual(count);
        }
      }
    }), { numRuns: 60 });
  });
});

describe('load report', () => {
  const limits = { hotKeysMax: 8, keyBytesMax: 16, vnodeCount: 16 };

  it('round-trips through JSON', () => {
    const counter = new LoadCounter(16, { hotKeySampleEvery: 1 });
    counter.onRequest(3, Buffer.from([0xff, 0x00, 0x41]), 'write');
    counter.onSend({ kind: 'read', key: encoder.encode('k'), vnode: 3 });
    const body = JSON.parse(JSON.stringify(encodeLoadReport('proxy.a1', 7, 1000, counter.take()))) as unknown;
    const report = readLoadReport(body, limits);
    expect(report).toMatchObject({ reporter: 'proxy.a1', epoch: 7, vnodeCount: 16, intervalMs: 1000, vnodes: [{ vnode: 3, requests: 1, writes: 1, touches: 1, bytes: 0 }] });
    expect([...(report.hotKeys[0]?.key ?? [])]).toEqual([0xff, 0x00, 0x41]);
  });

  it('refuses malformed and oversized reports with RC_ERR_BAD_REQUEST', () => {
    const good = { reporter: 'p', epoch: 1, vnodeCount: 16, intervalMs: 1000, vnodes: [[1, 2, 1, 3, 4]], hotKeys: [] };
    const bads: unknown[] = [
      null, [], { ...good, extra: 1 }, { ...good, reporter: 'a b' }, { ...good, vnodeCount: 32 },
      { ...good, vnodes: [[1, 2, 1, 3, 4], [1, 2, 1, 3, 4]] }, { ...good, vnodes: [[16, 1, 0, 1, 1]] },
      { ...good, vnodes: [[1, -1, 0, 1, 1]] }, { ...good, vnodes: [[1, 1, 2, 1, 1]] }, { ...good, vnodes: new Array(17).fill([0, 0, 0, 0, 0]) },
      { ...good, hotKeys: new Array(9).fill({ key: 'YQ==', count: 1, error: 0 }) }, { ...good, hotKeys: [{ key: Buffer.alloc(17).toString('base64'), count: 1, error: 0 }] },
      { ...good, hotKeys: [{ key: 'YQ==', count: 1, error: 2 }] }, { ...good, intervalMs: 0 },
    ];
    for (const bad of bads) {
      let caught: unknown;
      try { readLoadReport(bad, limits); } catch (error) { caught = error; }
      expect(caught, JSON.stringify(bad)).toBeInstanceOf(RingcacheError);
      expect((caught as RingcacheError).code).toBe('RC_ERR_BAD_REQUEST');
    }
    expect(readLoadReport(good, limits).vnodes).toHaveLength(1);
  });
});
