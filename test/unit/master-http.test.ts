import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterSummary } from '../../shard-master/cluster-summary.js';
import { buildMasterHttp } from '../../shard-master/http.js';
import { ShardMaster } from '../../shard-master/master.js';
import type { ShardMasterOptions } from '../../shard-master/master.js';
import type { ServerInfo, Table } from '../../src/ring/index.js';
import { SystemClock, silentLogger } from '../../src/runtime/index.js';
import { masterConfig, tempDir, waitFor } from '../support/master-fixtures.js';

interface Harness {
  readonly master: ShardMaster;
  readonly app: FastifyInstance;
}

const dirs: string[] = [];
const harnesses: Harness[] = [];

async function harness(options: { longPollMs?: number; token?: string; master?: Partial<ShardMasterOptions> } = {}): Promise<Harness> {
  const dir = tempDir();
  dirs.push(dir);
  const config = masterConfig({ stateFile: path.join(dir, 'state.json'), longPollMs: options.longPollMs ?? 5_000, token: options.token ?? '' });
  const registry = new Registry();
  const master = new ShardMaster({ config, clock: new SystemClock(), logger: silentLogger, registry, options: options.master ?? {} });
  await master.start();
  const app = buildMasterHttp(master, { config, logger: silentLogger, registry });
  const built = { master, app };
  harnesses.push(built);
  return built;
}

function next(table: Table): Table {
  return { ...table, epoch: table.epoch + 1 };
}

