/**
 * The proxy's latency figures on a monotonic high-resolution clock, and its per-backend metrics
 * (requests, errors, timeouts and latency by storage node and request kind) fed by the
 * Coordinator's SendObserver hook.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BackendMetrics, ProxyRespHandler, buildProxyHttp } from '../../src/proxy/index.js';
import { SystemClock } from '../../src/runtime/index.js';
import { InProcessCluster } from '../helpers/in-process-cluster.js';
import { RespDriver } from '../helpers/resp-driver.js';
import { SteppingClock } from '../support/stepping-clock.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The value of one sample line of the Prometheus text, or undefined when it is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('SystemClock.monotonicMs', () => {
  it('resolves below a millisecond and never goes backwards', () => {
    const clock = new SystemClock();
    let previous = clock.monotonicMs();
    let subMillisecondSteps = 0;
    let backwards = 0;
    for (let i = 0; i < 20_000; i++) {
      const now = clock.monotonicMs();
      if (now < previous) backwards++;
      if (now > previous && now - previous < 1) subMillisecondSteps++;
      previous = now;
    }
    expect(backwards).toBe(0);
    // Date.now would step by whole milliseconds only: 0 here.
    expect(subMillisecondSteps).toBeGreaterThan(100);
  });
});

describe('request latency buckets', () => {
  it('a 0.3 ms RESP command lands in the 0.5 ms bucket and a 0.2 ms one in the 0.25 ms bucket', async () => {
    const cluster = new InProcessCluster();
    const clock = new SteppingClock(0.3);
    const registry = new Registry();
    const redis = new RespDriver(new ProxyRespHandler(cluster.proxyDeps({ registry, clock })));
    // The first command also registers the connection (one clock reading more): keep it out.
    clock.stepMs = 1000;
    expect(await redis.call('PING')).toBe('PONG');
    clock.stepMs = 0.3;
    expect(await redis.call('SET', 'k', 'v')).toBe('OK');
    clock.stepMs = 0.2;
    expect(await redis.call('GET', 'k')).toBe('v');
    const text = await registry.metrics();
    const bucket = (command: string, le: string): number | undefined => sample(text, `ringcache_proxy_request_duration_seconds_bucket{protocol="resp",command="${command}",le="${le}"}`);
    expect([bucket('set', '0.00025'), bucket('set', '0.0005'), bucket('set', '+Inf')]).toEqual([0, 1, 1]);
    expect([bucket('get', '0.00025'), bucket('get', '0.0005')]).toEqual([1, 1]);
    expect(sample(text, 'ringcache_proxy_request_duration_seconds_sum{protocol="resp",command="set"}')).toBeCloseTo(0.0003, 9);
  });

  it('times HTTP requests on the same clock', async () => {
    const cluster = new InProcessCluster();
    const clock = new SteppingClock(0.4);
    const registry = new Registry();
    const app = buildProxyHttp(cluster.proxyDeps({ registry, clock }));
    try {
      expect((await app.inject({ method: 'PUT', url: '/v1/kv/a', payload: 'x' })).statusCode).toBe(204);
      expect((await app.inject({ method: 'GET', url: '/v1/kv/a' })).statusCode).toBe(200);
      const text = await registry.metrics();
      for (const command of ['put', 'get']) {
        const bucket = (le: string): number | undefined => sample(text, `ringcache_proxy_request_duration_seconds_bucket{protocol="http",command="${command}",le="${le}"}`);
        expect([command, bucket('0.00025'), bucket('0.0005')]).toEqual([command, 0, 1]);
      }
    } finally {
      await app.close();
    }
  });
});

describe('per-backend metrics', () => {
  it('count each node\'s requests by kind, and its errors and timeouts apart', async () => {
    const registry = new Registry();
    const backends = new BackendMetrics(registry);
    const cluster = new InProcessCluster({ observer: backends, replication: { requestTimeoutMs: 100, speculativeRetryMs: 5000, failureBackoffMs: 60_000 } });
    const redis = new RespDriver(new ProxyRespHandler(cluster.proxyDeps({ registry })));
    const [first, second, third] = cluster.rowOf(Buffer.from('k')) as [string, string, string];
    expect(await redis.call('SET', 'k', 'v')).toBe('OK');
    // W=2 answers after two acks; the third MERGE lands a turn later.
    await sleep(20);
    expect(backends.totals(first, 'coord-put')).toEqual({ requests: 1, errors: 0, timeouts: 0 });
    expect([backends.totals(second, 'merge').requests, backends.totals(third, 'merge').requests]).toEqual([1, 1]);
    expect(await redis.call('GET', 'k')).toBe('v');
    const reads = [first, second, third].map((server) => backends.totals(server, 'read').requests);
    expect(reads.reduce((sum, count) => sum + count, 0)).toBe(2);

    // second refuses (crashed), third never answers (cut off from this coordinator, as is every
    // fallback, so no hint can stand in): the write fails its quorum once the timeout passes, and
    // each failure is counted against its node.
    cluster.crash(second);
    cluster.network.partition(['proxy-test'], cluster.serverIds.filter((server) => server !== first && server !== second));
    const reply = await redis.call('SET', 'k', 'w');
    expect(reply).toEqual({ error: 'ERR write acknowledged by 1 of 2 required replicas (w=2, 4 of 5 failed); see replication.w' });
    expect(backends.totals(second, 'merge')).toEqual({ requests: 2, errors: 1, timeouts: 0 });
    expect(backends.totals(third, 'merge')).toEqual({ requests: 2, errors: 0, timeouts: 1 });

    const text = await registry.metrics();
    expect(sample(text, `ringcache_proxy_backend_requests_total{node="${first}",op="coord-put"}`)).toBe(2);
    expect(sample(text, `ringcache_proxy_backend_errors_total{node="${second}",op="merge"}`)).toBe(1);
    expect(sample(text, `ringcache_proxy_backend_timeouts_total{node="${third}",op="merge"}`)).toBe(1);
    expect(sample(text, `ringcache_proxy_backend_timeouts_total{node="${second}",op="merge"}`)).toBe(0);
    expect(sample(text, `ringcache_proxy_backend_request_duration_seconds_count{node="${third}",op="merge"}`)).toBe(2);
    // The timed-out request waited out replication.requestTimeoutMs (timers may fire a ms early).
    expect(sample(text, `ringcache_proxy_backend_request_duration_seconds_sum{node="${third}",op="merge"}`)).toBeGreaterThan(0.095);
    // Both failed as transport failures: the coordinator now holds them down, and says so per node.
    expect([first, second, third].map((node) => sample(text, `ringcache_proxy_node_up{node="${node}"}`))).toEqual([1, 0, 0]);
    // Down too: the two fallbacks the hints could not reach.
    expect(sample(text, 'ringcache_proxy_servers_down')).toBe(4);
    expect(text).toMatch(/^ringcache_build_info\{version="[^"]+",node_version="v[^"]+",role="proxy"\} 1$/m);
  });
});
