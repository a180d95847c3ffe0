/**
 * The dashboard on the shard-master's HTTP port:
 *
 *   GET /                          the page (open: it holds no data, only code)
 *   GET /dashboard/<file>          its modules, CSS and the vendored uPlot (open)
 *   GET /v1/dashboard[?since=MS]   DashboardOverview (overview.ts); history points after MS only,
 *                                  the proxies' own figures among them (proxy-book.ts)
 *   GET /v1/dashboard/vnodes       VnodeView (vnode-view.ts), for the heat map
 *
 * The /v1 routes take the cluster token like every /v1 route. The page polls only these and the
 * master's other JSON routes, never a node or a /metrics page: the master fetches, bounds and
 * aggregates (prober.ts, stats-sampler.ts).
 */
import { stat } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ClusterSummary } from '../../src/client/admin-api.js';
import { guardedRoute } from '../../src/http/index.js';
import type { BearerGuard } from '../../src/http/index.js';
import type { RingcacheConfig } from '../../src/config/index.js';
import type { Table } from '../../src/ring/index.js';
import { RingcacheError } from '../../src/runtime/index.js';
import type { Clock, Logger } from '../../src/runtime/index.js';
import { httpJsonFetcher } from './json-fetch.js';
import { clusterFetch, clusterScheme, clusterTls } from '../../src/tls/index.js';
import type { JsonFetcher } from './json-fetch.js';
import { DASHBOARD_DEFAULTS } from './options.js';
import type { DashboardOptions } from './options.js';
import { dashboardOverview } from './overview.js';
import { HealthProber } from './prober.js';
import { ProxyBook } from './proxy-book.js';
import type { ProbeTarget } from './prober.js';
import { CONTENT_SECURITY_POLICY, loadStaticFiles, publicFolder } from './static-files.js';
import type { StaticFile } from './static-files.js';
import { StatsSampler, httpUrl } from './stats-sampler.js';
import { vnodeView } from './vnode-view.js';

export interface DashboardDeps {
  readonly config: RingcacheConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** What GET /v1/cluster answers (one function, so a field added there shows here too). */
  readonly summary: () => ClusterSummary;
  readonly table: () => Table;
  /** The cluster-token check every /v1 route runs; undefined without a token. */
  readonly guard: BearerGuard | undefined;
  readonly fetch?: JsonFetcher;
  readonly options?: Partial<DashboardOptions>;
  /** Where the page's files are read from; public/ by default. */
  readonly folder?: string;
}

/** Handles for tests: run a probe round or a sample without waiting for the timers. */
export interface Dashboard {
  readonly prober: HealthProber;
  readonly sampler: StatsSampler;
  /** The proxies' request figures; the load report route records into it. */
  readonly proxies: ProxyBook;
}

export function registerDashboard(app: FastifyInstance, deps: DashboardDeps): Dashboard {
  const options = { ...DASHBOARD_DEFAULTS, ...deps.options };
  const fetch = deps.fetch ?? httpJsonFetcher(deps.clock, clusterFetch(clusterTls(deps.config)));
  const scheme = clusterScheme(deps.config);
  const proxyUrls = configuredProxyUrls(deps.config);
  const prober = new HealthProber({ clock: deps.clock, fetch, options, targets: () => probeTargets(deps.table(), proxyUrls, scheme) });
  const sampler = new StatsSampler({
    clock: deps.clock, fetch, options, token: deps.config.cluster.token, scheme,
    servers: () => deps.table().servers,
    vnodeCount: () => deps.table().vnodeCount,
    isDown: (server) => prober.state(`server:${server}`).status === 'down',
  });
  const proxyBook = new ProxyBook(deps.clock, {
    proxiesMax: options.proxiesMax, pointsMax: options.historyPointsMax, silentAfterIntervals: options.proxySilentAfterIntervals, forgetAfterMs: options.proxyForgetAfterMs,
  });
  const epochTime = epochTimer(deps.config.master.stateFile);
  // Probes start when the port opens, not on inject(): tests of other routes send no traffic.
  app.addHook('onListen', (done) => { prober.start(); done(); });
  app.addHook('onClose', (_app, done) => { prober.stop(); done(); });

  const guarded = guardedRoute(deps.guard);
  app.get('/v1/dashboard', guarded, async (request) => {
    const sinceMs = sinceParameter(request.query);
    const summary = deps.summary();
    const [sample, epochChangedAtMs] = await Promise.all([sampler.sample(), epochTime(summary.epoch)]);
    return dashboardOverview({
      atMs: deps.clock.nowMs(),
      summary,
      epochChangedAtMs,
      probe: (server) => prober.state(`server:${server}`),
      sample,
      history: sampler.historySince(sinceMs),
      proxies: proxyUrls.map((url) => ({ url, state: prober.state(`proxy:${url}`) })),
      reporting: proxyBook.view(sinceMs),
      options,
    });
  });
  app.get('/v1/dashboard/vnodes', guarded, async () => vnodeView(deps.table(), await sampler.sample()));
  registerPage(app, deps);
  return { prober, sampler, proxies: proxyBook };
}

