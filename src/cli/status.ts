import type { DashboardOverview } from '../client/dashboard-api.js';
import { optionFlag, optionInteger, UsageError } from './args.js';
import { CommandFailure, EXIT } from './command.js';
import type { CommandContext, CommandSpec } from './command.js';
import { httpGet } from './http-probe.js';
import { clusterFetchOf, masterUrl } from './master-url.js';
import { renderStatus } from './status-render.js';

/**
 * `ringcache status`: the cluster as the shard-master sees it (GET /v1/dashboard): each server's
 * status from the master's /health probes (or gossip, once /v1/cluster carries it), what it holds
 * (keys, bytes, vnodes with keys, from the nodes' /v1/stats) beside what the table gives it, and
 * the proxies that report. `--watch` redraws every second until Ctrl-C.
 */
export const statusCommand: CommandSpec = {
  summary: 'show the cluster: servers by zone, up/suspect/down, keys and bytes held, replicas vs target, epoch, imbalance, the proxies that report',
  synopsis: '[--json] [--watch [--count N]]',
  positionalsMax: 0,
  options: [
    { name: 'json', doc: "print the master's /v1/dashboard JSON (with --watch: one object a line)" },
    { name: 'watch', doc: 'refresh every second until Ctrl-C' },
    { name: 'count', value: 'N', doc: 'with --watch: stop after N refreshes' },
    { name: 'timeout-ms', value: 'MS', doc: 'deadline of each request to the shard-master (default 3000)' },
    { name: 'show-token', doc: 'print the cluster token (cluster.token, or the file cluster.tokenFile that ringcache start created) and nothing else' },
  ],
  details: [
    'Up, suspect and down are the cluster\'s view, not a probe from this machine: the master probes every node\'s /health each second (suspect on the first failure, down after 2 s of failures).',
    'Exit code 1 when the shard-master cannot be reached (with --watch, only when the last refresh failed and --count ended it).',
  ],
  run: runStatus,
};

/** The master answered, but not what status understands. */
const MASTER_ADVICE = 'is that port a ringcache shard-master of this version? see its log lines';

/** Between two refreshes of --watch. */
const WATCH_INTERVAL_MS = 1000;
/** Past the master's dashboard sample reuse (500 ms by default), so the second ask is a new sample. */
const SECOND_SAMPLE_MS = 700;
/** ANSI: cursor home, clear screen. Only on a terminal; a pipe gets frames one after the other. */
const CLEAR_SCREEN = '\u001b[H\u001b[2J';

async function runStatus(context: CommandContext): Promise<number> {
  const timeoutMs = optionInteger(context.args, 'timeout-ms', 3000, 10, 60_000);
  const json = optionFlag(context.args, 'json');
  if (optionFlag(context.args, 'show-token')) return showToken(context);
  if (!optionFlag(context.args, 'watch')) {
    if (context.args.options.has('count')) throw new UsageError('--count goes with --watch');
    let overview = await fetchOverview(context, timeoutMs);
    if (awaitingRates(overview)) {
      // The master samples the nodes only when asked, and a rate needs two samples: a one-off
      // status right after a quiet spell would show every node's req/s as '-'.
      await context.clock.sleep(SECOND_SAMPLE_MS);
      overview = await fetchOverview(context, timeoutMs);
    }
    print(context, overview, json);
    return EXIT.ok;
  }
  const countMax = context.args.options.has('count') ? optionInteger(context.args, 'count', 1, 1, 1_000_000) : undefined;
  return watch(context, timeoutMs, json, countMax);
}

/** A node that answers and reports request counters, but whose rate needs one more sample. */
function awaitingRates(overview: DashboardOverview): boolean {
  return overview.servers.some((server) => server.requestsReported && server.requests === null && server.holds !== null);
}

/** The token alone on stdout, so `$(ringcache status --show-token)` works in a shell. */
function showToken(context: CommandContext): number {
  const { token, tokenFile } = context.config.cluster;
  if (token === '') {
    throw new CommandFailure('RC_ERR_NOT_FOUND', `no cluster token: cluster.token is empty and ${tokenFile === '' ? 'cluster.tokenFile is off' : `${tokenFile} does not exist in ${context.cwd}`}`,
      'ringcache start creates one on first start; run this from the folder it ran in, or set cluster.token');
  }
  context.io.out(token);
  return EXIT.ok;
}

function print(context: CommandContext, overview: DashboardOverview, json: boolean): void {
  if (json) context.io.out(JSON.stringify(overview, null, context.args.options.has('watch') ? undefined : 2));
  else for (const line of renderStatus(overview)) context.io.out(line);
}