afterEach(async () => {
  for (const { app, master } of harnesses.splice(0)) {
    await app.close();
    master.stop();
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('shard-master HTTP: /v1/table', () => {
  it('answers the table with its epoch', async () => {
    const { app, master } = await harness();
    const response = await app.inject({ method: 'GET', url: '/v1/table' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['x-ringcache-epoch']).toBe('1');
    const table = response.json<Table>();
    expect(table).toEqual(master.table());
    expect(table.rows).toHaveLength(1024);
  });

  it('answers at once when the table is newer than since', async () => {
    const { app } = await harness({ longPollMs: 60_000 });
    const response = await app.inject({ method: 'GET', url: '/v1/table?since=0' });
    expect(response.statusCode).toBe(200);
    expect(response.json<Table>().epoch).toBe(1);
  });

  it('long-polls until a commit and answers the new table', async () => {
    const { app, master } = await harness({ longPollMs: 60_000 });
    const polled = app.inject({ method: 'GET', url: '/v1/table?since=1' });
    await waitFor(() => master.longPollWaiters === 1, 'the long poll to park');
    await master.commit(next(master.table()));
    const response = await polled;
    expect(response.statusCode).toBe(200);
    expect(response.json<Table>().epoch).toBe(2);
    expect(response.headers['x-ringcache-epoch']).toBe('2');
  });

  it('answers 304 with no body when nothing is committed within longPollMs', async () => {
    const { app, master } = await harness({ longPollMs: 50 });
    const startedMs = Date.now();
    const response = await app.inject({ method: 'GET', url: '/v1/table?since=1' });
    expect(response.statusCode).toBe(304);
    expect(response.body).toBe('');
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(40);
    expect(master.longPollWaiters).toBe(0);
  });

  it('takes waitMs, capped by longPollMs', async () => {
    const { app } = await harness({ longPollMs: 50 });
    const startedMs = Date.now();
    expect((await app.inject({ method: 'GET', url: '/v1/table?since=1&waitMs=0' })).statusCode).toBe(304);
    expect((await app.inject({ method: 'GET', url: '/v1/table?since=1&waitMs=3600000' })).statusCode).toBe(304);
    expect(Date.now() - startedMs).toBeLessThan(2_000);
  });

  it('refuses a long poll over the waiter limit with a coded 503', async () => {
    const { app, master } = await harness({ longPollMs: 60_000, master: { longPollWaitersMax: 1 } });
    const parked = app.inject({ method: 'GET', url: '/v1/table?since=1' });
    await waitFor(() => master.longPollWaiters === 1, 'the long poll to park');
    const refused = await app.inject({ method: 'GET', url: '/v1/table?since=1' });
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ code: 'RC_ERR_OVERLOADED' });
    await app.close(); // releases the parked poll: "no news", and closes its connection
    const released = await parked;
    expect(released.statusCode).toBe(304);
    expect(released.headers.connection).toBe('close');
  });

  it.each([
    ['since=-1', 'since'],
    ['since=abc', 'since'],
    ['since=1.5', 'since'],
    ['since=', 'since'],
    ['since=1&since=2', 'since'],
    ['since=99999999999999999999', 'since'],
    ['since=1&waitMs=soon', 'waitMs'],
    ['since=1&waitMs=-5', 'waitMs'],
  ])('answers 400 RC_ERR_BAD_REQUEST to ?%s', async (query, name) => {
    const { app } = await harness();
    const response = await app.inject({ method: 'GET', url: `/v1/table?${query}` });
    expect(response.statusCode).toBe(400);
    const body = response.json<{ code: string; message: string }>();
    expect(body.code).toBe('RC_ERR_BAD_REQUEST');
    expect(body.message).toContain(`${name} must be a non-negative integer`);
  });
});

describe('shard-master HTTP: cluster, servers, health, metrics', () => {
  it('summarizes the 5-node a,a,b,b,c cluster: every zone holds V replicas, evened exactly', async () => {
    const { app } = await harness();
    const response = await app.inject({ method: 'GET', url: '/v1/cluster' });
    expect(response.statusCode).toBe(200);
    const summary = response.json<ClusterSummary>();
    expect(summary).toMatchObject({ epoch: 1, vnodeCount: 1024, replicaCount: 3, imbalance: 0 });
    // V*N = 3072 spread over 3 zones at most V each: c's lone server 1024, the other four 512.
    expect(summary.servers.map((server) => [server.id, server.zone, server.replicas, server.target])).toEqual([
      ['n1', 'a', 512, 512],
      ['n2', 'a', 512, 512],
      ['n3', 'b', 512, 512],
      ['n4', 'b', 512, 512],
      ['n5', 'c', 1024, 1024],
    ]);
    expect(summary.servers[0]).toMatchObject({ host: '127.0.0.1', port: 7101, httpPort: 7201, capacity: 1, state: 'active' });
    expect(summary.servers[0]!.share).toBeCloseTo(512 / 3072);
    expect(summary.servers[4]!.share).toBeCloseTo(1024 / 3072);
    // Write coordination follows the data: each server leads its replicas / N rows, within 1.
    const leads = summary.servers.map((server) => server.leads);
    expect(leads.reduce((sum, count) => sum + count, 0)).toBe(1024);
    summary.servers.forEach((server) => { expect(Math.abs(server.leads - server.replicas / 3)).toBeLessThan(1); });
    expect(summary.zones).toEqual([
      { zone: 'a', servers: ['n1', 'n2'], replicas: 1024, target: 1024 },
      { zone: 'b', servers: ['n3', 'n4'], replicas: 1024, target: 1024 },
      { zone: 'c', servers: ['n5'], replicas: 1024, target: 1024 },
    ]);
  });

  it('reports imbalance as max(replicas / target) - 1', async () => {
    const { app, master } = await harness();
    const table = master.table();
    // Hand two of n1's rows to n2 where n2 is not already in them: n2 holds 514 of 512.
    let moved = 0;
    const rows = table.rows.map((row) => {
      if (moved === 2 || !row.replicas.includes('n1') || row.replicas.includes('n2')) return row;
      moved++;
      return { replicas: row.replicas.map((id) => (id === 'n1' ? 'n2' : id)) };
    });
    await master.commit({ ...next(table), rows });
    const summary = (await app.inject({ method: 'GET', url: '/v1/cluster' })).json<ClusterSummary>();
    expect(summary.epoch).toBe(2);
    expect(summary.servers.find((server) => server.id === 'n2')?.replicas).toBe(514);
    expect(summary.imbalance).toBeCloseTo(514 / 512 - 1);
  });

  it('lists the servers', async () => {
    const { app } = await harness();
    const response = await app.inject({ method: 'GET', url: '/v1/servers' });
    expect(response.statusCode).toBe(200);
    const { servers } = response.json<{ servers: ServerInfo[] }>();
    expect(servers.map((server) => server.id)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    expect(servers[4]).toEqual({ id: 'n5', zone: 'c', capacity: 1, host: '127.0.0.1', port: 7105, httpPort: 7205, state: 'active' });
  });

  it('serves health, the endpoint page and Prometheus metrics', async () => {
    const { app, master } = await harness();
    expect((await app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok', epoch: 1 });
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('/v1/table');
    await master.commit(next(master.table()));
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(/^ringcache_master_epoch 2$/m);
    expect(metrics.body).toMatch(/^ringcache_master_commits_total 2$/m);
    expect(metrics.body).toMatch(/^ringcache_master_servers\{state="active"\} 5$/m);
    expect(metrics.body).toMatch(/^ringcache_master_replicas\{server="n5"\} 1024$/m);
    expect(metrics.body).toMatch(/^ringcache_master_replica_target\{server="n1"\} 512$/m);
    expect(metrics.body).toMatch(/^ringcache_master_imbalance_ratio 0$/m);
    expect(metrics.body).toMatch(/^ringcache_master_long_poll_waiters 0$/m);
  });

  it('answers unknown routes with a 404 JSON error', async () => {
    const { app } = await harness();
    const response = await app.inject({ method: 'GET', url: '/v1/nope?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ code: 'RC_ERR_NOT_FOUND', message: 'no route GET /v1/nope; GET / lists the endpoints', details: {} });
  });
});

describe('shard-master HTTP: cluster token', () => {
  it('wants the bearer token on every /v1 route, and leaves /health and /metrics open', async () => {
    const { app } = await harness({ token: 's3cret' });
    for (const url of ['/v1/table', '/v1/table?since=0', '/v1/cluster', '/v1/servers']) {
      const missing = await app.inject({ method: 'GET', url });
      expect(missing.statusCode).toBe(401);
      expect(missing.json()).toMatchObject({ code: 'RC_ERR_UNAUTHORIZED' });
      const wrong = await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer s3cre' } });
      expect(wrong.statusCode).toBe(401);
      const right = await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer s3cret' } });
      expect(right.statusCode).toBe(200);
    }
    expect((await app.inject({ method: 'GET', url: '/v1/table', headers: { authorization: 's3cret' } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('checks the token before the query string', async () => {
    const { app } = await harness({ token: 's3cret' });
    const response = await app.inject({ method: 'GET', url: '/v1/table?since=bad' });
    expect(response.statusCode).toBe(401);
  });
});
