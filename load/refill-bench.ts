import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../src/cli/index.js';
import type { RingcacheConfig } from '../src/config/index.js';
import { RoutingTable, vnodeOf } from '../src/ring/index.js';
import type { Table } from '../src/ring/index.js';
import { SystemClock } from '../src/runtime/index.js';
import { TcpTransport } from '../src/transport/index.js';
import { openBenchRun, pidOf, restartMember, startBenchCluster, stopBenchCluster } from './bench-cluster.js';
import type { BenchCluster } from './bench-cluster.js';
import { runRespLoad, sequentialSets, zipfMix } from './resp-driver.js';
import { keyName, ZipfKeys } from './zipf-keys.js';

/**
 * `ringcache bench refill`: how long a storage node restarted empty under load takes to hold
 * every key it should again, on a real local cluster (master, 5 nodes, proxy, N=3 R=2 W=2).
 *
 *   preload K keys -> a GET/SET load through the proxy -> kill -9 the victim, restart it after
 *   `downSeconds` (writes meanwhile go to the other replicas and to fallbacks as hints) ->
 *   time until its /health stops saying recovering -> the load ends -> every key of the victim's
 *   rows read from the victim itself over the internode port: the keys it still lacks.
 *
 * Bounded: the load runs at most `loadSeconds` after the restart, the refill wait `refillSecondsMax`.
 */
export interface RefillBenchOptions {
  readonly keyCount: number;
  readonly valueBytes: number;
  readonly getRatio: number;
  readonly connections: number;
  readonly downSeconds: number;
  readonly refillSecondsMax: number;
  readonly outDir: string;
  readonly pin: boolean;
  readonly config: RingcacheConfig;
  readonly io: CliIo;
}

export interface RefillReport {
  readonly startedAt: string;
  readonly machine: { readonly cpus: number; readonly node: string };
  readonly keys: number;
  readonly valueBytes: number;
  readonly victim: string;
  /** Keys of the victim's rows: what it should hold. */
  readonly expectedKeys: number;
  /** From the restart until /health said recovering: false; null: not within refillSecondsMax. */
  readonly refillMs: number | null;
  /** Expected keys the victim did not hold once the load ended. */
  readonly missingKeys: number;
  readonly load: { readonly opsPerSec: number; readonly requests: number; readonly errors: number };
  readonly notes: readonly string[];
}

const clock = new SystemClock();
const VICTIM = 'n3';
const LOAD_BEFORE_KILL_MS = 2_000;
const HEALTH_POLL_MS = 50;
const READ_TIMEOUT_MS = 2_000;

