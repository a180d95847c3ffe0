/**
 * A real StorageNode on 127.0.0.1 port 0: a Coordinator with N=1 writes, reads and deletes through
 * TcpTransport; garbage on the internode port is refused without harming other connections; the
 * cluster token guards the port and /v1/stats; stop() answers what is in flight; the sweeper runs.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { RingcacheError, SeededRandom, SystemClock, silentLogger } from '../../src/runtime/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { RingcacheConfig } from '../../src/config/index.js';
import { RoutingTable, vnodeOf } from '../../src/ring/index.js';
import type { Table } from '../../src/ring/index.js';
import { StorageNode } from '../../src/node/index.js';
import type { Sweeper } from '../../src/node/index.js';
import { TcpTransport } from '../../src/transport/index.js';
import type { TcpClientKind } from '../../src/transport/index.js';
import { Coordinator } from '../../src/replication/index.js';
import type { TableView } from '../../src/replication/index.js';
import { resolve as resolveValue } from '../../src/version/index.js';

const clock = new SystemClock();
const VNODES = 64;

function configWith(overrides: Record<string, unknown> = {}): RingcacheConfig {
  return loadConfig({
    file: {
      cluster: { vnodeCount: VNODES, replicaCount: 1, ...(overrides.cluster as object | undefined) },
      replication: { r: 1, w: 1, requestTimeoutMs: 2000 },
      storage: { sweepIntervalMs: 10, ...(overrides.storage as object | undefined) },
      nodes: [{ id: 'n1', zone: 'a', host: '127.0.0.1', port: 0, httpPort: 0 }],
    },
  });
}

function tableAt(epoch: number): Table {
  return {
    epoch, vnodeCount: VNODES, replicaCount: 1,
    servers: [{ id: 'n1', zone: 'a', capacity: 1, host: '127.0.0.1', port: 0, httpPort: 0, state: 'active' }],
    rows: Array.from({ length: VNODES }, () => ({ replicas: ['n1'] })),
  };
}

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
});

interface Running {
  readonly node: StorageNode;
  readonly nodeEpochsSeen: number[];
  readonly coordinatorEpochsSeen: number[];
  readonly transport: TcpTransport;
  readonly coordinator: Coordinator;
}

async function startNode(config: RingcacheConfig, options: { client?: TcpClientKind; token?: string; closeTimeoutMs?: number } = {}): Promise<Running> {
  const nodeEpochsSeen: number[] = [];
  const node = new StorageNode({
    serverId: 'n1', config, clock, random: new SeededRandom(1), logger: silentLogger, registry: new Registry(),
    table: { current: () => undefined, epoch: () => 5, observeEpoch: (epoch) => { nodeEpochsSeen.push(epoch); } },
    ...(options.closeTimeoutMs === undefined ? {} : { closeTimeoutMs: options.closeTimeoutMs }),
  });
  await node.start();
  stops.push(() => node.stop());
  const transport = new TcpTransport({
    resolve: (server) => (server === 'n1' ? { host: '127.0.0.1', port: node.respPort } : undefined),
    clock, token: options.token ?? config.cluster.token, options: { client: options.client ?? 'lean' },
  });
  stops.push(() => transport.close());
  const coordinatorEpochsSeen: number[] = [];
  const routing = new RoutingTable(tableAt(3));
  const table: TableView = { current: () => routing, observeEpoch: (epoch) => { coordinatorEpochsSeen.push(epoch); } };
  const coordinator = new Coordinator({ name: 'test', transport, clock, random: new SeededRandom(2), table, options: { r: 1, w: 1, requestTimeoutMs: 2000 } });
  return { node, nodeEpochsSeen, coordinatorEpochsSeen, transport, coordinator };
}

/** A raw socket: writes bytes, collects every byte back. */
async function rawExchange(port: number, bytes: string | Buffer, until: (text: string) => boolean): Promise<{ text: string; closed: boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1'); });
  socket.on('error', () => undefined);
  socket.on('close', () => { closed = true; });
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write(bytes);
  for (let waited = 0; waited < 2000 && !until(text); waited += 5) await clock.sleep(5);
  await clock.sleep(20);
  socket.destroy();
  return { text, closed };
}

