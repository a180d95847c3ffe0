import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ProcessCluster } from '../support/process-cluster.js';
import { testPort } from '../support/ports.js';
import { readContinuously, until } from '../support/readers.js';
import { RingcacheClient } from '../../src/index.js';

/**
 * Two real proxy processes over one cluster: a write through proxy A reaches proxy B's near cache
 * as an invalidation, long before B's entry would expire (the TTL here is a minute).
 */
describe('near-cache invalidation between two proxies', () => {
  const cluster = new ProcessCluster({
    nodes: 3,
    overrides: {
      proxy: { hotKeyCacheTtlMs: 60_000, invalidationFlushMs: 5 },
      rebalance: { loadReportIntervalMs: 200, auto: false },
    },
  });
  let a: Redis;
  let b: Redis;
  let bHttpPort = 0;

  beforeAll(async () => {
    await cluster.start();
    const bRespPort = await testPort();
    bHttpPort = await testPort();
    await cluster.startRole('proxy-b', [
      'proxy', `--proxy.respPort=${String(bRespPort)}`, `--proxy.httpPort=${String(bHttpPort)}`, `--proxy.tableCacheFile=${join(cluster.folder, 'proxy-b-table.json')}`,
    ]);
    a = new Redis({ port: cluster.respPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    b = new Redis({ port: bRespPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    await Promise.all([a.connect(), b.connect()]);
  }, 60_000);

  afterAll(async () => {
    a.disconnect();
    b.disconnect();
    await cluster.stop();
  }, 60_000);

  it('drops B\'s cached value when A writes the key, within a fraction of the TTL', async () => {
    await a.set('hot', 'v1');
    // B reads the key hot; it is cached once B's sketch reports it (one 200 ms interval), and A
    // watches it once the master's answer to A's next report names it.
    const reader = readContinuously(b, 'hot');
    try {
      await until(async () => (await metric(bHttpPort, 'ringcache_proxy_near_cache_reads_total{outcome="hit"}')) > 200, 15_000);
      await until(async () => (await metric(cluster.httpPort, 'ringcache_proxy_invalidation_peers')) >= 1, 5_000);
      // Two more report intervals so A's directory holds B's hot key.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const hitsBefore = await metric(bHttpPort, 'ringcache_proxy_near_cache_reads_total{outcome="hit"}');
      expect(reader.values.at(-1)).toBe('v1');
      await a.set('hot', 'v2');
      const writtenAt = Date.now();
      await until(() => Promise.resolve(reader.values.at(-1) === 'v2'), 5_000);
      const seenAfterMs = Date.now() - writtenAt;
      // The entry would have lived a minute: it went because A told B.
      expect(seenAfterMs).toBeLessThan(5_000);
      expect(await metric(cluster.httpPort, 'ringcache_proxy_invalidation_keys_total{outcome="queued"}')).toBeGreaterThanOrEqual(1);
      expect(await metric(cluster.httpPort, 'ringcache_proxy_invalidation_batches_total{outcome="delivered"}')).toBeGreaterThanOrEqual(1);
      expect(await metric(bHttpPort, 'ringcache_proxy_near_cache_peer_invalidations_total')).toBeGreaterThanOrEqual(1);
      // The key stayed hot, so B caches the new value and keeps serving hits.
      await until(async () => (await metric(bHttpPort, 'ringcache_proxy_near_cache_reads_total{outcome="hit"}')) > hitsBefore + 200, 10_000);
      expect(reader.values.at(-1)).toBe('v2');
      // A client library's write reaches B's cache the same way (it hears the same directory).
      const library = await RingcacheClient.connect({ masterUrl: `http://127.0.0.1:${String(cluster.masterPort)}`, token: cluster.token, name: 'lib', loadReportIntervalMs: 200 });
      try {
        await until(async () => {
          await library.set('hot', 'v3');
          await new Promise((resolve) => setTimeout(resolve, 100));
          return reader.values.at(-1) === 'v3';
        }, 5_000);
      } finally {
        await library.close();
      }
    } finally {
      await reader.stop();
    }
    expect(reader.errors).toEqual([]);
  }, 60_000);

  it('refuses a malformed or unauthenticated batch with a coded error', async () => {
    const url = `http://127.0.0.1:${String(bHttpPort)}/v1/near-cache/invalidate`;
    const unauthenticated = await fetch(url, { method: 'POST', body: JSON.stringify({ keys: [] }) });
    expect(unauthenticated.status).toBe(401);
    const headers = { ...cluster.authorization, 'content-type': 'application/json' };
    for (const body of ['{"keys": [1]}', '{"keys": [], "more": 1}', '{"keys": ["', JSON.stringify({ keys: Array.from({ length: 1025 }, () => 'aw==') })]) {
      const refused = await fetch(url, { method: 'POST', headers, body });
      expect(refused.status, body.slice(0, 40)).toBe(400);
      expect(((await refused.json()) as { code: string }).code).toBe('RC_ERR_BAD_REQUEST');
    }
    const accepted = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ keys: [Buffer.from('cold').toString('base64')] }) });
    expect(accepted.status).toBe(200);
  });
});


async function metric(httpPort: number, series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${String(httpPort)}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
