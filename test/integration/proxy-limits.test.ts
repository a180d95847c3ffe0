import net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyServer } from '../../src/proxy/index.js';
import { InProcessCluster } from '../helpers/in-process-cluster.js';

const VALUE_BYTES = 100_000;
let cluster: InProcessCluster;
let proxy: ProxyServer;
let client: Redis;

beforeAll(async () => {
  cluster = new InProcessCluster({
    config: ['proxy.respPort=0', 'proxy.httpPort=0', 'proxy.mgetReplyBytesMax=350000', 'proxy.maxClients=4', 'proxy.httpConnectionsMax=2', 'proxy.httpHeaderBytesMax=2048'],
  });
  proxy = new ProxyServer(cluster.proxyDeps());
  await proxy.start();
  client = new Redis({ host: '127.0.0.1', port: proxy.respPort, lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
});

afterAll(async () => {
  client.disconnect();
  await proxy.stop();
});

async function metrics(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${proxy.httpPort}/metrics`)).text();
}

describe('proxy client limits', () => {
  it('fails an MGET whose values pass proxy.mgetReplyBytesMax, and serves one under it', async () => {
    await client.set('big', Buffer.alloc(VALUE_BYTES, 0x61));
    expect((await client.mgetBuffer('big', 'big', 'big')).map((value) => value?.length)).toEqual([VALUE_BYTES, VALUE_BYTES, VALUE_BYTES]);
    const reads = cluster.coordinator.stats.reads;
    await expect(client.mget(...Array.from({ length: 1000 }, () => 'big'))).rejects.toThrow(/^ERR MGET reply passed 350000 bytes of values \(\d+ gathered\); see proxy.mgetReplyBytesMax$/);
    // It stopped reading: far fewer than the 1,000 reads named (4 gathered, a parallel batch in flight).
    expect(cluster.coordinator.stats.reads - reads).toBeLessThan(200);
    expect(await client.ping()).toBe('PONG');
  });

  it('turns RESP clients away past proxy.maxClients, as Redis words it', async () => {
    const extra = await Promise.all([1, 2, 3].map(async () => {
      const redis = new Redis({ host: '127.0.0.1', port: proxy.respPort, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      await redis.connect();
      await redis.ping();
      return redis;
    }));
    const refused = new Redis({ host: '127.0.0.1', port: proxy.respPort, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: true });
    refused.on('error', () => undefined);
    await expect(refused.connect().then(() => refused.ping())).rejects.toThrow(/max number of clients reached|Connection is closed/);
    refused.disconnect();
    for (const redis of extra) redis.disconnect();
    await expect.poll(async () => metrics()).toMatch(/ringcache_proxy_limit_closes_total\{limit="max_clients"\} [1-9]/);
  });

  it('answers 431 to a header block over proxy.httpHeaderBytesMax', async () => {
    const response = await fetch(`http://127.0.0.1:${proxy.httpPort}/health`, { headers: { 'x-long': 'y'.repeat(4096) } });
    expect(response.status).toBe(431);
  });

  it('drops HTTP connections past proxy.httpConnectionsMax and counts them', async () => {
    const held = await Promise.all([1, 2].map(() => new Promise<net.Socket>((resolve) => {
      const socket = net.connect(proxy.httpPort, '127.0.0.1', () => { resolve(socket); });
    })));
    const third = net.connect(proxy.httpPort, '127.0.0.1');
    third.on('error', () => undefined);
    await new Promise((resolve) => third.once('close', resolve));
    for (const socket of held) socket.destroy();
    await expect.poll(async () => metrics()).toMatch(/ringcache_proxy_limit_closes_total\{limit="http_max_connections"\} [1-9]/);
  });
});
