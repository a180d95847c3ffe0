/**
 * The real-cluster row of `ringcache bench balance`: a local cluster of processes (master, 6 nodes
 * in zones a, a, b, b, c, c of capacity 1, a proxy; N=3, R=2, W=2) under a Zipf GET/SET load
 * through the proxy's RESP port, measured from the nodes themselves.
 *
 *   warm-up (load reports reach the master)  -> before: per-node data requests over a window
 *   POST /v1/rebalance {"dryRun": false}      -> the moves and leader changes it made
 *   GET /v1/moves until none is left          -> after: the same window again
 *   run twice: with the near cache off (proxy.hotKeyCacheTtlMs=0) and on
 *
 * Server load is what the nodes served: the `requests.total` of their /v1/stats (coordinated
 * puts, merges, reads, hints) differenced over the window, per unit of capacity; max/mean is over
 * the six nodes. The master's own figure (GET /v1/load, the replica load model over the reports)
 * is shown beside it. Bounded: each phase has a deadline, the load an AbortSignal.
 */
import { mkdirSync } from 'node:fs';
import type { CliIo } from '../src/cli/index.js';
import type { RingcacheConfig } from '../src/config/index.js';
import { configAsJson } from '../src/cli/index.js';
import { loadConfig } from '../src/config/index.js';
import { startBenchCluster, stopBenchCluster } from './bench-cluster.js';
import type { BenchCluster } from './bench-cluster.js';
import { runRespLoad, zipfMix } from './resp-driver.js';
import { ZipfKeys } from './zipf-keys.js';

export interface ClusterBalanceOptions {
  readonly zipf: number;
  readonly keyCount: number;
  readonly windowMs: number;
  readonly config: RingcacheConfig;
  readonly io: CliIo;
}

/** One run (cache off or on): node-measured max/mean before and after the rebalancer acted. */
export interface ClusterBalanceRun {
  readonly before: number;
  readonly after: number;
  /** The master's modeled max/mean (GET /v1/load) at the same two moments. */
  readonly masterBefore: number;
  readonly masterAfter: number;
  readonly moves: number;
  readonly leaderChanges: number;
  readonly bytesToMove: number;
  /** Data requests per second the six nodes served, before and after. */
  readonly nodeOpsPerSecBefore: number;
  readonly nodeOpsPerSecAfter: number;
  readonly clientOpsPerSec: number;
  readonly errors: number;
  /** The load's error replies by kind (resp-reply-scanner.ts errorKind), so a row with errors says which. */
  readonly errorKinds: Readonly<Record<string, number>>;
}

const SERVERS = 6;
const ZONES = ['a', 'a', 'b', 'b', 'c', 'c'] as const;
const WARM_UP_MS = 6_000;
const SETTLE_MS = 3_000;
const MOVES_WAIT_MS = 90_000;
const GET_RATIO = 0.9;

export async function runClusterBalance(options: ClusterBalanceOptions, cache: boolean, folder: string): Promise<ClusterBalanceRun> {
  const base = clusterConfig(options.config, cache);
  let running: BenchCluster | undefined;
  const controller = new AbortController();
  try {
    mkdirSync(folder, { recursive: true });
    running = await startBenchCluster(base, folder, [], () => undefined, { n: 3, r: 2, w: 2 });
    const { config } = running;
    const keys = new ZipfKeys({ keyCount: options.keyCount, skew: options.zipf, valueBytes: 100 });
    const load = runRespLoad({
      host: config.proxy.host, port: config.proxy.respPort, connections: 16, pipeline: 8, workload: zipfMix(keys, GET_RATIO),
      requestsMax: Number.MAX_SAFE_INTEGER, durationMs: 10 * 60_000, signal: controller.signal,
    });
    const endpoints = endpointsOf(running);
    await sleep(WARM_UP_MS);
    const before = await measureWindow(endpoints, options.windowMs);
    const masterBefore = await masterMaxOverMean(endpoints);
    const plan = await postJson(`${endpoints.masterUrl}/v1/rebalance`, endpoints.token, { dryRun: false }) as { moves: unknown[]; leaderChanges?: unknown[]; bytesToMove: number };
    await movesDone(endpoints);
    await sleep(SETTLE_MS);
    const after = await measureWindow(endpoints, options.windowMs);
    const masterAfter = await masterMaxOverMean(endpoints);
    controller.abort();
    const result = await load;
    return {
      before: before.maxOverMean, after: after.maxOverMean, masterBefore, masterAfter,
      moves: plan.moves.length, leaderChanges: plan.leaderChanges?.length ?? 0, bytesToMove: plan.bytesToMove,
      nodeOpsPerSecBefore: before.opsPerSec, nodeOpsPerSecAfter: after.opsPerSec, clientOpsPerSec: result.opsPerSec, errors: result.errors, errorKinds: result.errorKinds,
    };
  } finally {
    controller.abort();
    await stopBenchCluster(running);
  }
}

