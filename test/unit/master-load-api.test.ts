import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { buildMasterHttp } from '../../shard-master/http.js';
import { ShardMaster } from '../../shard-master/master.js';
import { storedBytesOf } from '../../shard-master/load/vnode-loads.js';
import type { StatsSample } from '../../shard-master/dashboard/stats-sampler.js';
import type { AdminHotKeys, AdminLoad, AdminRebalance, AdminRoute } from '../../src/client/admin-load-api.js';
import { RoutingTable } from '../../src/ring/index.js';
import type { RingcacheConfig } from '../../src/config/index.js';
import { SystemClock, silentLogger } from '../../src/runtime/index.js';
import { masterConfig, tempDir } from '../support/master-fixtures.js';

interface Harness {
  readonly master: ShardMaster;
  readonly app: FastifyInstance;
}

const dirs: string[] = [];
const harnesses: Harness[] = [];

/** Two servers a zone, so no zone forces one server into every row. Never contacted. */
const SIX_NODES = ['a', 'a', 'b', 'b', 'c', 'c'].map((zone, index) => ({ id: `n${index + 1}`, zone, port: 24101 + index, httpPort: 24201 + index }));

async function harness(rebalance: Partial<RingcacheConfig['rebalance']> = {}): Promise<Harness> {
  const dir = tempDir();
  dirs.push(dir);
  const base = masterConfig({ stateFile: path.join(dir, 'state.json'), vnodeCount: 64, nodes: SIX_NODES });
  const config: RingcacheConfig = { ...base, rebalance: { ...base.rebalance, ...rebalance } };
  const registry = new Registry();
  const master = new ShardMaster({ config, clock: new SystemClock(), logger: silentLogger, registry });
  await master.start();
  // The nodes' stats answer nothing: stored bytes are unknown (0), and no real port is asked.
  const app = buildMasterHttp(master, { config, logger: silentLogger, registry, dashboard: { fetch: () => Promise.resolve({ kind: 'failed', reason: 'test', elapsedMs: 0 }) } });
  const built = { master, app };
  harnesses.push(built);
  return built;
}

