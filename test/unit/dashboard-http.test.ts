import fs from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { DashboardOverview, VnodeView } from '../../src/client/dashboard-api.js';
import { buildMasterHttpWithDashboard } from '../../shard-master/http.js';
import { registerDashboard } from '../../shard-master/dashboard/index.js';
import type { Dashboard, JsonAnswer, JsonRequest } from '../../shard-master/dashboard/index.js';
import { clusterSummary } from '../../shard-master/cluster-summary.js';
import { CONTENT_SECURITY_POLICY, publicFolder } from '../../shard-master/dashboard/static-files.js';
import { ShardMaster } from '../../shard-master/master.js';
import { VirtualClock, silentLogger } from '../../src/runtime/index.js';
import { FIVE_NODES, masterConfig, tempDir } from '../support/master-fixtures.js';

/**
 * The dashboard's routes through inject(), with the nodes answered from memory: the fetcher is
 * the dashboard's network boundary (json-fetch.ts). The browser test drives real processes.
 */
interface Harness {
  readonly app: FastifyInstance;
  readonly dashboard: Dashboard;
  readonly master: ShardMaster;
  readonly clock: VirtualClock;
  readonly requests: JsonRequest[];
  /** What each node answers, by port: a function of the URL's path. */
  readonly nodes: Map<number, (path: string) => JsonAnswer>;
}

