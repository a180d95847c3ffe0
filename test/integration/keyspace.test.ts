import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyServer } from '../../src/proxy/index.js';
import { InProcessCluster } from '../helpers/in-process-cluster.js';

/**
 * SCAN, KEYS, DBSIZE and INFO's memory and keyspace sections through the proxy, driven by
 * ioredis (scanStream included) over keys of every type spread across the vnodes.
 */
let cluster: InProcessCluster;
let proxy: ProxyServer;
let client: Redis;

const STRINGS = 150;

beforeAll(async () => {
  cluster = new InProcessCluster({ config: ['proxy.respPort=0', 'proxy.httpPort=0'] });
  proxy = new ProxyServer(cluster.proxyDeps());
  await proxy.start();
  client = new Redis({ host: '127.0.0.1', port: proxy.respPort, lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  for (let i = 0; i < STRINGS; i++) await client.set(`k:${String(i)}`, 'v');
  await client.hset('h:1', 'f', 'v');
  await client.sadd('s:1', 'm');
  await client.zadd('z:1', 1, 'm');
  await client.incr('c:1');
  await client.set('gone', 'x');
  await client.del('gone');
});

afterAll(async () => {
  client.disconnect();
  await proxy.stop();
});

async function scanAll(options: { match?: string; type?: string; count?: number } = {}): Promise<string[]> {
  const found: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const stream = client.scanStream(options);
    stream.on('data', (keys: string[]) => { found.push(...keys); });
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  return found.sort();
}

describe('the keyspace through the proxy', () => {
  it('scanStream walks every live key once, of every type, and not a deleted one', async () => {
    const keys = await scanAll({ count: 7 });
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(STRINGS + 4);
    expect(keys).toContain('h:1');
    expect(keys).not.toContain('gone');
  });

  it('SCAN filters by MATCH and TYPE, and refuses a bad cursor or option as Redis does', async () => {
    expect(await scanAll({ match: 'k:1?' })).toEqual(Array.from({ length: 10 }, (_, i) => `k:1${String(i)}`).sort());
    expect(await scanAll({ type: 'hash' })).toEqual(['h:1']);
    expect(await scanAll({ type: 'zset' })).toEqual(['z:1']);
    expect(await scanAll({ type: 'string', match: 'c:*' })).toEqual(['c:1']);
    await expect(client.call('SCAN', 'x')).rejects.toThrow('ERR invalid cursor');
    await expect(client.call('SCAN', '0', 'COUNT', '0')).rejects.toThrow('ERR syntax error');
    await expect(client.call('SCAN', '0', 'COUNT', 'x')).rejects.toThrow('ERR value is not an integer or out of range');
    await expect(client.call('SCAN', '0', 'FOO', '1')).rejects.toThrow('ERR syntax error');
    await expect(client.call('SCAN', String(2 ** 50))).rejects.toThrow('ERR invalid cursor');
  });

  it('KEYS answers a whole scan, DBSIZE counts live keys, INFO fills memory and keyspace', async () => {
    expect((await client.keys('[hsz]:*')).sort()).toEqual(['h:1', 's:1', 'z:1']);
    expect(await client.dbsize()).toBe(STRINGS + 4);
    const keyspace = await client.info('keyspace');
    expect(keyspace).toContain(`db0:keys=${String(STRINGS + 4)},expires=0,avg_ttl=0`);
    const memory = await client.info('memory');
    const used = Number(/used_memory:(\d+)/.exec(memory)?.[1]);
    expect(used).toBeGreaterThan(STRINGS * 100);
    expect(await client.info()).toContain('# Memory');
  });

  it('KEYS is refused past ProxyOptions.keysReplyMax with a message pointing to SCAN', async () => {
    const small = new ProxyServer({ ...cluster.proxyDeps(), options: { keysReplyMax: 20 } });
    await small.start();
    const limited = new Redis({ host: '127.0.0.1', port: small.respPort, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await limited.connect();
      await expect(limited.keys('*')).rejects.toThrow(/KEYS would answer more than 20 keys; walk the keyspace with SCAN/);
      expect(await limited.keys('h:*')).toEqual(['h:1']);
    } finally {
      limited.disconnect();
      await small.stop();
    }
  });
});