export async function runRefillBench(options: RefillBenchOptions): Promise<RefillReport> {
  const startedAt = new Date();
  const { io } = options;
  const run = openBenchRun('refill', options.outDir, options.pin, startedAt);
  const { stem, pinning, folder, onLine } = run;
  const notes = [pinning.note, `process logs: ${run.logFile}`];
  io.out(`bench refill: ${pinning.note}; ${String(options.keyCount)} keys of ${String(options.valueBytes)} B, kill -9 ${VICTIM} under load, down ${String(options.downSeconds)} s`);
  let running: BenchCluster | undefined;
  let report: RefillReport;
  try {
    running = await startBenchCluster(options.config, folder, pinning.serverPrefix, onLine, { n: 3, r: 2, w: 2 });
    const keys = new ZipfKeys({ keyCount: options.keyCount, valueBytes: options.valueBytes });
    const { proxy } = running.config;
    const endpoint = { host: proxy.host, port: proxy.respPort, ...(proxy.password === '' ? {} : { password: proxy.password }) };
    const preload = await runRespLoad({ ...endpoint, connections: 8, pipeline: 32, workload: sequentialSets(keys.keyCount, keys.value), requestsMax: keys.keyCount, durationMs: 300_000 });
    if (preload.errors + preload.lost > 0) notes.push(`preload: ${String(preload.errors + preload.lost)} SETs failed`);
    io.out(`preloaded ${String(preload.requests)} keys in ${(preload.elapsedMs / 1000).toFixed(1)} s`);
    const stopLoad = new AbortController();
    const loadMsMax = LOAD_BEFORE_KILL_MS + (options.downSeconds + options.refillSecondsMax) * 1000 + 5_000;
    const loading = runRespLoad({
      ...endpoint, connections: options.connections, pipeline: 1, workload: zipfMix(keys, options.getRatio),
      requestsMax: Number.MAX_SAFE_INTEGER, durationMs: loadMsMax, signal: stopLoad.signal,
    });
    await clock.sleep(LOAD_BEFORE_KILL_MS);
    const pid = pidOf(running, VICTIM);
    if (pid === undefined) throw new Error(`no PID for ${VICTIM}`);
    process.kill(pid, 'SIGKILL');
    await clock.sleep(options.downSeconds * 1000);
    const restartedMs = clock.nowMs();
    await restartMember(running, VICTIM);
    const refillMs = await waitInSync(running, VICTIM, restartedMs, options.refillSecondsMax * 1000);
    io.out(refillMs === null ? `${VICTIM} still recovering after ${String(options.refillSecondsMax)} s` : `${VICTIM} in sync ${(refillMs / 1000).toFixed(1)} s after its restart, under load`);
    stopLoad.abort();
    const load = await loading;
    const { expected, missing } = await missingAt(running, VICTIM, options.keyCount);
    io.out(`${VICTIM} holds ${String(expected - missing)} of the ${String(expected)} keys of its rows`);
    report = {
      startedAt: startedAt.toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      keys: options.keyCount, valueBytes: options.valueBytes, victim: VICTIM,
      expectedKeys: expected, refillMs, missingKeys: missing,
      load: { opsPerSec: Math.round(load.opsPerSec), requests: load.requests, errors: load.errors + load.lost },
      notes,
    };
  } finally {
    await stopBenchCluster(running);
    await run.close();
  }
  const json = join(options.outDir, `${stem}.json`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  io.out(`refill: ${String(report.expectedKeys)} keys in ${report.refillMs === null ? 'more than the bound' : `${(report.refillMs / 1000).toFixed(1)} s`}, ${String(report.missingKeys)} missing, load ${String(report.load.opsPerSec)} ops/s (${String(report.load.errors)} errors)`);
  io.out(`bench refill: wrote ${json}`);
  return report;
}

/** Polls the node's /health until it answers recovering: false; ms since `sinceMs`, or null past the bound. */
async function waitInSync(running: BenchCluster, member: string, sinceMs: number, boundMs: number): Promise<number | null> {
  const node = running.nodes.find((candidate) => candidate.id === member);
  if (node === undefined) throw new Error(`no node ${member}`);
  while (clock.nowMs() - sinceMs < boundMs) {
    try {
      const response = await fetch(`http://${node.host}:${String(node.httpPort)}/health`, { signal: AbortSignal.timeout(1000) });
      const health = await response.json() as { recovering?: boolean };
      if (health.recovering === false) return clock.nowMs() - sinceMs;
    } catch {
      // Not listening yet.
    }
    await clock.sleep(HEALTH_POLL_MS);
  }
  return null;
}

/** Every key of `member`'s rows, read from `member` alone: how many it should hold and how many it lacks. */
async function missingAt(running: BenchCluster, member: string, keyCount: number): Promise<{ expected: number; missing: number }> {
  const { master, cluster } = running.config;
  const headers: Record<string, string> = cluster.token === '' ? {} : { authorization: `Bearer ${cluster.token}` };
  const response = await fetch(`http://${master.host}:${String(master.port)}/v1/table`, { headers });
  const table = new RoutingTable(await response.json() as Table);
  const node = running.nodes.find((candidate) => candidate.id === member);
  if (node === undefined) throw new Error(`no node ${member}`);
  const transport = new TcpTransport({ resolve: () => ({ host: node.host, port: node.port }), clock, token: cluster.token });
  let expected = 0;
  let missing = 0;
  try {
    for (let i = 0; i < keyCount; i++) {
      const key = Buffer.from(keyName(i));
      const vnode = vnodeOf(key, table.vnodeCount);
      if (!table.row(vnode).replicas.includes(member)) continue;
      expected++;
      const reply = await transport.send(member, { epoch: table.epoch, body: { kind: 'read', key, vnode } }, READ_TIMEOUT_MS);
      if (reply.body.kind !== 'versioned' || reply.body.versioned === null) missing++;
    }
  } finally {
    await transport.close();
  }
  return { expected, missing };
}
