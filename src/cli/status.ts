import type { ClusterSummary } from '../client/admin-api.js';
import { optionFlag, optionInteger } from './args.js';
import { CommandFailure, EXIT } from './command.js';
import type { CommandContext, CommandSpec } from './command.js';
import { httpGet } from './http-probe.js';
import { formatTable } from './table-format.js';

/**
 * `ringcache status`: the shard-master's cluster summary as a table, with each server's health
 * probed directly (the master's view of a server can lag a crash by a gossip round).
 */
export const statusCommand: CommandSpec = {
  summary: 'show the cluster: servers, zones, state, up/down, replicas held vs target, epoch, imbalance',
  synopsis: '[--json]',
  positionalsMax: 0,
  options: [
    { name: 'json', doc: "print the master's /v1/cluster JSON, each server with its probed health added" },
    { name: 'timeout-ms', value: 'MS', doc: 'deadline of each request: master summary and node /health probes (default 1000)' },
  ],
  details: ['Exit code 1 when the shard-master cannot be reached.'],
  run: runStatus,
};

/** The master's GET /v1/cluster (unknown fields pass through). */
export type { ClusterSummary, ServerSummary } from '../client/admin-api.js';

export type Health = 'up' | 'down';

/** The master answered, but not what status understands. */
const MASTER_ADVICE = 'is that port a ringcache shard-master of this version? see its log lines';

async function runStatus(context: CommandContext): Promise<number> {
  const timeoutMs = optionInteger(context.args, 'timeout-ms', 1000, 10, 60_000);
  const { master, cluster } = context.config;
  const url = `http://${master.host}:${master.port}/v1/cluster`;
  const headers: Record<string, string> = cluster.token === '' ? {} : { authorization: `Bearer ${cluster.token}` };
  const answer = await httpGet(url, timeoutMs, headers);
  if (answer.kind === 'failed') {
    throw new CommandFailure('RC_ERR_UNREACHABLE', `cannot reach the shard-master at ${url}: ${answer.reason}`, 'is the cluster running (npm start)? the config must point at its master: --config FILE or --master.port=PORT');
  }
  if (answer.status === 401 || answer.status === 403) {
    throw new CommandFailure('RC_ERR_UNAUTHORIZED', `the shard-master at ${url} refused us (HTTP ${answer.status})`, 'give the cluster token: RINGCACHE_CLUSTER_TOKEN=... or --cluster.token=...');
  }
  if (answer.status !== 200) throw new CommandFailure('RC_ERR_PROTOCOL', `the shard-master at ${url} answered HTTP ${answer.status}: ${answer.body.slice(0, 200)}`, MASTER_ADVICE);
  const summary = parseSummary(answer.body, url);
  const health = await Promise.all(summary.servers.map(async (server) => {
    const probe = await httpGet(`http://${server.host}:${server.httpPort}/health`, timeoutMs);
    return probe.kind === 'answered' && probe.status === 200 ? 'up' as const : 'down' as const;
  }));
  if (optionFlag(context.args, 'json')) {
    const servers = summary.servers.map((server, index) => ({ ...server, health: health[index] }));
    context.io.out(JSON.stringify({ ...summary, servers }, null, 2));
  } else {
    for (const line of renderStatus(summary, health)) context.io.out(line);
  }
  return EXIT.ok;
}

function parseSummary(body: string, url: string): ClusterSummary {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new CommandFailure('RC_ERR_PROTOCOL', `the shard-master at ${url} answered something that is not JSON: ${body.slice(0, 200)}`, MASTER_ADVICE);
  }
  const servers = (value as { servers?: unknown } | null)?.servers;
  if (!Array.isArray(servers)) throw new CommandFailure('RC_ERR_PROTOCOL', `the shard-master at ${url} answered JSON without a servers array`, MASTER_ADVICE);
  return value as ClusterSummary;
}

/** The human view: a header line, then one row per server. Tolerates missing fields ('?'). */
export function renderStatus(summary: ClusterSummary, health: readonly Health[]): string[] {
  const up = health.filter((state) => state === 'up').length;
  const zones = new Set(summary.servers.map((server) => server.zone));
  const header = `epoch ${text(summary.epoch)}   V=${text(summary.vnodeCount)} N=${text(summary.replicaCount)}   ` +
    `servers ${summary.servers.length} (${up} up) in ${zones.size} zone${zones.size === 1 ? '' : 's'}   ` +
    `imbalance ${imbalanceText(summary.imbalance)}`;
  const rows = summary.servers.map((server, index) => [
    text(server.id),
    text(server.zone),
    text(server.capacity),
    text(server.state),
    health[index] ?? '?',
    `${text(server.replicas)}/${text(server.target)}`,
    percent(server.share),
    text(server.leads),
    `${text(server.host)}:${text(server.port)}`,
    `:${text(server.httpPort)}`,
  ]);
  const table = formatTable(['SERVER', 'ZONE', 'CAP', 'STATE', 'HEALTH', 'REPLICAS/TARGET', 'SHARE', 'LEADS', 'INTERNODE', 'HTTP'], rows);
  return [header, '', ...table];
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
