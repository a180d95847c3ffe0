import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { ProcessCluster } from '../support/process-cluster.js';

/** Real processes: a master, 5 nodes in zones a,a,b,b,c and a proxy on free ports. */
describe('a cluster of real processes under failures', () => {
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
    const before = await (await fetch(`http://127.0.0.1:${String(cluster.masterPort)}/v1/table`)).json() as { epoch: number; rows: unknown[] };
    await cluster.kill('master');
    for (let i = 0; i < 100; i++) {
      expect(await redis.set(`m:${String(i)}`, `x${String(i)}`)).toBe('OK');
      expect(await redis.get(`m:${String(i)}`)).toBe(`x${String(i)}`);
    }
    await cluster.startRole('master', ['master']);
    const after = await (await fetch(`http://127.0.0.1:${String(cluster.masterPort)}/v1/table`)).json() as { epoch: number; rows: unknown[] };
    expect(after.epoch).toBe(before.epoch);
    expect(after.rows).toEqual(before.rows);
    expect(await redis.get('m:99')).toBe('x99');
  }, 60_000);
});
