import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { ProcessCluster } from '../support/process-cluster.js';
import { RingcacheClient } from '../../src/index.js';

/** Real processes: a master, 5 nodes in zones a,a,b,b,c and a proxy on free ports. */
describe('a cluster of real processes', () => {
  const cluster = new ProcessCluster({ nodes: 5 });
  let redis: Redis;

  beforeAll(async () => {
    await cluster.start();
    redis = new Redis({ port: cluster.respPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
  }, 60_000);

  afterAll(async () => {
    redis.disconnect();
    await cluster.stop();
  }, 60_000);

  it('carries a pipeline of 1,000 commands, binary keys and values and a 1 MiB value through the nodes', async () => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 500; i++) pipeline.set(`p:${String(i)}`, `value-${String(i)}`);
    for (let i = 0; i < 500; i++) pipeline.get(`p:${String(i)}`);
    const results = await pipeline.exec();
    expect(results).toHaveLength(1000);
    expect(results?.slice(0, 500).filter(([error, reply]) => error !== null || reply !== 'OK').map(([error]) => String(error)).slice(0, 3)).toEqual([]);
    expect(results?.slice(500).map(([, reply]) => reply)).toEqual(Array.from({ length: 500 }, (_, i) => `value-${String(i)}`));
    const binaryKey = Buffer.from([0, 1, 2, 255, 13, 10, 36]);
    const binaryValue = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await redis.set(binaryKey, binaryValue);
    expect(await redis.getBuffer(binaryKey)).toEqual(binaryValue);
    const large = Buffer.alloc(1024 * 1024, 7);
    expect(await redis.set('large', large)).toBe('OK');
    expect((await redis.getBuffer('large'))?.equals(large)).toBe(true);
    const tooLarge = Buffer.alloc(1024 * 1024 + 1, 7);
    await expect(redis.set('large', tooLarge)).rejects.toThrow(/valueBytesMax|too large|limit/i);
    expect((await redis.getBuffer('large'))?.equals(large)).toBe(true);
  }, 60_000);

  it('serves the client library with no proxy hop: versions, contexts and siblings', async () => {
    const a = await RingcacheClient.connect({ masterUrl: `http://127.0.0.1:${String(cluster.masterPort)}`, name: 'lib-a', token: cluster.token });
    try {
      await a.set('cart:7', 'apples');
      expect((await a.get('cart:7'))?.toString()).toBe('apples');
      const seen = await a.getVersions('cart:7');
      expect(seen?.siblings.map((s) => s.value.toString())).toEqual(['apples']);
      // Two writers that read the same version write concurrently: both values survive as siblings.
      // The proxy signs with the same cluster token, so the library's token works there.
      await redis.call('RC.SETV', 'cart:7', 'apples,plums', seen?.context ?? '', 'W', '3');
      const mine = await a.set('cart:7', 'apples,pears', { context: seen?.context ?? '', w: 3 });
      const both = await a.getVersions('cart:7', { r: 3 });
      expect(both?.siblings.map((s) => s.value.toString()).sort()).toEqual(['apples,pears', 'apples,plums']);
      // The token of a write never covers the plums this writer did not read: writing with it keeps
      // them (and, as one coordinator wrote both, keeps the pears too, for the client to merge).
      await a.set('cart:7', 'apples,kiwis', { context: mine, w: 3 });
      const after = await a.getVersions('cart:7', { r: 3 });
      expect(after?.siblings.map((s) => s.value.toString())).toContain('apples,plums');
      expect(after?.siblings.map((s) => s.value.toString())).toContain('apples,kiwis');
      // Writing back with the merged context resolves them.
      await a.set('cart:7', 'apples,pears,plums', { context: after?.context ?? '', w: 3 });
      expect((await a.getVersions('cart:7', { r: 3 }))?.siblings.map((s) => s.value.toString())).toEqual(['apples,pears,plums']);
      // DELETE means what DEL and HTTP DELETE mean: the answer says whether a value was visible.
      expect(await a.delete('cart:7')).toBe(true);
      expect(await a.get('cart:7')).toBeNull();
      expect(await a.delete('cart:7')).toBe(false);
      expect(await redis.exists('cart:7')).toBe(0);
      expect(a.route('cart:7').replicas).toHaveLength(3);
      // Counters through real processes: the library and the proxy increment the same key.
      expect(await a.incrBy('visits', 5)).toBe(5n);
      expect(await redis.incr('visits')).toBe(6);
      expect(await a.incrBy('visits', -2n)).toBe(4n);
      expect((await a.get('visits'))?.toString()).toBe('4');
      expect(await redis.get('visits')).toBe('4');
      await a.set('visits', 'x');
      await expect(a.incrBy('visits')).rejects.toThrow(/value is not an integer or out of range/);
      // Hashes, sets and sorted sets: the library and the proxy see the same collections.
      expect((await a.operate('profile', 'hset', ['name', 'ann', 'visits', '1'])).integer).toBe(2n);
      expect(await redis.hincrby('profile', 'visits', 4)).toBe(5);
      expect(Object.fromEntries([...(await a.hgetAll('profile'))].map(([field, value]) => [field, value.toString()]))).toEqual({ name: 'ann', visits: '5' });
      await redis.sadd('tags', 'b', 'a');
      expect((await a.smembers('tags')).map(String)).toEqual(['a', 'b']);
      expect((await a.operate('board', 'zadd', ['2', 'y', '1', 'x'])).integer).toBe(2n);
      expect((await a.zmembers('board')).map(({ member, score }) => [member.toString(), score])).toEqual([['x', 1], ['y', 2]]);
      expect(await a.type('board')).toBe('zset');
      await expect(a.operate('board', 'sadd', ['m'])).rejects.toThrow(/WRONGTYPE/);
    } finally {
      await a.close();
    }
  }, 60_000);

  it('keeps acknowledging W=2 writes while a node is killed with SIGKILL, and reads return the latest values', async () => {
    const latest = new Map<string, string>();
    const failures: string[] = [];
    const writes = 600;
    for (let i = 0; i < writes; i++) {
      if (i === 200) await cluster.kill('n3');
      const key = `user:${String(i % 50)}`;
      const value = `v${String(i)}`;
      try {
        expect(await redis.set(key, value)).toBe('OK');
        latest.set(key, value);
      } catch (error) {
        failures.push(`${key}: ${(error as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
    for (const [key, value] of latest) expect(await redis.get(key)).toBe(value);
  }, 60_000);

  it('keeps serving reads and writes while the master is down, and the master comes back with the same epoch', async () => {
    const before = await (await fetch(`http://127.0.0.1:${String(cluster.masterPort)}/v1/table`, { headers: cluster.authorization })).json() as { epoch: number; rows: unknown[] };
    await cluster.kill('master');
    for (let i = 0; i < 100; i++) {
      expect(await redis.set(`m:${String(i)}`, `x${String(i)}`)).toBe('OK');
      expect(await redis.get(`m:${String(i)}`)).toBe(`x${String(i)}`);
    }
    await cluster.startRole('master', ['master']);
    const after = await (await fetch(`http://127.0.0.1:${String(cluster.masterPort)}/v1/table`, { headers: cluster.authorization })).json() as { epoch: number; rows: unknown[] };
    expect(after.epoch).toBe(before.epoch);
    expect(after.rows).toEqual(before.rows);
    expect(await redis.get('m:99')).toBe('x99');
  }, 60_000);
});
