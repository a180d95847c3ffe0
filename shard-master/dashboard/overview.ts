/**
 * `GET /v1/dashboard`: everything the page and `ringcache status` show, in one answer built from
 * the master's table summary, its /health probes and the nodes' stats. Pure: the routes gather
 * the inputs, this shapes them.
 *
 * A server's status is the cluster's gossip view when /v1/cluster carries one (a `liveness` field
 * per server: up | suspect | down | recovering), else the master's probes (prober.ts). Either way
 * the probe is shown too, and `statusSource` says which one decided.
 */
import type { ClusterSummary, ServerSummary } from '../../src/client/admin-api.js';
import type { DashboardOverview, DashboardProxy, DashboardServer, HistoryPoint, ProbeView, ProxyHistoryPoint, ReportingProxy, ServerStatus } from '../../src/client/dashboard-api.js';
import type { ServerId } from '../../src/ring/index.js';
import { detectionBoundMs } from './options.js';
import type { DashboardOptions } from './options.js';
import type { ProbeState } from './probe-state.js';
import type { StatsSample } from './stats-sampler.js';

const GOSSIP_STATUSES: ReadonlySet<string> = new Set(['up', 'suspect', 'down', 'recovering']);

export interface OverviewInputs {
  readonly atMs: number;
  readonly summary: ClusterSummary;
  readonly epochChangedAtMs: number | null;
  readonly probe: (server: ServerId) => ProbeState;
  readonly sample: StatsSample;
  readonly history: Readonly<Record<ServerId, readonly HistoryPoint[]>>;
  readonly proxies: readonly { readonly url: string; readonly state: ProbeState }[];
  /** The proxies that report request figures (proxy-book.ts), points after `?since=`. */
  readonly reporting: { readonly reporting: readonly ReportingProxy[]; readonly history: Readonly<Record<string, readonly ProxyHistoryPoint[]>> };
  readonly options: DashboardOptions;
}

export const PROXIES_NOTE = 'every proxy posts its requests, errors and p50/p99 with its load report each rebalance.loadReportIntervalMs (0: none); the proxy of the master\'s config file (proxy.host, proxy.httpPort) is also probed at its /health';

export function dashboardOverview(inputs: OverviewInputs): DashboardOverview {
  const { summary, options } = inputs;
  const servers = summary.servers.map((server) => serverView(server, inputs));
  const count = (status: ServerStatus): number => servers.filter((server) => server.status === status).length;
  return {
    atMs: inputs.atMs,
    epoch: summary.epoch,
    epochChangedAtMs: inputs.epochChangedAtMs,
    vnodeCount: summary.vnodeCount,
    replicaCount: summary.replicaCount,
    imbalance: summary.imbalance,
    zones: summary.zones.map((zone) => ({ zone: zone.zone, servers: zone.servers })),
    servers,
    totals: {
      keys: servers.reduce((sum, server) => sum + (server.holds?.keys ?? 0), 0),
      bytes: servers.reduce((sum, server) => sum + (server.holds?.bytes ?? 0), 0),
      up: count('up'),
      suspect: count('suspect'),
      down: count('down'),
    },
    proxies: {
      note: PROXIES_NOTE,
      configured: inputs.proxies.map((proxy) => proxyView(proxy.url, proxy.state)),
      reporting: inputs.reporting.reporting,
      history: inputs.reporting.history,
    },
    history: inputs.history,
    detection: { probeIntervalMs: options.probeIntervalMs, downAfterMs: options.downAfterMs, boundMs: detectionBoundMs(options) },
  };
}

function serverView(server: ServerSummary, inputs: OverviewInputs): DashboardServer {
  const probe = probeView(inputs.probe(server.id));
  const gossip = (server as { liveness?: unknown }).liveness;
  const fromGossip = typeof gossip === 'string' && GOSSIP_STATUSES.has(gossip);
  const stats = inputs.sample.servers.get(server.id);
  const report = stats?.report;
  return {
    ...server,
    status: fromGossip ? gossip as ServerStatus : probe.status,
    statusSource: fromGossip ? 'gossip' : 'probe',
    probe,
    holds: report === undefined || stats === undefined ? null : {
      atMs: stats.atMs,
      keys: report.keys,
      bytes: report.bytes,
      bytesMax: report.bytesMax,
      vnodes: report.vnodeKeys.size,
      epoch: report.epoch,
      evictions: report.evictions,
      rejections: report.rejections,
    },
    holdsProblem: stats?.problem ?? (stats === undefined ? 'not sampled yet' : null),
    requests: stats?.rates === undefined ? null : { ...stats.rates },
    requestsReported: report?.requests !== null && report?.requests !== undefined,
  };
}

function probeView(state: ProbeState): ProbeView {
  return { status: state.status, checkedAtMs: state.checkedAtMs, failingSinceMs: state.failingSinceMs, error: state.error, roundTripMs: state.roundTripMs };
}

function proxyView(url: string, state: ProbeState): DashboardProxy {
  const body = typeof state.body === 'object' && state.body !== null ? state.body as Record<string, unknown> : {};
  const number = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
  return { source: 'config', url, probe: probeView(state), epoch: number(body.epoch), serversDown: number(body.serversDown) };
}