const harnesses: Harness[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const { app, master } of harnesses.splice(0)) {
    await app.close();
    master.stop();
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function stats(keys: number, vnodes: [number, number][], requests?: object): JsonAnswer {
  const body = { serverId: 'x', epoch: 1, actor: 'x.1', totals: { keys, bytes: keys * 100, bytesMax: 1 << 20, evictions: 0, rejections: 0, siblingsOverflow: 0 }, vnodes: vnodes.map(([vnode, held]) => ({ vnode, keys: held, bytes: held * 100 })), requests };
  return { kind: 'answered', status: 200, body, elapsedMs: 2 };
}

async function harness(options: { token?: string; folder?: string } = {}): Promise<Harness> {
  const dir = tempDir();
  dirs.push(dir);
  const config = masterConfig({ stateFile: path.join(dir, 'state.json'), token: options.token ?? '', vnodeCount: 64 });
  const clock = new VirtualClock();
  const master = new ShardMaster({ config, clock, logger: silentLogger, registry: new Registry() });
  await master.start();
  const requests: JsonRequest[] = [];
  const nodes = new Map<number, (path: string) => JsonAnswer>();
  for (const node of FIVE_NODES) {
    nodes.set(node.httpPort, (route) => (route === '/health' ? { kind: 'answered', status: 200, body: { status: 'ok' }, elapsedMs: 1 } : stats(0, [])));
  }
  const fetch = (request: JsonRequest): Promise<JsonAnswer> => {
    requests.push(request);
    const url = new URL(request.url);
    const answer = nodes.get(Number(url.port));
    return Promise.resolve(answer?.(url.pathname) ?? { kind: 'failed', reason: 'connection refused', elapsedMs: 0 });
  };
  const { app, dashboard } = buildMasterHttpWithDashboard(master, {
    config, logger: silentLogger, registry: new Registry(), clock,
    dashboard: { fetch, ...(options.folder === undefined ? {} : { folder: options.folder }) },
  });
  const built = { app, dashboard, master, clock, requests, nodes };
  harnesses.push(built);
  return built;
}

async function overview(h: Harness, query = ''): Promise<DashboardOverview> {
  const response = await h.app.inject({ method: 'GET', url: `/v1/dashboard${query}` });
  expect(response.statusCode).toBe(200);
  return response.json<DashboardOverview>();
}

describe('GET /v1/dashboard', () => {
  it('refuses a request without the cluster token with coded JSON, and sends the token to nodes only for stats', async () => {
    const h = await harness({ token: 'tok-1' });
    for (const url of ['/v1/dashboard', '/v1/dashboard/vnodes']) {
      const refused = await h.app.inject({ method: 'GET', url });
      expect(refused.statusCode).toBe(401);
      expect(refused.headers['www-authenticate']).toBe('Bearer realm="ringcache"');
      expect(refused.json()).toEqual({ code: 'RC_ERR_UNAUTHORIZED', message: expect.stringContaining('cluster token missing') as unknown, details: {} });
      const wrong = await h.app.inject({ method: 'GET', url, headers: { authorization: 'Bearer nope' } });
      expect(wrong.json<{ code: string; message: string }>().message).toContain('cluster token wrong');
    }
    await h.dashboard.prober.probeAll();
    const ok = await h.app.inject({ method: 'GET', url: '/v1/dashboard', headers: { authorization: 'Bearer tok-1' } });
    expect(ok.statusCode).toBe(200);
    const health = h.requests.filter((request) => request.url.endsWith('/health'));
    const statsRequests = h.requests.filter((request) => request.url.endsWith('/v1/stats'));
    expect(health.length).toBeGreaterThan(0);
    expect(health.every((request) => Object.keys(request.headers).length === 0)).toBe(true);
    expect(statsRequests).toHaveLength(5);
    expect(statsRequests.every((request) => request.headers.authorization === 'Bearer tok-1')).toBe(true);
    expect(statsRequests.every((request) => request.bytesMax === 8 * 1024 * 1024 && request.timeoutMs === 800)).toBe(true);
  });

  it('shows each server up, suspect then down from the probes, and what it really holds', async () => {
    const h = await harness();
    h.nodes.set(7201, (route) => (route === '/health' ? { kind: 'answered', status: 200, body: {}, elapsedMs: 4 } : stats(12, [[3, 5], [9, 7]])));
    h.nodes.delete(7205);
    await h.dashboard.prober.probeAll();
    let view = await overview(h);
    const byId = (id: string) => view.servers.find((server) => server.id === id);
    expect(byId('n1')).toMatchObject({ status: 'up', statusSource: 'probe', replicas: expect.any(Number) as unknown, holds: { keys: 12, bytes: 1200, vnodes: 2 }, requests: null, requestsReported: false });
    expect(byId('n1')?.probe).toMatchObject({ status: 'up', roundTripMs: 4, error: null });
    // n2 answers but holds nothing: its row says 0 keys in 0 vnodes beside its table replicas.
    expect(byId('n2')).toMatchObject({ status: 'up', holds: { keys: 0, vnodes: 0 } });
    expect(byId('n5')).toMatchObject({ status: 'suspect', holds: null, holdsProblem: 'connection refused' });
    expect(view.totals).toMatchObject({ keys: 12, bytes: 1200, up: 4, suspect: 1, down: 0 });
    h.clock.runUntil(h.clock.nowMs() + 2000);
    await h.dashboard.prober.probeAll();
    view = await overview(h);
    expect(byId('n5')).toMatchObject({ status: 'down', holds: null, holdsProblem: expect.stringContaining('not asked') as unknown });
    expect(byId('n5')?.probe.failingSinceMs).toBeLessThan(h.clock.nowMs());
    expect(view.detection).toEqual({ probeIntervalMs: 1000, downAfterMs: 2000, boundMs: 4800 });
    expect(view.proxies).toMatchObject({ reporting: [], history: {}, configured: [{ url: 'http://127.0.0.1:8080', probe: { status: 'down', error: 'connection refused' }, epoch: null }] });
  });

  it("shows each proxy's own requests, errors and p50/p99 from its load reports, with their history", async () => {
    const h = await harness();
    const post = async (reporter: string, total: number, extra: object = {}): Promise<number> => {
      const body = {
        reporter, epoch: h.master.table().epoch, vnodeCount: 64, intervalMs: 1000, vnodes: [], hotKeys: [],
        requests: { total, errors: 1, rejected: 0, p50Ms: 0.4, p99Ms: 2.5 }, endpoints: ['redis://127.0.0.1:6380'], ...extra,
      };
      return (await h.app.inject({ method: 'POST', url: '/v1/load/report', payload: body })).statusCode;
    };
    expect(await post('proxy.a', 800)).toBe(200);
    h.clock.runUntil(h.clock.nowMs() + 1000);
    expect(await post('proxy.a', 1200)).toBe(200);
    expect(await post('client.lib', 5, { requests: undefined, endpoints: undefined })).toBe(200);
    // A report with a malformed figure is refused whole, and keeps nothing.
    expect(await post('proxy.b', 5, { requests: { total: 1, errors: 3, rejected: 0, p50Ms: null, p99Ms: null } })).toBe(400);
    const view = await overview(h);
    expect(view.proxies.reporting).toHaveLength(1);
    expect(view.proxies.reporting[0]).toMatchObject({ id: 'proxy.a', status: 'reporting', endpoints: ['redis://127.0.0.1:6380'], latest: { perSec: 1200, errorsPerSec: 1, p50Ms: 0.4, p99Ms: 2.5 } });
    expect(view.proxies.history['proxy.a']?.map((point) => point.perSec)).toEqual([800, 1200]);
    const since = await overview(h, `?since=${String(h.clock.nowMs() - 500)}`);
    expect(since.proxies.history['proxy.a']?.map((point) => point.perSec)).toEqual([1200]);
    // Silent after three intervals: still listed, so the operator sees it went quiet.
    h.clock.runUntil(h.clock.nowMs() + 3500);
    expect((await overview(h)).proxies.reporting[0]?.status).toBe('silent');
  });

  it('turns the nodes\' request counters into rates and percentiles, and keeps a bounded history', async () => {
    const h = await harness();
    let total = 0;
    h.nodes.set(7202, (route) => {
      if (route === '/health') return { kind: 'answered', status: 200, body: {}, elapsedMs: 1 };
      total += 500;
      return stats(1, [[0, 1]], { total, latencyMs: { boundsMs: [1, 2], counts: [total * 0.6, total * 0.4, 0] } });
    });
    const first = await overview(h);
    expect(first.servers.find((server) => server.id === 'n2')).toMatchObject({ requestsReported: true, requests: null });
    h.clock.runUntil(h.clock.nowMs() + 1000);
    const second = await overview(h);
    const figures = second.servers.find((server) => server.id === 'n2')?.requests;
    expect(figures?.perSec).toBe(500);
    expect(figures?.p50Ms).toBeCloseTo(0.5 / 0.6, 9);
    expect(figures?.p99Ms).toBeCloseTo(1 + (0.99 - 0.6) / 0.4, 9);
    expect(second.history.n2?.map((point) => point.perSec)).toEqual([null, 500]);
    const since = await overview(h, `?since=${String(first.atMs)}`);
    expect(since.history.n2).toHaveLength(1);
    // Within sampleReuseMs the same sample answers: one round of node requests however many ask.
    const statsBefore = h.requests.filter((request) => request.url.endsWith('/v1/stats')).length;
    await overview(h);
    expect(h.requests.filter((request) => request.url.endsWith('/v1/stats')).length).toBe(statsBefore);
    const bad = await h.app.inject({ method: 'GET', url: '/v1/dashboard?since=yesterday' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'RC_ERR_BAD_REQUEST', details: { since: 'yesterday' } });
  });

  it('says when the epoch was committed', async () => {
    const h = await harness();
    const view = await overview(h);
    expect(view.epoch).toBe(1);
    expect(view.epochChangedAtMs).toBe(Math.round(fs.statSync(h.master.stateFile).mtimeMs));
  });
});

describe('gossip liveness', () => {
  it('takes the status from /v1/cluster when it carries liveness, and shows the probe beside it', async () => {
    const h = await harness();
    const app = Fastify();
    const gossip: Record<string, string> = { n1: 'recovering', n2: 'down', n3: 'bogus' };
    const fetch = (): Promise<JsonAnswer> => Promise.resolve({ kind: 'answered', status: 200, body: {}, elapsedMs: 1 });
    const dashboard = registerDashboard(app, {
      config: masterConfig({ stateFile: h.master.stateFile, vnodeCount: 64 }),
      clock: h.clock,
      logger: silentLogger,
      table: () => h.master.table(),
      summary: () => {
        const summary = clusterSummary(h.master.table());
        // A peer's JSON may carry any string (n3's 'bogus'): typed liveness does not hold it.
        return { ...summary, servers: summary.servers.map((server) => ({ ...server, liveness: gossip[server.id] })) } as unknown as ReturnType<typeof clusterSummary>;
      },
      guard: undefined,
      fetch,
    });
    await dashboard.prober.probeAll();
    const view = (await app.inject({ method: 'GET', url: '/v1/dashboard' })).json<DashboardOverview>();
    await app.close();
    const status = Object.fromEntries(view.servers.map((server) => [server.id, [server.status, server.statusSource, server.probe.status]]));
    expect(status).toEqual({
      n1: ['recovering', 'gossip', 'up'],
      n2: ['down', 'gossip', 'up'],
      n3: ['up', 'probe', 'up'],
      n4: ['up', 'probe', 'up'],
      n5: ['up', 'probe', 'up'],
    });
  });
});

describe('GET /v1/dashboard/vnodes', () => {
  it('gives each vnode its replicas and the most keys any replica reports', async () => {
    const h = await harness();
    const table = h.master.table();
    const row0 = table.rows[0]?.replicas ?? [];
    const port = (id: string | undefined) => FIVE_NODES.find((node) => node.id === id)?.httpPort ?? 0;
    h.nodes.set(port(row0[0]), () => stats(4, [[0, 4]]));
    h.nodes.set(port(row0[1]), () => stats(3, [[0, 3]]));
    const response = await h.app.inject({ method: 'GET', url: '/v1/dashboard/vnodes' });
    const view = response.json<VnodeView>();
    expect(view).toMatchObject({ epoch: 1, vnodeCount: 64, replicaCount: 3, pending: [] });
    expect(view.servers).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    expect(view.rows[0]?.map((index) => view.servers[index])).toEqual(row0);
    expect(view.keys[0]).toBe(4);
    expect(view.keys).toHaveLength(64);
  });
});

describe('the page and its files', () => {
  it('serves the page with a strict CSP, its modules by exact name, and nothing else', async () => {
    const h = await harness({ token: 'tok-2' });
    const page = await h.app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(page.body).toContain('/dashboard/app.js');
    expect(page.body).not.toMatch(/<script>(?!<)/);
    const module = await h.app.inject({ method: 'GET', url: '/dashboard/app.js' });
    expect(module.statusCode).toBe(200);
    expect(module.headers['content-type']).toMatch(/^text\/javascript/);
    const again = await h.app.inject({ method: 'GET', url: '/dashboard/app.js', headers: { 'if-none-match': String(module.headers.etag) } });
    expect(again.statusCode).toBe(304);
    for (const url of ['/dashboard/../package.json', '/dashboard/%2e%2e/package.json', '/dashboard/index.html', '/dashboard/nope.js', '/dashboard/']) {
      const missing = await h.app.inject({ method: 'GET', url });
      expect(missing.statusCode, url).toBe(404);
      expect(missing.json<{ code: string }>().code).toBe('RC_ERR_NOT_FOUND');
    }
  });

  it('serves uPlot exactly as its npm package ships it, with its license', async () => {
    const h = await harness();
    const packaged = path.join(path.dirname(publicFolder()), '..', '..', 'node_modules', 'uplot');
    for (const [file, url] of [['dist/uPlot.iife.min.js', 'uPlot.iife.min.js'], ['dist/uPlot.min.css', 'uPlot.min.css'], ['LICENSE', 'LICENSE']] as const) {
      const response = await h.app.inject({ method: 'GET', url: `/dashboard/vendor/uplot/${url}` });
      expect(response.statusCode, url).toBe(200);
      expect(response.rawPayload.equals(fs.readFileSync(path.join(packaged, file))), `${url} differs from node_modules/uplot/${file}: copy it again`).toBe(true);
    }
  });

  it('without its files the master still serves, and / says what is missing', async () => {
    const empty = tempDir();
    dirs.push(empty);
    const h = await harness({ folder: empty });
    const page = await h.app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('files are missing');
    expect((await h.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});
