import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyServer } from '../../src/proxy/index.js';
import { InProcessCluster } from '../helpers/in-process-cluster.js';
import { startProxyUnderTest } from '../helpers/proxy-under-test.js';
import type { ProxyUnderTest } from '../helpers/proxy-under-test.js';

const run = promisify(execFile);
const REDIS_CLI = ['/usr/bin/redis-cli', '/usr/local/bin/redis-cli'].find((path) => existsSync(path));

let cluster: InProcessCluster;
let proxy: ProxyServer;
let client: Redis;
let running: ProxyUnderTest;

beforeAll(async () => {
  running = await startProxyUnderTest();
  ({ cluster, proxy, client } = running);
});

afterAll(async () => {
  await running.stop();
});

/** A plain socket: sends exact bytes, collects what comes back, notices the close. */
async function rawClient(port: number): Promise<{ socket: net.Socket; received: () => string; closed: Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve).once('error', reject); });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => { resolve(); }));
  return { socket, received: () => Buffer.concat(chunks).toString('latin1'), closed };
}

describe('a real ProxyServer driven by ioredis', () => {
  it('SET, GET, DEL, MSET, MGET, EXPIRE, TTL', async () => {
    expect(await client.set('a', '1')).toBe('OK');
    expect(await client.get('a')).toBe('1');
    expect(await client.mset('b', '2', 'c', '3')).toBe('OK');
    expect(await client.mget('a', 'b', 'c', 'd')).toEqual(['1', '2', '3', null]);
    expect(await client.del('a', 'b', 'nope')).toBe(2);
    expect(await client.get('a')).toBeNull();
    expect(await client.expire('c', 100)).toBe(1);
    expect(await client.ttl('c')).toBe(100);
    expect(await client.pttl('c')).toBeGreaterThan(99_000);
    expect(await client.ttl('nope')).toBe(-2);
    expect(await client.set('d', 'x', 'PX', 50)).toBe('OK');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await client.exists('d', 'c')).toBe(1);
    expect(await client.ping()).toBe('PONG');
    expect(await client.select(0)).toBe('OK');
    expect(await client.client('SETNAME', 'tests')).toBe('OK');
    expect(await client.client('GETNAME')).toBe('tests');
    const list = await client.client('LIST') as string;
    expect(list).toMatch(/^id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=-1 name=tests .*cmd=client .*lib-name=ioredis /m);
    expect(await client.info('clients')).toMatch(/connected_clients:[1-9]/);
    expect(await client.info('ringcache')).toContain('replicas_n:3');
  });

  it('answers a pipeline of 1,000 commands in order', async () => {
    const pipeline = client.pipeline();
    for (let i = 0; i < 500; i++) {
      pipeline.set(`p:${String(i)}`, `v${String(i)}`);
      pipeline.get(`p:${String(i)}`);
    }
    const results = await pipeline.exec();
    expect(results).toHaveLength(1000);
    for (let i = 0; i < 500; i++) {
      expect(results![2 * i]).toEqual([null, 'OK']);
      expect(results![2 * i + 1]).toEqual([null, `v${String(i)}`]);
    }
  });

  it('keeps binary and 1 MiB values intact; refuses one byte more', async () => {
    const key = Buffer.from([0, 0xff, 0x0d, 0x0a, 0x24]);
    const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff));
    expect(await client.set(key, binary)).toBe('OK');
    expect((await client.getBuffer(key))!.equals(binary)).toBe(true);
    const mebibyte = Buffer.alloc(1024 * 1024, 0x61);
    mebibyte[12345] = 0;
    expect(await client.set('big', mebibyte)).toBe('OK');
    expect((await client.getBuffer('big'))!.equals(mebibyte)).toBe(true);
    await expect(client.set('big', Buffer.alloc(1024 * 1024 + 1))).rejects.toThrow('value of 1048577 bytes is over limits.valueBytesMax=1048576');
    expect((await client.getBuffer('big'))!.equals(mebibyte)).toBe(true);
  });

  it('answers unknown commands as Redis does', async () => {
    await expect(client.call('FOO', 'a', 'b')).rejects.toThrow("ERR unknown command 'FOO', with args beginning with: 'a' 'b' ");
    await expect(client.call('ZUNIONSTORE', 'h')).rejects.toThrow("ERR unknown command 'ZUNIONSTORE'");
    await expect(client.call('SET', 'a', '1', 'NX')).rejects.toThrow('compare-and-set');
    expect(await client.get('c')).toBe('3');
  });

  it('a malformed RESP frame closes that connection only; stored values do not change', async () => {
    await client.set('stable', 'before');
    const before = cluster.storedState();
    const bad = await rawClient(proxy.respPort);
    // A complete GET, then a SET whose value length is not a number: the GET is answered, then the error.
    bad.socket.write('*2\r\n$3\r\nGET\r\n$6\r\nstable\r\n*3\r\n$3\r\nSET\r\n$6\r\nstable\r\n$abc\r\nafter\r\n');
    await bad.closed;
    expect(bad.received()).toBe('$6\r\nbefore\r\n-ERR Protocol error: invalid bulk length\r\n');
    const other = await rawClient(proxy.respPort);
    other.socket.write('*2\r\n$3\r\nGET\r\n$6\r\nstable\r\n');
    await expect.poll(() => other.received()).toBe('$6\r\nbefore\r\n');
    other.socket.destroy();
    expect(await client.get('stable')).toBe('before');
    expect(cluster.storedState()).toEqual(before);
    const garbage = await rawClient(proxy.respPort);
    garbage.socket.write('*1\r\n$-5\r\n');
    await garbage.closed;
    expect(garbage.received()).toBe('-ERR Protocol error: invalid bulk length\r\n');
    expect(await client.ping()).toBe('PONG');
  });

  it('closes a connection that speaks HTTP before its body runs, and counts it', async () => {
    const before = cluster.storedState();
    const http = await rawClient(proxy.respPort);
    http.socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 18\r\n\r\nSET xproto pwned\r\n');
    await http.closed;
    expect(http.received()).toBe('');
    expect(await client.get('xproto')).toBeNull();
    expect(cluster.storedState()).toEqual(before);
    expect(proxy.resp.stats.crossProtocolRefusals).toBe(1);
    const metrics = await (await fetch(`http://127.0.0.1:${proxy.httpPort}/metrics`)).text();
    expect(metrics).toContain('ringcache_proxy_resp_cross_protocol_refusals_total 1');
  });

  it('serves HTTP next to RESP on the same coordinator', async () => {
    const response = await fetch(`http://127.0.0.1:${String(proxy.httpPort)}/v1/kv/c`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('3');
    const metrics = await (await fetch(`http://127.0.0.1:${String(proxy.httpPort)}/metrics`)).text();
    expect(metrics).toMatch(/ringcache_proxy_connections\{protocol="resp"\} [1-9]/);
  });

  it.skipIf(REDIS_CLI === undefined)('works with redis-cli', async () => {
    const cli = async (...args: string[]): Promise<string> => (await run(REDIS_CLI!, ['-p', String(proxy.respPort), ...args])).stdout.trim();
    expect(await cli('set', 'a', '1')).toBe('OK');
    expect(await cli('get', 'a')).toBe('1');
    expect(await cli('foo', 'bar')).toBe("ERR unknown command 'foo', with args beginning with: 'bar'");
    expect(await cli('rc.route', 'a')).toContain('vnode');
  });
});

describe('ProxyServer lifecycle', () => {
  it('answers requests in flight, then stops; stop() is idempotent', async () => {
    const local = new InProcessCluster({ config: ['proxy.respPort=0', 'proxy.httpPort=0'], latencyMs: 30 });
    const server = new ProxyServer(local.proxyDeps());
    await server.start();
    const redis = new Redis({ port: server.respPort, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    await redis.connect();
    const pending = redis.set('slow', 'v');
    const httpPending = fetch(`http://127.0.0.1:${String(server.httpPort)}/v1/kv/slow-http`, { method: 'PUT', body: 'v' });
    // Both requests have reached the coordinator (30 ms hops keep them in flight) before stop().
    await expect.poll(() => local.coordinator.stats.writes, { interval: 1 }).toBe(2);
    const stopped = server.stop();
    expect(server.stop()).toBe(stopped);
    expect(await pending).toBe('OK');
    expect((await httpPending).status).toBe(204);
    await stopped;
    await expect(fetch(`http://127.0.0.1:${String(server.httpPort)}/health`)).rejects.toThrow();
    redis.disconnect();
  });
});