function registerPage(app: FastifyInstance, deps: DashboardDeps): void {
  let files: ReadonlyMap<string, StaticFile>;
  try {
    files = loadStaticFiles(deps.folder ?? publicFolder());
  } catch (error) {
    deps.logger.warn({ err: error }, 'dashboard files not found: GET / lists the JSON endpoints only');
    files = new Map();
  }
  const send = (request: FastifyRequest, reply: FastifyReply, file: StaticFile): FastifyReply => {
    void reply.header('etag', file.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(file.contentType).send(file.body);
  };
  app.get('/', (request, reply) => {
    void reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('referrer-policy', 'no-referrer');
    const index = files.get('index.html');
    if (index === undefined) return reply.type('text/html; charset=utf-8').send(FALLBACK_PAGE);
    return send(request, reply, index);
  });
  app.get('/dashboard/*', (request, reply) => {
    const name = (request.params as { '*'?: string })['*'] ?? '';
    const file = name === 'index.html' ? undefined : files.get(name);
    if (file === undefined) throw new RingcacheError('RC_ERR_NOT_FOUND', `no dashboard file ${JSON.stringify(name.slice(0, 100))}`);
    return send(request, reply, file);
  });
}

function probeTargets(table: Table, proxyUrls: readonly string[], scheme: 'http' | 'https'): ProbeTarget[] {
  return [
    ...table.servers.map((server) => ({ key: `server:${server.id}`, url: httpUrl(server.host, server.httpPort, '/health', scheme) })),
    ...proxyUrls.map((url) => ({ key: `proxy:${url}`, url: `${url}/health` })),
  ];
}

/** The one proxy the master probes: its config file's. The others make themselves known by their load reports (proxy-book.ts). */
function configuredProxyUrls(config: RingcacheConfig): string[] {
  // With proxy TLS the probe checks the proxy's certificate against the cluster CA (tls.caFile).
  const scheme = config.proxy.tlsCertFile === '' ? 'http' : 'https';
  return config.proxy.httpPort === 0 ? [] : [httpUrl(config.proxy.host, config.proxy.httpPort, '', scheme)];
}

/**
 * When the table in force was committed: the state file's modification time, read again only
 * when the epoch moves (every commit writes the file: master.ts, validate -> persist -> publish).
 */
function epochTimer(stateFile: string): (epoch: number) => Promise<number | null> {
  let known: { epoch: number; atMs: number | null } | undefined;
  return async (epoch) => {
    if (known?.epoch !== epoch) {
      const atMs = await stat(stateFile).then((info) => info.mtimeMs, () => null);
      known = { epoch, atMs: atMs === null ? null : Math.round(atMs) };
    }
    return known.atMs;
  };
}

function sinceParameter(query: unknown): number {
  const value = (query as Record<string, unknown> | null)?.since;
  if (value === undefined) return -1;
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) {
    throw new RingcacheError('RC_ERR_BAD_REQUEST', `since must be a time in ms since the epoch, got ${JSON.stringify(value).slice(0, 40)}`, { since: value });
  }
  return Number(value);
}

const FALLBACK_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ringcache shard-master</title></head>
<body><h1>ringcache shard-master</h1>
<p>The dashboard's files are missing from this installation. The JSON endpoints answer:
<code>/v1/dashboard</code>, <code>/v1/cluster</code>, <code>/v1/table</code>, <code>/v1/servers</code>, <code>/health</code>, <code>/metrics</code>.</p>
</body></html>
`;