/** Six nodes of capacity 1, two a zone, so the zones force no node into every row; rebalancing by request only. */
function clusterConfig(base: RingcacheConfig, cache: boolean): RingcacheConfig {
  const json = configAsJson(base) as Record<string, unknown>;
  json.nodes = Array.from({ length: SERVERS }, (_, index) => ({
    id: `n${String(index + 1)}`, zone: ZONES[index], capacity: 1, host: '127.0.0.1', port: 0, httpPort: 0,
  }));
  return loadConfig({
    file: json,
    fileName: 'balance cluster config',
    overrides: [
      'rebalance.auto=false', 'rebalance.loadReportIntervalMs=500', 'rebalance.loadHalfLifeMs=1500', 'rebalance.imbalanceTolerancePercent=2',
      `proxy.hotKeyCacheTtlMs=${cache ? '1000' : '0'}`,
    ],
  });
}

interface Endpoints {
  readonly masterUrl: string;
  readonly token: string;
  readonly nodeUrls: readonly string[];
}

function endpointsOf(running: BenchCluster): Endpoints {
  const { config } = running;
  return {
    masterUrl: `http://${config.master.host}:${String(config.master.port)}`,
    token: config.cluster.token,
    nodeUrls: config.nodes.map((node) => `http://${node.host}:${String(node.httpPort)}`),
  };
}

async function measureWindow(endpoints: Endpoints, windowMs: number): Promise<{ maxOverMean: number; opsPerSec: number }> {
  const first = await nodeRequests(endpoints);
  const startMs = Date.now();
  await sleep(windowMs);
  const second = await nodeRequests(endpoints);
  const seconds = (Date.now() - startMs) / 1000;
  const rates = second.map((total, index) => (total - (first[index] ?? 0)) / seconds);
  const mean = rates.reduce((sum, rate) => sum + rate, 0) / rates.length;
  return { maxOverMean: mean > 0 ? Math.max(...rates) / mean : 1, opsPerSec: mean * rates.length };
}

async function nodeRequests(endpoints: Endpoints): Promise<number[]> {
  return Promise.all(endpoints.nodeUrls.map(async (url) => {
    const stats = await getJson(`${url}/v1/stats`, endpoints.token) as { requests?: { total?: number } };
    return stats.requests?.total ?? 0;
  }));
}

async function masterMaxOverMean(endpoints: Endpoints): Promise<number> {
  const load = await getJson(`${endpoints.masterUrl}/v1/load`, endpoints.token) as { maxOverMean?: number };
  return load.maxOverMean ?? Number.NaN;
}

async function movesDone(endpoints: Endpoints): Promise<void> {
  const deadline = Date.now() + MOVES_WAIT_MS;
  while (Date.now() < deadline) {
    const moves = await getJson(`${endpoints.masterUrl}/v1/moves`, endpoints.token) as { inFlight: unknown[]; queuedCount?: number; queued: unknown[] };
    if (moves.inFlight.length === 0 && (moves.queuedCount ?? moves.queued.length) === 0) return;
    await sleep(250);
  }
  throw new Error(`bench balance: the rebalance's moves did not finish within ${String(MOVES_WAIT_MS)} ms`);
}

function headers(token: string): Record<string, string> {
  return token === '' ? {} : { authorization: `Bearer ${token}` };
}

async function getJson(url: string, token: string): Promise<unknown> {
  const response = await fetch(url, { headers: headers(token), signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${url}: ${String(response.status)} ${await response.text()}`);
  return response.json();
}

async function postJson(url: string, token: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST', headers: { ...headers(token), 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) throw new Error(`POST ${url}: ${String(response.status)} ${await response.text()}`);
  return response.json();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}
