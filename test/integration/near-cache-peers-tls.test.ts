/**
 * Near-cache invalidation between two proxy processes with cluster TLS on: the proxies' HTTP
 * ports speak https with certificates of the cluster CA (proxy.tlsCertFile), so the invalidation
 * posts must trust that CA (and present this proxy's certificate), as every other cluster client
 * does. A write through proxy A drops proxy B's cached value long before its minute's TTL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterFetch } from '../../src/tls/index.js';
import { ProcessCluster } from '../support/process-cluster.js';
import { testPort } from '../support/ports.js';
import { readContinuously, until } from '../support/readers.js';
import { throwawayCa, type ThrowawayCa } from '../support/throwaway-ca.js';

const folder = mkdtempSync(join(tmpdir(), 'ringcache-near-cache-tls-'));
const ours: ThrowawayCa = throwawayCa(folder, 'cluster');
const secureFetch = clusterFetch({ ca: ours.ca, cert: ours.cert, key: ours.key });

describe('near-cache invalidation between two proxies over cluster TLS', () => {
  const cluster = new ProcessCluster({
    nodes: 3,
    overrides: {
      tls: { certFile: ours.certFile, keyFile: ours.keyFile, caFile: ours.caFile },
      proxy: { tlsCertFile: ours.certFile, tlsKeyFile: ours.keyFile, hotKeyCacheTtlMs: 60_000, invalidationFlushMs: 5 },
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
    a = new Redis({ port: cluster.respPort, host: '127.0.0.1', tls: { ca: ours.ca }, lazyConnect: true, maxRetriesPerRequest: 0 });
    b = new Redis({ port: bRespPort, host: '127.0.0.1', tls: { ca: ours.ca }, lazyConnect: true, maxRetriesPerRequest: 0 });
    await Promise.all([a.connect(), b.connect()]);
  }, 60_000);

  afterAll(async () => {
    a.disconnect();
    b.disconnect();
    await cluster.stop();
    rmSync(folder, { recursive: true, force: true });
  }, 60_000);

  it('delivers A\'s invalidation to B over https: B serves the new value within a fraction of the TTL', async () => {
    await a.set('hot', 'v1');
    const reader = readContinuously(b, 'hot');
    try {
      await until(async () => (await metric(bHttpPort, 'ringcache_proxy_near_cache_reads_total{outcome="hit"}')) > 200, 15_000);
      await until(async () => (await metric(cluster.httpPort, 'ringcache_proxy_invalidation_peers')) >= 1, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(reader.values.at(-1)).toBe('v1');
      await a.set('hot', 'v2');
      await until(() => Promise.resolve(reader.values.at(-1) === 'v2'), 5_000);
      expect(await metric(cluster.httpPort, 'ringcache_proxy_invalidation_batches_total{outcome="delivered"}')).toBeGreaterThanOrEqual(1);
      expect(await metric(bHttpPort, 'ringcache_proxy_near_cache_peer_invalidations_total')).toBeGreaterThanOrEqual(1);
    } finally {
      await reader.stop();
    }
    expect(reader.errors).toEqual([]);
  }, 60_000);
});

async function metric(httpPort: number, series: string): Promise<number> {
  const text = await (await secureFetch(`https://127.0.0.1:${String(httpPort)}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
