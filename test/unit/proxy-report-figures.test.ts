/**
 * A proxy's own request figures on their way to the dashboard: the proxy's metrics tally, the
 * interval figures its load report carries, the report's checks at the master, and the master's
 * bounded, expiring book of proxies.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ProxyBook } from '../../shard-master/dashboard/proxy-book.js';
import { LoadCounter, LoadReporter, RequestIntervals, encodeLoadReport, readLoadReport } from '../../src/load/index.js';
import type { LoadReport, RequestTally } from '../../src/load/index.js';
import { LATENCY_BOUNDS_MS, quantileMs } from '../../src/metrics/index.js';
import { ProxyRespHandler } from '../../src/proxy/index.js';
import { RingcacheError, SeededRandom, VirtualClock, silentLogger } from '../../src/runtime/index.js';
import { InProcessCluster } from '../helpers/in-process-cluster.js';
import { RespDriver } from '../helpers/resp-driver.js';
import { SteppingClock } from '../support/stepping-clock.js';

const limits = { hotKeysMax: 8, keyBytesMax: 16, vnodeCount: 16 };

function tally(requests: number, errors: number, rejected: number, counts: number[]): RequestTally {
  return { requests, errors, rejected, latency: { boundsMs: [1, 2, 4], counts } };
}

describe("the proxy's request tally", () => {
  it('counts every command by outcome and sums the latency of every series', async () => {
    const cluster = new InProcessCluster();
    const clock = new SteppingClock(0.3);
    const registry = new Registry();
    const handler = new ProxyRespHandler(cluster.proxyDeps({ registry, clock }));
    const redis = new RespDriver(handler);
    // The first command also registers the connection (one clock reading more): a long one.
    clock.stepMs = 1000;
    expect(await redis.call('PING')).toBe('PONG');
    clock.stepMs = 0.3;
    expect(await redis.call('SET', 'k', 'v')).toBe('OK');
    clock.stepMs = 3;
    expect(await redis.call('GET', 'k')).toBe('v');
    expect(await redis.call('GET')).toEqual({ error: "ERR wrong number of arguments for 'get' command" });
    const figures = handler.metrics.requestTally();
    expect(figures.requests).toBe(4);
    expect(figures.rejected).toBe(1);
    expect(figures.errors).toBe(0);
    expect(figures.latency.boundsMs).toBe(LATENCY_BOUNDS_MS);
    expect(figures.latency.counts).toHaveLength(LATENCY_BOUNDS_MS.length + 1);
    const timed = figures.latency.counts.reduce((sum, n) => sum + n, 0);
    expect(timed).toBeGreaterThanOrEqual(3);
    // The SET took one 0.3 ms step: it sits in the 0.5 ms bucket; the GET's 3 ms step in the 5 ms one.
    expect(figures.latency.counts[LATENCY_BOUNDS_MS.indexOf(0.5)]).toBeGreaterThanOrEqual(1);
    expect(figures.latency.counts[LATENCY_BOUNDS_MS.indexOf(5)]).toBeGreaterThanOrEqual(1);
  });
});

describe('interval figures', () => {
  it('are the difference of two tallies, with percentiles of the difference', () => {
    let current = tally(100, 1, 2, [90, 10, 0, 0]);
    const intervals = new RequestIntervals(() => current);
    current = tally(300, 4, 2, [100, 100, 0, 0]);
    const figures = intervals.take();
    expect(figures).toEqual({ total: 200, errors: 3, rejected: 0, p50Ms: quantileMs([1, 2, 4], [10, 90, 0, 0], 0.5), p99Ms: quantileMs([1, 2, 4], [10, 90, 0, 0], 0.99) });
    expect(figures.p50Ms).toBeGreaterThan(1);
    expect(figures.p99Ms).toBeLessThanOrEqual(2);
    // Nothing happened since: zeros, and no percentile rather than a made-up one.
    expect(intervals.take()).toEqual({ total: 0, errors: 0, rejected: 0, p50Ms: null, p99Ms: null });
  });

  it('ride on the load report once a proxy is attached, and only then', async () => {
    const clock = new VirtualClock();
    const posted: Record<string, unknown>[] = [];
    const fetchStub = (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
      posted.push(JSON.parse(init?.body as string) as Record<string, unknown>);
      return Promise.resolve(new Response(null, { status: 204 }));
    };
    let current = tally(0, 0, 0, [0, 0, 0, 0]);
    const reporter = new LoadReporter({
      masterUrl: 'http://127.0.0.1:1', name: 'proxy', clock, random: new SeededRandom(1), logger: silentLogger,
      counter: new LoadCounter(16), epoch: () => 3, intervalMs: 1000, fetch: fetchStub,
    });
    await reporter.tick();
    expect(posted[0]).not.toHaveProperty('requests');
    reporter.attachProxy({ tally: () => current, endpoints: ['redis://127.0.0.1:6380', 'http://127.0.0.1:8080'] });
    current = tally(50, 0, 1, [40, 10, 0, 0]);
    await reporter.tick();
    expect(posted[1]).toMatchObject({ requests: { total: 50, errors: 0, rejected: 1 }, endpoints: ['redis://127.0.0.1:6380', 'http://127.0.0.1:8080'] });
    const read = readLoadReport(posted[1], limits);
    expect(read.requests?.total).toBe(50);
    expect(read.endpoints).toEqual(['redis://127.0.0.1:6380', 'http://127.0.0.1:8080']);
  });
});

describe('request figures in a load report, at the master', () => {
  const counter = new LoadCounter(16);
  const base = encodeLoadReport('proxy.a1', 7, 1000, counter.take()) as Record<string, unknown>;
  const requests = { total: 10, errors: 1, rejected: 2, p50Ms: 0.4, p99Ms: 3 };

  it('round-trip', () => {
    const body = JSON.parse(JSON.stringify(encodeLoadReport('proxy.a1', 7, 1000, counter.take(), { requests, endpoints: ['redis://[::1]:6380'] }))) as unknown;
    expect(readLoadReport(body, limits)).toMatchObject({ requests, endpoints: ['redis://[::1]:6380'] });
    expect(readLoadReport({ ...base, requests: { ...requests, p50Ms: null, p99Ms: null } }, limits).requests).toMatchObject({ p50Ms: null, p99Ms: null });
  });

  it('are checked field by field: RC_ERR_BAD_REQUEST', () => {
    const bads: unknown[] = [
      { ...base, requests: 5 }, { ...base, requests: { ...requests, extra: 1 } }, { ...base, requests: { ...requests, total: -1 } },
      { ...base, requests: { ...requests, errors: 9, rejected: 2 } }, { ...base, requests: { ...requests, p50Ms: 4, p99Ms: 3 } },
      { ...base, requests: { ...requests, p99Ms: 1e9 } }, { ...base, requests: { ...requests, p50Ms: '1' } }, { ...base, requests: { total: 1, errors: 0, rejected: 0 } },
      { ...base, endpoints: 'redis://x' }, { ...base, endpoints: ['a', 'b', 'c', 'd', 'e'] }, { ...base, endpoints: ['x'.repeat(101)] },
      { ...base, endpoints: ['tab\there'] }, { ...base, endpoints: [''] }, { ...base, endpoints: [7] },
    ];
    for (const bad of bads) {
      let caught: unknown;
      try { readLoadReport(bad, limits); } catch (error) { caught = error; }
      expect(caught, JSON.stringify(bad)).toBeInstanceOf(RingcacheError);
      expect((caught as RingcacheError).code).toBe('RC_ERR_BAD_REQUEST');
    }
  });
});

describe("the master's book of proxies", () => {
  const options = { proxiesMax: 2, pointsMax: 3, silentAfterIntervals: 3, forgetAfterMs: 60_000 };
  const report = (reporter: string, total: number, extra: Partial<LoadReport> = {}): LoadReport => ({
    reporter, epoch: 4, vnodeCount: 16, intervalMs: 2000, vnodes: [], hotKeys: [],
    requests: { total, errors: 2, rejected: 0, p50Ms: 0.5, p99Ms: 4 }, ...extra,
  });

  it('turns each report into a point per second, keeps pointsMax, and ignores reports without figures', () => {
    const clock = new VirtualClock();
    const book = new ProxyBook(clock, options);
    const { requests: _none, ...library } = report('client.x', 1);
    book.record(library);
    expect(book.size).toBe(0);
    const startMs = clock.nowMs();
    for (let i = 1; i <= 5; i++) {
      clock.runUntil(startMs + i * 2000);
      book.record(report('proxy.a', 1000 * i, { endpoints: ['redis://127.0.0.1:6380'] }));
    }
    const { reporting, history } = book.view(-1);
    expect(reporting).toHaveLength(1);
    expect(reporting[0]).toMatchObject({ id: 'proxy.a', status: 'reporting', epoch: 4, intervalMs: 2000, endpoints: ['redis://127.0.0.1:6380'], firstReportAtMs: startMs + 2000 });
    expect(reporting[0]?.latest).toEqual({ atMs: startMs + 10_000, perSec: 2500, errorsPerSec: 1, rejectedPerSec: 0, p50Ms: 0.5, p99Ms: 4 });
    expect(history['proxy.a']?.map((point) => point.perSec)).toEqual([1500, 2000, 2500]);
    expect(book.view(startMs + 8000).history['proxy.a']?.map((point) => point.perSec)).toEqual([2500]);
  });

  it('calls a proxy silent after three intervals, forgets it later, and keeps at most proxiesMax', () => {
    const clock = new VirtualClock();
    const book = new ProxyBook(clock, options);
    const t0 = clock.nowMs();
    book.record(report('proxy.a', 10));
    book.record(report('proxy.b', 10));
    book.record(report('proxy.c', 10));
    expect(book.size).toBe(2);
    expect(book.refused).toBe(1);
    clock.runUntil(t0 + 6001);
    book.record(report('proxy.b', 10));
    expect(book.view(-1).reporting.map((proxy) => [proxy.id, proxy.status])).toEqual([['proxy.a', 'silent'], ['proxy.b', 'reporting']]);
    clock.runUntil(t0 + 60_001);
    // a is past forgetAfterMs: its place goes to c.
    book.record(report('proxy.c', 10));
    expect(book.view(-1).reporting.map((proxy) => proxy.id)).toEqual(['proxy.b', 'proxy.c']);
  });

  it('keeps a proxy named __proto__ as data', () => {
    const book = new ProxyBook(new VirtualClock(), options);
    book.record(report('__proto__', 10));
    const { history } = book.view(-1);
    expect(Object.keys(history)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(history))).toHaveProperty(['__proto__']);
  });
});
