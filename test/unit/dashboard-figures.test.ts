import { describe, expect, it } from 'vitest';
import { readNodeReport } from '../../shard-master/dashboard/node-report.js';
import { DASHBOARD_DEFAULTS, detectionBoundMs } from '../../shard-master/dashboard/options.js';
import { UNPROBED, nextProbeState } from '../../shard-master/dashboard/probe-state.js';
import type { ProbeState } from '../../shard-master/dashboard/probe-state.js';
import { quantileMs, requestRates } from '../../shard-master/dashboard/request-rates.js';

describe('probe state: up, suspect, down', () => {
  const fail = (startedAtMs: number) => ({ ok: false as const, startedAtMs, error: 'connection refused' });
  const pass = (startedAtMs: number) => ({ ok: true as const, startedAtMs, roundTripMs: 3, body: { status: 'ok' } });

  it('is suspect from the first failure and down once failures span downAfterMs', () => {
    let state: ProbeState = nextProbeState(UNPROBED, pass(0), 2000);
    expect(state.status).toBe('up');
    state = nextProbeState(state, fail(1000), 2000);
    expect(state).toMatchObject({ status: 'suspect', failingSinceMs: 1000, error: 'connection refused', roundTripMs: 3 });
    state = nextProbeState(state, fail(2000), 2000);
    expect(state.status).toBe('suspect');
    state = nextProbeState(state, fail(2999), 2000);
    expect(state.status).toBe('suspect');
    state = nextProbeState(state, fail(3000), 2000);
    expect(state).toMatchObject({ status: 'down', failingSinceMs: 1000 });
    state = nextProbeState(state, pass(4000), 2000);
    expect(state).toMatchObject({ status: 'up', failingSinceMs: null, error: null });
  });

  it('a process never reached is suspect, then down, like one that died', () => {
    const first = nextProbeState(UNPROBED, fail(0), 2000);
    expect(first.status).toBe('suspect');
    expect(nextProbeState(first, fail(2000), 2000).status).toBe('down');
  });

  it('the detection bound follows the cadence: 2 I + D + T', () => {
    expect(detectionBoundMs(DASHBOARD_DEFAULTS)).toBe(2 * 1000 + 2000 + 800);
    expect(detectionBoundMs({ ...DASHBOARD_DEFAULTS, probeIntervalMs: 500, downAfterMs: 1000, probeTimeoutMs: 300 })).toBe(2300);
  });
});

describe('a node report off the wire', () => {
  const stats = {
    serverId: 'n1', epoch: 4, actor: 'n1.1',
    totals: { keys: 12, bytes: 3400, bytesMax: 1 << 20, evictions: 1, rejections: 0, siblingsOverflow: 0 },
    vnodes: [{ vnode: 3, keys: 5, bytes: 1000 }, { vnode: 9, keys: 7, bytes: 2400 }],
  };

  it('reads totals and keys per vnode; request counters only when sent', () => {
    const read = readNodeReport(stats, 64);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.report).toMatchObject({ epoch: 4, keys: 12, bytes: 3400, bytesMax: 1 << 20, evictions: 1, requests: null });
    expect([...read.report.vnodeKeys]).toEqual([[3, 5], [9, 7]]);
    const withRequests = readNodeReport({ ...stats, requests: { total: 10, errors: 1, latencyMs: { boundsMs: [1, 2], counts: [6, 3, 1] } } }, 64);
    expect(withRequests.ok && withRequests.report.requests).toEqual({ total: 10, errors: 1, latency: { boundsMs: [1, 2], counts: [6, 3, 1] } });
  });

  it('refuses what is malformed or over its bounds, and drops bad entries', () => {
    expect(readNodeReport('<html>', 64)).toMatchObject({ ok: false });
    expect(readNodeReport({ totals: { keys: -1, bytes: 0 }, vnodes: [] }, 64)).toMatchObject({ ok: false });
    expect(readNodeReport({ ...stats, vnodes: Array.from({ length: 65 }, (_, vnode) => ({ vnode, keys: 1 })) }, 64)).toMatchObject({ ok: false, problem: expect.stringContaining('more than V=64') as unknown });
    const odd = readNodeReport({ ...stats, vnodes: [{ vnode: 99, keys: 1 }, { vnode: 'x', keys: 1 }, null, { vnode: 2, keys: 1.5 }, { vnode: 1, keys: 2 }] }, 64);
    expect(odd.ok && [...odd.report.vnodeKeys]).toEqual([[1, 2]]);
    const badHistogram = readNodeReport({ ...stats, requests: { total: 5, latencyMs: { boundsMs: [2, 1], counts: [1, 1, 1] } } }, 64);
    expect(badHistogram.ok && badHistogram.report.requests).toEqual({ total: 5, errors: null, latency: null });
    const wrongLength = readNodeReport({ ...stats, requests: { total: 5, latencyMs: { boundsMs: [1, 2], counts: [1, 1] } } }, 64);
    expect(wrongLength.ok && wrongLength.report.requests?.latency).toBeNull();
  });
});

describe('request rates from two snapshots', () => {
  const bounds = [1, 2, 5, 10];
  const snapshot = (total: number, counts: number[], errors: number | null = 0) => ({ total, errors, latency: { boundsMs: bounds, counts } });

  it('divides the difference by the interval and interpolates percentiles inside buckets', () => {
    const rates = requestRates(snapshot(100, [50, 30, 15, 5, 0]), snapshot(300, [150, 90, 45, 15, 0], 4), 2000);
    expect(rates?.perSec).toBe(100);
    expect(rates?.errorsPerSec).toBe(2);
    // 200 requests in the interval: 100 <= 1 ms, 60 in (1, 2], 30 in (2, 5], 10 in (5, 10].
    expect(rates?.p50Ms).toBe(1);
    expect(rates?.p99Ms).toBeCloseTo(5 + 5 * (8 / 10), 9);
  });

  it('says nothing of an interval where the counters went back (a restart), and floors past the last bound', () => {
    expect(requestRates(snapshot(300, [0, 0, 0, 0, 300]), snapshot(10, [0, 0, 0, 0, 10]), 1000)).toBeUndefined();
    expect(quantileMs(bounds, [0, 0, 0, 0, 4], 0.99)).toBe(10);
    expect(quantileMs(bounds, [0, 0, 0, 0, 0], 0.5)).toBeNull();
    const idle = requestRates(snapshot(7, [7, 0, 0, 0, 0]), snapshot(7, [7, 0, 0, 0, 0]), 1000);
    expect(idle).toEqual({ perSec: 0, errorsPerSec: 0, p50Ms: null, p99Ms: null });
  });

  it('without histograms: a rate, no percentiles', () => {
    const rates = requestRates({ total: 0, errors: null, latency: null }, { total: 50, errors: null, latency: null }, 500);
    expect(rates).toEqual({ perSec: 100, errorsPerSec: null, p50Ms: null, p99Ms: null });
  });
});