/** Redraws until Ctrl-C (or SIGTERM, or --count refreshes); a failed refresh is shown, not fatal. */
async function watch(context: CommandContext, timeoutMs: number, json: boolean, countMax: number | undefined): Promise<number> {
  let stopped = false;
  // A function, not the variable: the signal handler flips it while the loop awaits.
  const isStopped = (): boolean => stopped;
  let wake: () => void = () => undefined;
  const onSignal = (): void => {
    stopped = true;
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const terminal = (process.stdout.isTTY as boolean | undefined) === true && !json;
  let lastOk = true;
  try {
    for (let round = 0; !isStopped() && (countMax === undefined || round < countMax); round++) {
      if (round > 0) {
        // sleep(), not schedule(): its timer keeps the process alive between refreshes.
        await Promise.race([context.clock.sleep(WATCH_INTERVAL_MS), new Promise<void>((resolve) => { wake = resolve; })]);
        if (isStopped()) break;
      }
      const started = context.clock.nowMs();
      try {
        const overview = await fetchOverview(context, timeoutMs);
        if (terminal) context.io.out(CLEAR_SCREEN.trimEnd());
        else if (round > 0 && !json) context.io.out('');
        print(context, overview, json);
        lastOk = true;
      } catch (error) {
        if (!(error instanceof CommandFailure)) throw error;
        context.io.err(`ringcache status: ${error.code}: ${error.message} (retrying every second; Ctrl-C stops)`);
        lastOk = false;
      }
      if (!json && !terminal) context.io.out(`(refreshed in ${context.clock.nowMs() - started} ms; --watch: every ${WATCH_INTERVAL_MS / 1000} s)`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return isStopped() || lastOk ? EXIT.ok : EXIT.failure;
}

async function fetchOverview(context: CommandContext, timeoutMs: number): Promise<DashboardOverview> {
  const { cluster } = context.config;
  const url = `${masterUrl(context.config)}/v1/dashboard`;
  const headers: Record<string, string> = cluster.token === '' ? {} : { authorization: `Bearer ${cluster.token}` };
  const answer = await httpGet(url, timeoutMs, headers, clusterFetchOf(context.config));
  if (answer.kind === 'failed') {
    throw new CommandFailure('RC_ERR_UNREACHABLE', `cannot reach the shard-master at ${url}: ${answer.reason}`, 'is the cluster running (npm start)? the config must point at its master: --config FILE or --master.port=PORT');
  }
  if (answer.status === 401 || answer.status === 403) {
    throw new CommandFailure('RC_ERR_UNAUTHORIZED', `the shard-master at ${url} refused us (HTTP ${answer.status})`, 'give the cluster token: RINGCACHE_CLUSTER_TOKEN=... or --cluster.token=...');
  }
  if (answer.status === 404) throw new CommandFailure('RC_ERR_NOT_FOUND', `the shard-master at ${url} has no /v1/dashboard: it runs an older ringcache than this command`, 'restart the cluster with this version of ringcache');
  if (answer.status !== 200) throw new CommandFailure('RC_ERR_PROTOCOL', `the shard-master at ${url} answered HTTP ${answer.status}: ${answer.body.slice(0, 200)}`, MASTER_ADVICE);
  return parseOverview(answer.body, url);
}

function parseOverview(body: string, url: string): DashboardOverview {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new CommandFailure('RC_ERR_PROTOCOL', `the shard-master at ${url} answered something that is not JSON: ${body.slice(0, 200)}`, MASTER_ADVICE);
  }
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const proxies = record.proxies as Record<string, unknown> | null | undefined;
  if (!Array.isArray(record.servers) || typeof record.totals !== 'object' || record.totals === null || !Array.isArray(proxies?.configured)) {
    throw new CommandFailure('RC_ERR_PROTOCOL', `the shard-master at ${url} answered JSON without servers, totals and proxies`, MASTER_ADVICE);
  }
  const malformed = record.servers.findIndex((server: unknown) => {
    const fields = (typeof server === 'object' && server !== null ? server : {}) as Record<string, unknown>;
    return typeof fields.probe !== 'object' || fields.probe === null || (fields.holds !== null && typeof fields.holds !== 'object');
  });
  if (malformed >= 0) throw new CommandFailure('RC_ERR_PROTOCOL', `the shard-master at ${url} answered a server entry without probe or holds (servers[${malformed}])`, MASTER_ADVICE);
  return value as DashboardOverview;
}
