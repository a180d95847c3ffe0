/**
 * A hash pushed to limits.collectionElementsMax through a real proxy (issue 9's "a hash with 1e6
 * fields gets a coded error, not an out-of-memory"): every replica of an in-process cluster (N=3)
 * and the proxy share the limit. The add past it answers RC_ERR_COLLECTION_FULL as a Redis error
 * naming the option, nothing stored changes, an update of a present field still works, and one
 * HSET of 100,000 new fields is refused the same way without the process growing by more than a
 * bounded amount.
 */
import { Command, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyServer } from '../../src/proxy/index.js';
import { InProcessCluster } from '../helpers/in-process-cluster.js';

const ELEMENTS_MAX = 2000;
const MiB = 1024 * 1024;

let proxy: ProxyServer;
let client: Redis;

beforeAll(async () => {
  const cluster = new InProcessCluster({ config: ['proxy.respPort=0', 'proxy.httpPort=0', `limits.collectionElementsMax=${String(ELEMENTS_MAX)}`] });
  proxy = new ProxyServer(cluster.proxyDeps());
  await proxy.start();
  client = new Redis({ host: '127.0.0.1', port: proxy.respPort, lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
});

afterAll(async () => {
  client.disconnect();
  await proxy.stop();
});

const refusal = (promise: Promise<unknown>): Promise<string> => promise.then((reply) => `unexpected reply ${JSON.stringify(reply)}`, (error: unknown) => (error as Error).message);

describe('a hash at limits.collectionElementsMax through the proxy', () => {
  it('refuses the add past the limit with a coded error and changes nothing stored', async () => {
    for (let i = 0; i < ELEMENTS_MAX; i += 250) {
      const pairs = Array.from({ length: 250 }, (_, j) => [`f${String(i + j)}`, `v${String(i + j)}`]).flat();
      expect(await client.hset('limit:h', ...pairs)).toBe(250);
    }
    expect(await client.hlen('limit:h')).toBe(ELEMENTS_MAX);
    const before = await client.call('RC.HGETV', 'limit:h') as unknown[];
    const message = await refusal(client.hset('limit:h', 'one-more', 'x'));
    expect(message).toMatch(new RegExp(`^ERR .*limits\\.collectionElementsMax=${String(ELEMENTS_MAX)}`));
    expect(message).toMatch(/nothing was stored/);
    // Several fields, one of them new: refused whole.
    expect(await refusal(client.hset('limit:h', 'f1', 'changed', 'another', 'y'))).toMatch(/limits\.collectionElementsMax/);
    expect(await client.call('RC.HGETV', 'limit:h')).toEqual(before);
    expect(await client.hget('limit:h', 'one-more')).toBeNull();
    expect(await client.hget('limit:h', 'f1')).toBe('v1');
    // At the limit, a present field still takes updates and increments, and a removal frees a place.
    expect(await client.hset('limit:h', 'f1', 'updated')).toBe(0);
    expect(await client.hset('limit:h', 'f2', '1')).toBe(0);
    expect(await client.hincrbyfloat('limit:h', 'f2', '0.5')).toBe('1.5');
    expect(await client.hdel('limit:h', 'f3')).toBe(1);
    expect(await client.hset('limit:h', 'one-more', 'x')).toBe(1);
    expect(await client.hlen('limit:h')).toBe(ELEMENTS_MAX);
  });

  it('refuses one HSET of 100,000 new fields without the process growing unboundedly', async () => {
    const rssBefore = process.memoryUsage().rss;
    const args: string[] = ['limit:huge'];
    for (let i = 0; i < 100_000; i++) args.push(`g${String(i)}`, 'v');
    // One command built from an array: 200,000 arguments are too many to spread into a call.
    expect(await refusal(client.sendCommand(new Command('hset', args)) as Promise<unknown>)).toMatch(/limits\.collectionElementsMax/);
    expect(await client.exists('limit:huge')).toBe(0);
    expect(await client.type('limit:huge')).toBe('none');
    const grownMiB = (process.memoryUsage().rss - rssBefore) / MiB;
    console.log(`collection limit: RSS grew ${grownMiB.toFixed(1)} MiB over one refused HSET of 100,000 fields`);
    // The request itself is ~2 MB of RESP; copies at the proxy, the node and the refusal stay far below this.
    expect(grownMiB).toBeLessThan(400);
    expect(await client.ping()).toBe('PONG');
  }, 60_000);
});
