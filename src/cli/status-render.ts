import type { DashboardOverview, DashboardServer, ReportingProxy } from '../client/dashboard-api.js';
import { formatTable } from './table-format.js';

/**
 * `ringcache status` as text: a header, one row per server with what it really holds (keys, bytes,
 * vnodes with keys) beside what the table gives it (replicas / target), then a line per problem
 * and the proxies. Pure; tolerates missing fields ('?'), since it reads a peer's JSON.
 */
export function renderStatus(overview: DashboardOverview): string[] {
  const { totals } = overview;
  const zones = new Set(overview.servers.map((server) => server.zone));
  const changed = overview.epochChangedAtMs === null ? '' : ` (committed ${ago(overview.epochChangedAtMs, overview.atMs)})`;
  const header = [
    `epoch ${text(overview.epoch)}${changed}   V=${text(overview.vnodeCount)} N=${text(overview.replicaCount)}   ` +
      `servers ${overview.servers.length}: ${text(totals.up)} up, ${text(totals.suspect)} suspect, ${text(totals.down)} down, ` +
      `in ${zones.size} zone${zones.size === 1 ? '' : 's'}   imbalance ${imbalanceText(overview.imbalance)}`,
    `held: ${text(totals.keys)} keys, ${bytesText(totals.bytes)} over all replicas   status: ${statusOrigin(overview)}`,
  ];
  const rows = overview.servers.map((server) => [
    text(server.id),
    text(server.zone),
    text(server.capacity),
    text(server.state),
    text(server.status),
    server.holds === null ? '?' : text(server.holds.keys),
    server.holds === null ? '?' : `${bytesText(server.holds.bytes)} / ${bytesText(server.holds.bytesMax)}`,
    server.holds === null ? '?' : text(server.holds.vnodes),
    `${text(server.replicas)}/${text(server.target)}`,
    percent(server.share),
    text(server.leads),
    server.requests === null ? '-' : server.requests.perSec.toFixed(0),
    server.requests === null ? '-' : `${msText(server.requests.p50Ms)} / ${msText(server.requests.p99Ms)}`,
    `${text(server.host)}:${text(server.port)}`,
    `:${text(server.httpPort)}`,
  ]);
  const table = formatTable(
    ['SERVER', 'ZONE', 'CAP', 'STATE', 'STATUS', 'KEYS', 'BYTES / MAX', 'VNODES HELD', 'REPLICAS/TARGET', 'SHARE', 'LEADS', 'REQ/S', 'P50 / P99 MS', 'INTERNODE', 'HTTP'],
    rows,
  );
  return [...header, '', ...table, ...problems(overview), '', ...proxies(overview)];
}

/** A node's own time on a request is often under 0.1 ms: three decimals below 1 ms. */
function msText(value: number | null): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '-';
  return value < 1 ? value.toFixed(3) : value.toFixed(1);
}

function statusOrigin(overview: DashboardOverview): string {
  const gossip = overview.servers.some((server) => server.statusSource === 'gossip');
  const bound = typeof overview.detection.boundMs === 'number' ? ` (a dead node shows down within ${(overview.detection.boundMs / 1000).toFixed(1)} s)` : '';
  return gossip ? 'as gossip sees it' : `the shard-master's /health probes${bound}`;
}

/** One line per server that is not up or holds less than it should, saying why. */
function problems(overview: DashboardOverview): string[] {
  const lines: string[] = [];
  for (const server of overview.servers) {
    const why = problemOf(server, overview);
    if (why !== undefined) lines.push(`  ${server.id}: ${why}`);
  }
  return lines.length === 0 ? [] : ['', ...lines];
}

function problemOf(server: DashboardServer, overview: DashboardOverview): string | undefined {
  const parts: string[] = [];
  if (server.probe.failingSinceMs !== null) {
    parts.push(`/health probes failing for ${ago(server.probe.failingSinceMs, overview.atMs).replace(' ago', '')} (${server.probe.error ?? 'no reason given'})`);
  }
  if (server.holds === null) {
    if (server.holdsProblem !== null) parts.push(`holdings unknown: ${server.holdsProblem}`);
  } else if (server.holds.keys === 0 && server.replicas > 0 && overview.totals.keys > 0) {
    parts.push(`holds no keys although the table gives it ${server.replicas} replicas (empty after a restart? anti-entropy refills it while it says recovering)`);
  } else if (server.holds.epoch < overview.epoch) {
    parts.push(`knows epoch ${server.holds.epoch}, behind the table's ${overview.epoch}`);
  }
  return parts.length === 0 ? undefined : parts.join('; ');
}

/**
 * The proxies that report their own figures (with their load reports), then the configured one
 * the master probes. A master of an older version sends no `reporting`: said, not guessed.
 */
function proxies(overview: DashboardOverview): string[] {
  const listed: unknown = (overview.proxies as Partial<DashboardOverview['proxies']>).reporting;
  const reporting = Array.isArray(listed) ? listed as readonly ReportingProxy[] : undefined;
  const table = reporting === undefined ? ['proxies reporting: not in this master\'s answer (an older version)']
    : reporting.length === 0 ? ['proxies reporting: none yet']
    : formatTable(['PROXY', 'STATUS', 'REQ/S', 'ERRORS/S', 'REJECTED/S', 'P50 / P99 MS', 'EPOCH', 'LAST REPORT', 'LISTENS'], reporting.map((proxy) => [
      text(proxy.id),
      text(proxy.status),
      rate(proxy.latest.perSec),
      rate(proxy.latest.errorsPerSec),
      rate(proxy.latest.rejectedPerSec),
      `${msText(proxy.latest.p50Ms)} / ${msText(proxy.latest.p99Ms)}`,
      text(proxy.epoch),
      ago(proxy.lastReportAtMs, overview.atMs),
      endpointsText(proxy.endpoints),
    ]));
  const probed = overview.proxies.configured.map((proxy) => {
    const view = proxy.epoch === null ? '' : `, epoch ${proxy.epoch}, avoids ${text(proxy.serversDown)} server${proxy.serversDown === 1 ? '' : 's'}`;
    return `probed proxy ${proxy.url}: ${proxy.probe.status}${view}${proxy.probe.error === null ? '' : ` (${proxy.probe.error})`}`;
  });
  return [...table, ...probed, `(${overview.proxies.note})`];
}

function endpointsText(value: unknown): string {
  return Array.isArray(value) ? (value as unknown[]).map(text).join(' ') : '?';
}

/** Requests per second: whole numbers from 10 up, one decimal below (a trickle still shows). */
function rate(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '?';
  return value >= 10 || value === 0 ? value.toFixed(0) : value.toFixed(1);
}

function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '?';
}

/** The master's imbalance: max over servers of replicas / target, minus 1 (0 = perfectly even). */
function imbalanceText(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '?';
  return `${value.toFixed(3)} (fullest server ${(value * 100).toFixed(1)}% over its target)`;
}

/** A share is a fraction of all replicas (0.2); shown as a percentage. */
function percent(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : '?';
}

export function bytesText(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${scaled.toFixed(1)} ${units[unit] ?? ''}`;
}

/** "42 s ago", from two times on the master's clock (no skew with this machine's). */
export function ago(thenMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.round((nowMs - thenMs) / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes} min ago` : `${Math.round(minutes / 60)} h ago`;
}