afterEach(async () => {
  for (const { app, master } of harnesses.splice(0)) {
    await app.close();
    master.stop();
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A report with `touches` on every vnode of `hotServer`'s rows and 1 elsewhere; `writes` on the rows it leads. */
function report(master: ShardMaster, options: { reporter?: string; hotServer: string; touches: number; writesLed?: number; evenTouches?: boolean }): Record<string, unknown> {
  const table = master.table();
  const vnodes = table.rows.map((row, vnode) => {
    const hot = row.replicas.includes(options.hotServer);
    const writes = row.replicas[0] === options.hotServer ? options.writesLed ?? 0 : 0;
    const touches = hot || options.evenTouches === true ? options.touches : 1;
    return [vnode, Math.max(touches, writes), writes, touches, touches * 10];
  });
  const key = Buffer.from('user:hot').toString('base64');
  return { reporter: options.reporter ?? 'proxy.t1', epoch: table.epoch, vnodeCount: table.vnodeCount, intervalMs: 1000, vnodes, hotKeys: [{ key, count: 500, error: 0 }] };
}

describe('shard-master load API', () => {
  it('answers each report with the other caching proxies and the keys they may hold', async () => {
    const { app, master } = await harness();
    const post = async (reporter: string, url?: string): Promise<{ peers: string[]; watchedKeys: string[] }> => {
      const body = { ...report(master, { reporter, hotServer: 'n1', touches: 2 }), ...(url === undefined ? {} : { invalidationUrl: url }) };
      const answer = await app.inject({ method: 'POST', url: '/v1/load/report', payload: body });
      expect(answer.statusCode).toBe(200);
      return answer.json();
    };
    expect(await post('proxy.a', 'http://127.0.0.1:8080')).toEqual({ peers: [], watchedKeys: [Buffer.from('user:hot').toString('base64')] });
    expect((await post('proxy.b', 'http://127.0.0.1:8081')).peers).toEqual(['http://127.0.0.1:8080']);
    // A client library caches nothing: it learns both proxies and names no URL of its own.
    expect((await post('lib.c')).peers.sort()).toEqual(['http://127.0.0.1:8080', 'http://127.0.0.1:8081']);
    const refused = await app.inject({ method: 'POST', url: '/v1/load/report', payload: { ...report(master, { reporter: 'proxy.d', hotServer: 'n1', touches: 2 }), invalidationUrl: 'http://evil/path' } });
    expect(refused.statusCode).toBe(400);
  });

  it('takes reports, shows the load per server and the hot keys', async () => {
    const { app, master } = await harness();
    const posted = await app.inject({ method: 'POST', url: '/v1/load/report', payload: report(master, { hotServer: 'n1', touches: 60 }) });
    expect(posted.statusCode).toBe(200);
    const load = (await app.inject({ method: 'GET', url: '/v1/load' })).json<AdminLoad>();
    expect(load.epoch).toBe(1);
    expect(load.reporters).toBe(1);
    const byId = new Map(load.servers.map((server) => [server.id, server]));
    const hottest = [...byId.values()].sort((a, b) => b.opsPerSec - a.opsPerSec)[0];
    expect(hottest?.id).toBe('n1');
    expect(load.maxOverMean).toBeGreaterThan(1.2);
    expect(load.servers.reduce((sum, server) => sum + server.share, 0)).toBeCloseTo(1, 9);
    const hot = (await app.inject({ method: 'GET', url: '/v1/hotkeys?limit=5' })).json<AdminHotKeys>();
    expect(hot.hotKeys[0]).toMatchObject({ key: 'user:hot', opsPerSec: 500, reporters: 1 });
    expect(hot.hotKeys[0]?.vnode).toBe(new RoutingTable(master.table()).vnodeOf(Buffer.from('user:hot')));
  });

  it('routes a key: vnode, row, leader, fallbacks', async () => {
    const { app, master } = await harness();
    const route = (await app.inject({ method: 'GET', url: '/v1/route/user%3A42' })).json<AdminRoute>();
    const table = new RoutingTable(master.table());
    const vnode = table.vnodeOf(Buffer.from('user:42'));
    expect(route).toMatchObject({ key: 'user:42', vnode, replicas: table.row(vnode).replicas, leader: table.row(vnode).replicas[0], pending: null, epoch: 1 });
    expect(route.servers).toHaveLength(3);
  });

  it('plans a rebalance as a dry run and refuses to apply moves without an executor; the table stays', async () => {
    const { app, master } = await harness();
    await app.inject({ method: 'POST', url: '/v1/load/report', payload: report(master, { hotServer: 'n2', touches: 40 }) });
    const before = master.table();
    const dry = await app.inject({ method: 'POST', url: '/v1/rebalance', payload: { dryRun: true } });
    expect(dry.statusCode).toBe(200);
    const plan = dry.json<AdminRebalance>();
    expect(plan.moves.length).toBeGreaterThan(0);
    // The hottest first; then the servers sharing n2's hot rows are the hottest in turn.
    expect(plan.moves[0]?.from).toBe('n2');
    expect(plan.after.maxOverMean).toBeLessThan(plan.before.maxOverMean);
    expect(plan.executor).toBe(false);
    const applied = await app.inject({ method: 'POST', url: '/v1/rebalance', payload: { dryRun: false } });
    expect(applied.statusCode).toBe(501);
    expect(applied.json<{ code: string }>().code).toBe('RC_ERR_MOVES_UNAVAILABLE');
    expect(master.table()).toBe(before);
  });

  it('applies a plan of leader changes alone as the next epoch (no data moves)', async () => {
    // Leadership comes in chunks (one vnode's writes): a wide tolerance is what they reach alone.
    const { app, master } = await harness({ imbalanceTolerancePercent: 20 });
    // Even replica load, but every write on the rows n3 leads: only leadership is unbalanced.
    await app.inject({ method: 'POST', url: '/v1/load/report', payload: report(master, { hotServer: 'n3', touches: 10, writesLed: 20, evenTouches: true }) });
    const plan = (await app.inject({ method: 'POST', url: '/v1/rebalance', payload: { dryRun: true } })).json<AdminRebalance>();
    expect(plan.moves).toEqual([]);
    expect(plan.leaderChanges.length).toBeGreaterThan(0);
    const holders = master.table().rows.map((row) => [...row.replicas].sort());
    const applied = await app.inject({ method: 'POST', url: '/v1/rebalance', payload: { dryRun: false } });
    expect(applied.statusCode).toBe(200);
    expect(applied.json<AdminRebalance>().committedEpoch).toBe(2);
    expect(master.table().epoch).toBe(2);
    expect(master.table().rows.map((row) => [...row.replicas].sort())).toEqual(holders);
  });

  it('refuses bad input with coded errors and bounds reporters', async () => {
    const { app, master } = await harness({ reportersMax: 2 });
    const cases: [string, string, unknown, number][] = [
      ['POST', '/v1/rebalance', { dryRun: 'yes' }, 400],
      ['POST', '/v1/rebalance', { dryRun: true, moves: [] }, 400],
      ['POST', '/v1/rebalance', [], 400],
      ['POST', '/v1/load/report', { reporter: 'x' }, 400],
      ['GET', '/v1/hotkeys?limit=0', undefined, 400],
      ['GET', `/v1/route/${'k'.repeat(2000)}`, undefined, 400],
    ];
    for (const [method, url, payload, status] of cases) {
      const response = await app.inject({ method: method as 'GET' | 'POST', url, ...(payload === undefined ? {} : { payload: payload as object }) });
      expect(response.statusCode, `${method} ${url}`).toBe(status);
      expect(response.json<{ code: string }>().code).toMatch(/^RC_ERR_/);
    }
    const malformed = await app.inject({ method: 'POST', url: '/v1/rebalance', headers: { 'content-type': 'application/json' }, payload: '{"dryRun": tr' });
    expect(malformed.statusCode).toBe(400);
    for (const reporter of ['p1', 'p2']) {
      expect((await app.inject({ method: 'POST', url: '/v1/load/report', payload: report(master, { reporter, hotServer: 'n1', touches: 2 }) })).statusCode).toBe(200);
    }
    const third = await app.inject({ method: 'POST', url: '/v1/load/report', payload: report(master, { reporter: 'p3', hotServer: 'n1', touches: 2 }) });
    expect(third.statusCode).toBe(503);
    expect(third.json<{ code: string }>().code).toBe('RC_ERR_OVERLOADED');
    expect(master.table().epoch).toBe(1);
  });
});

describe('storedBytesOf', () => {
  it("estimates a vnode's bytes from the nodes' keys per vnode and bytes per key, largest replica", async () => {
    const { master } = await harness();
    const sample: StatsSample = {
      atMs: 0,
      servers: new Map([
        ['n1', { atMs: 0, problem: undefined, rates: undefined, report: { epoch: 1, keys: 10, bytes: 1000, bytesMax: 1e9, evictions: 0, rejections: 0, vnodeKeys: new Map([[3, 4], [5, 6]]), requests: null } }],
        ['n2', { atMs: 0, problem: undefined, rates: undefined, report: { epoch: 1, keys: 5, bytes: 1000, bytesMax: 1e9, evictions: 0, rejections: 0, vnodeKeys: new Map([[3, 5]]), requests: null } }],
      ]),
    };
    const bytes = storedBytesOf(master.table(), sample);
    expect(bytes[3]).toBe(1000);
    expect(bytes[5]).toBe(600);
    expect(bytes[0]).toBe(0);
  });
});