describe('StorageNode', () => {
  for (const client of ['lean', 'ioredis'] as const) {
    it(`serves a Coordinator with N=1 over TcpTransport (${client}): write, read, delete, epochs`, async () => {
      const { coordinator, node, nodeEpochsSeen, coordinatorEpochsSeen } = await startNode(configWith(), { client });
      const key = Uint8Array.from([0, 13, 10, 255, 36]);
      const value = Buffer.alloc(1024 * 1024, 0x61);
      const written = await coordinator.put(key, value);
      expect(written.coordinator).toBe('n1');
      expect(written.dot.actor).toBe(node.actor);
      const read = await coordinator.get(key);
      expect(Buffer.from(resolveValue(read.versioned!, clock.nowMs())!.value!).equals(value)).toBe(true);
      const overwritten = await coordinator.put(key, Buffer.from('second'), { context: read.versioned!.context });
      expect(overwritten.versioned.siblings).toHaveLength(1);
      await coordinator.put(key, null);
      const deleted = await coordinator.get(key);
      expect(deleted.versioned!.siblings.map((sibling) => sibling.value)).toEqual([null]);
      expect(resolveValue(deleted.versioned!, clock.nowMs())).toBeUndefined();
      expect((await coordinator.get(Buffer.from('never written'))).versioned).toBeNull();
      expect(coordinatorEpochsSeen).toContain(5);
      expect(nodeEpochsSeen).toEqual([]);
    });
  }

  it('reports a newer request epoch to the node\'s table source', async () => {
    const { transport, nodeEpochsSeen } = await startNode(configWith());
    const reply = await transport.send('n1', { epoch: 9, body: { kind: 'ping' } }, 2000);
    expect(reply).toEqual({ epoch: 5, body: { kind: 'pong', serverId: 'n1' } });
    expect(nodeEpochsSeen).toEqual([9]);
  });

  it('refuses garbage on the internode port and keeps serving other connections', async () => {
    const { node, coordinator } = await startNode(configWith());
    const port = node.respPort;
    const garbage = await rawExchange(port, '*2\r\n$abc\r\n', (text) => text.includes('\r\n'));
    expect(garbage.text).toMatch(/^-ERR Protocol error: invalid bulk length\r\n$/);
    expect(garbage.closed).toBe(true);
    const badPut = await rawExchange(port, '*3\r\n$6\r\nRC.PUT\r\n$1\r\n1\r\n$1\r\nx\r\n*1\r\n$4\r\nPING\r\n', (text) => text.includes('PONG'));
    expect(badPut.text).toBe("-RC_ERR_PROTOCOL internode: wrong number of arguments for 'rc.put' command (got 2, expected 8)\r\n+PONG\r\n");
    const unknown = await rawExchange(port, 'FLUSHALL now please\r\n', (text) => text.includes('\r\n'));
    expect(unknown.text).toBe("-ERR unknown command 'FLUSHALL', with args beginning with: 'now' 'please' \r\n");
    const badVnode = await rawExchange(port, 'RC.READ 1 64 k\r\n', (text) => text.includes('\r\n'));
    expect(badVnode.text).toMatch(/^-RC_ERR_PROTOCOL internode: vnode 64 is not below cluster.vnodeCount \(64\)\r\n$/);
    const http = await rawExchange(port, 'POST / HTTP/1.1\r\nHost: x\r\n\r\nRC.PING 1\r\n', () => false);
    expect(http).toEqual({ text: '', closed: true });
    await coordinator.put(Buffer.from('still'), Buffer.from('fine'));
    expect((await coordinator.get(Buffer.from('still'))).versioned?.siblings).toHaveLength(1);
    const metrics = await (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`)).text();
    expect(metrics).toContain('ringcache_node_resp_protocol_errors_total 1');
    expect(metrics).toContain('ringcache_node_resp_cross_protocol_refusals_total 1');
    expect(metrics).toMatch(/ringcache_node_siblings_count [1-9]/);
  });

  it('enforces the cluster token on the internode port and /v1/stats', async () => {
    const config = configWith({ cluster: { token: 'tok' } });
    const { node, transport } = await startNode(config);
    const port = node.respPort;
    const unauthenticated = await rawExchange(port, 'RC.PING 1\r\nPING\r\nAUTH nope\r\nAUTH tok\r\nRC.PING 1\r\n', (text) => text.includes(':5'));
    expect(unauthenticated.text).toBe('-NOAUTH Authentication required.\r\n-NOAUTH Authentication required.\r\n'
      + '-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n*2\r\n:5\r\n$2\r\nn1\r\n');
    expect((await transport.send('n1', { epoch: 1, body: { kind: 'ping' } }, 2000)).epoch).toBe(5);
    for (const [client, token] of [['lean', ''], ['ioredis', 'wrong']] as const) {
      const intruder = new TcpTransport({ resolve: () => ({ host: '127.0.0.1', port }), clock, token, options: { client } });
      stops.push(() => intruder.close());
      const error = await intruder.send('n1', { epoch: 1, body: { kind: 'ping' } }, 2000).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RingcacheError);
      expect((error as RingcacheError).code).toBe('RC_ERR_UNAUTHORIZED');
    }
    const base = `http://127.0.0.1:${node.httpPort}`;
    expect((await fetch(`${base}/v1/stats`)).status).toBe(401);
    expect((await fetch(`${base}/v1/stats`, { headers: { authorization: 'Bearer tok' } })).status).toBe(200);
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('stop() answers the requests in flight, closes, and is idempotent', async () => {
    const { node, transport } = await startNode(configWith(), { closeTimeoutMs: 1000 });
    const port = node.respPort;
    await transport.send('n1', { epoch: 1, body: { kind: 'ping' } }, 2000);
    const sends = Array.from({ length: 500 }, (_, i) => transport.send('n1', {
      epoch: 1,
      body: { kind: 'coord-put', requestId: `stop-${i}`, key: Buffer.from(`k${i}`), vnode: vnodeOf(Buffer.from(`k${i}`), VNODES), value: Buffer.alloc(2000, i), context: null, expiresAtMs: null },
    }, 5000));
    const settled = Promise.allSettled(sends);
    // Stop once the node is part-way through the batch: some commands answered, others unread.
    for (let turns = 0; turns < 10_000 && node.engine.stats().keys === 0; turns++) await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([node.stop(), node.stop()]);
    await node.stop();
    const results = await settled;
    const answered = results.filter((result) => result.status === 'fulfilled').length;
    for (const result of results) {
      if (result.status === 'rejected') expect((result.reason as RingcacheError).code).toBe('RC_ERR_UNREACHABLE');
    }
    expect(answered).toBeGreaterThan(0);
    expect(node.engine.stats().keys).toBeGreaterThanOrEqual(answered);
    const started = performance.now();
    const after = await transport.send('n1', { epoch: 1, body: { kind: 'ping' } }, 2000).catch((caught: unknown) => caught);
    expect((after as RingcacheError).code).toBe('RC_ERR_UNREACHABLE');
    expect(performance.now() - started).toBeLessThan(500);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(false); });
      socket.once('error', () => { resolve(true); });
    });
    expect(refused).toBe(true);
  });

  it('sweeps tombstones past their grace on its timer', async () => {
    // A grace well above one write's round trip: with 1 ms a sweep on a busy machine could take the
    // tombstone before the check below sees it.
    const { node, coordinator } = await startNode(configWith({ storage: { tombstoneGraceMs: 200 }, hints: { ageMsMax: 100 } }));
    await coordinator.put(Buffer.from('doomed'), null);
    expect(node.engine.stats().keys).toBe(1);
    for (let waited = 0; waited < 2000 && node.engine.stats().keys > 0; waited += 10) await clock.sleep(10);
    expect(node.engine.stats().keys).toBe(0);
    expect((node.core.service('sweeper') as Sweeper | undefined)?.removed).toBe(1);
  });
});
