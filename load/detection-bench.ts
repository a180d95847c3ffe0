import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../src/cli/index.js';
import type { RingcacheConfig } from '../src/config/index.js';
import { openBenchRun, pidOf, restartMember, startBenchCluster, stopBenchCluster } from './bench-cluster.js';
import type { BenchCluster } from './bench-cluster.js';
import { watchDetection, watchReturn } from './cluster-watch.js';
import type { MembershipCounters } from './cluster-watch.js';
import { renderDetectionMarkdown } from './detection-report.js';
import type { DetectionReport, DetectionSample, FalsePositiveWindow } from './detection-report.js';
import { runRespLoad, sequentialSets, zipfMix } from './resp-driver.js';
import type { RespLoadResult } from './resp-driver.js';
import { ZipfKeys } from './zipf-keys.js';

/**
 * `ringcache bench detection`: failure detection on a real local cluster (master, 5 nodes, proxy)
 * with the config's membership settings (the defaults unless the config says otherwise).
 *
 *   start -> idle kills: kill -9 a node, time until every other node and the proxy hold it
 *            down, restart it, wait until all see it back
 *         -> under a RESP load: a window with no kill, every down any node declares is false
 *            (the nodes' membership_downs_total), then kills again, under the load
 *         -> stop -> reports/detection-<ts>.json/.md
 *
 * Bounded: `samples` kills per phase, `loadSeconds` of false-positive window, a 10 s wait per
 * detection and per return.
 */
export interface DetectionBenchOptions {
  readonly samples: number;
  readonly loadSeconds: number;
  readonly connections: number;
  readonly pipeline: number;
  readonly outDir: string;
  readonly pin: boolean;
  readonly config: RingcacheConfig;
  readonly io: CliIo;
}

const WAIT_MS_MAX = 10_000;
/** After a node is back: time for every node to probe it once more before the next kill. */
const SETTLE_MS = 2_000;
const PRELOAD_KEYS = 10_000;
/** Views are sampled this often during the false-positive window (counters catch what sampling misses). */
const SAMPLE_EVERY_MS = 250;
/** The nodes' local health scores are read every this many view samples. */
const HEALTH_EVERY_SAMPLES = 8;


export async function runDetectionBench(options: DetectionBenchOptions): Promise<{ json: string; markdown: string }> {
  const startedAt = new Date();
  const { io } = options;
  const run = openBenchRun('detection', options.outDir, options.pin, startedAt);
  const { stem, pinning, folder, onLine } = run;
  const notes = [pinning.note, `process logs: ${run.logFile}`];
  io.out(`bench detection: ${pinning.note}; ${options.samples} kills idle and ${options.samples} under load, a ${options.loadSeconds} s false-positive window`);
  let running: BenchCluster | undefined;
  const samples: DetectionSample[] = [];
  const measured: { window?: FalsePositiveWindow; load?: RespLoadResult } = {};
  try {
    running = await startBenchCluster(options.config, folder, pinning.serverPrefix, onLine, { n: 3, r: 2, w: 2 });
    await waitForFullViews(running);
    for (let i = 0; i < options.samples; i++) samples.push(await killSample(running, i, 'idle', io));
    const keys = new ZipfKeys({ keyCount: PRELOAD_KEYS, valueBytes: 64 });
    const { proxy } = running.config;
    const endpoint = { host: proxy.host, port: proxy.respPort, ...(proxy.password === '' ? {} : { password: proxy.password }) };
    await runRespLoad({ ...endpoint, connections: 8, pipeline: 32, workload: sequentialSets(keys.keyCount, keys.value), requestsMax: keys.keyCount, durationMs: 60_000 });
    const loadMs = options.loadSeconds * 1000 + options.samples * (WAIT_MS_MAX + SETTLE_MS + 5_000);
    const progress = { loadDone: false };
    const stopLoad = new AbortController();
    const loading = runRespLoad({
      ...endpoint, connections: options.connections, pipeline: options.pipeline, workload: zipfMix(keys, 0.9),
      requestsMax: Number.MAX_SAFE_INTEGER, durationMs: loadMs, signal: stopLoad.signal,
    }).finally(() => { progress.loadDone = true; });
    measured.window = await falsePositiveWindow(running, options.loadSeconds * 1000, io);
    for (let i = 0; i < options.samples && !progress.loadDone; i++) samples.push(await killSample(running, i + options.samples, 'loaded', io));
    if (progress.loadDone) notes.push('the load ended (its own bound) before the last kill under load');
    stopLoad.abort();
    measured.load = await loading;
  } finally {
    await stopBenchCluster(running);
    await run.close();
  }
  const report: DetectionReport = {
    startedAt: startedAt.toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    membership: { ...options.config.membership },
    samples,
    falsePositives: measured.window,
    load: loadRecord(measured.load, options),
    notes,
  };
  const json = join(options.outDir, `${stem}.json`);
  const markdown = join(options.outDir, `${stem}.md`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  const text = renderDetectionMarkdown(report);
  writeFileSync(markdown, text);
  for (const line of text.split('\n').filter((row) => row.startsWith('- '))) io.out(line.slice(2));
  io.out(`bench detection: wrote ${json} and ${markdown}`);
  return { json, markdown };
}

function loadRecord(load: RespLoadResult | undefined, options: DetectionBenchOptions): DetectionReport['load'] {
  if (load === undefined) return null;
  return { opsPerSec: load.opsPerSec, requests: load.requests, errors: load.errors + load.lost, connections: options.connections, pipeline: options.pipeline };
}


/** Until every node holds every member as heard from and not down. */
async function waitForFullViews(running: BenchCluster): Promise<void> {
  const ids = running.nodes.map((node) => node.id);
  for (const id of ids) {
    if (!(await watchReturn(running.watch, id, ids.filter((other) => other !== id), 30_000))) throw new Error(`not every node heard from ${id} within 30 s`);
  }
}


async function killSample(running: BenchCluster, index: number, phase: DetectionSample['phase'], io: CliIo): Promise<DetectionSample> {
  const ids = running.nodes.map((node) => node.id);
  const victim = ids[index % ids.length] ?? 'n1';
  const observers = ids.filter((id) => id !== victim);
  const pid = pidOf(running, victim);
  if (pid === undefined) throw new Error(`no PID for ${victim}`);
  await running.watch.proxyHoldsDown(victim);
  const killedAt = performance.now();
  process.kill(pid, 'SIGKILL');
  const times = await watchDetection(running.watch, victim, observers, killedAt, WAIT_MS_MAX, 10);
  const byObserver = Object.fromEntries([...times.byObserver].map(([observer, ms]) => [observer, Math.round(ms)]));
  const nodeTimes = observers.map((observer) => times.byObserver.get(observer)).filter((ms): ms is number => ms !== undefined);
  const restartedAt = performance.now();
  await restartMember(running, victim);
  const back = await watchReturn(running.watch, victim, observers, WAIT_MS_MAX);
  const sample: DetectionSample = {
    phase, victim, byObserver, missing: [...times.missing],
    allNodesMs: times.missing.some((observer) => observer !== 'proxy') ? null : Math.round(Math.max(...nodeTimes)),
    firstNodeMs: nodeTimes.length === 0 ? null : Math.round(Math.min(...nodeTimes)),
    proxyMs: times.byObserver.has('proxy') ? Math.round(times.byObserver.get('proxy') ?? 0) : null,
    backUpMs: back ? Math.round(performance.now() - restartedAt) : null,
  };
  io.out(`kill -9 ${victim} (${phase}): first node ${String(sample.firstNodeMs)} ms, every node ${String(sample.allNodesMs)} ms, proxy ${String(sample.proxyMs)} ms; back up after restart in ${String(sample.backUpMs)} ms`);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return sample;
}

/** A window with no kill: every down a node declares, and every down or suspect the views show, is false. */
async function falsePositiveWindow(running: BenchCluster, durationMs: number, io: CliIo): Promise<FalsePositiveWindow> {
  const { watch, nodes } = running;
  const before = await Promise.all(nodes.map((node) => watch.counters(node)));
  const seen = { suspect: 0, down: 0, proxyDown: 0, samples: 0, healthScoreMax: 0 };
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    if (seen.samples % HEALTH_EVERY_SAMPLES === 0) {
      for (const counters of await Promise.all(nodes.map((node) => watch.counters(node)))) seen.healthScoreMax = Math.max(seen.healthScoreMax, counters?.healthScore ?? 0);
    }
    const views = await Promise.all(nodes.map((node) => watch.viewAt(node.id)));
    for (const view of views) {
      for (const liveness of view?.values() ?? []) {
        if (liveness === 'suspect') seen.suspect++;
        if (liveness === 'down') seen.down++;
      }
    }
    const proxy = await Promise.all(nodes.map((node) => watch.proxyHoldsDown(node.id)));
    seen.proxyDown += proxy.filter((down) => down === true).length;
    seen.samples++;
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
  }
  const after = await Promise.all(nodes.map((node) => watch.counters(node)));
  const delta = (pick: (counters: MembershipCounters) => number): number | null => {
    let total = 0;
    for (let i = 0; i < nodes.length; i++) {
      const [a, b] = [before[i], after[i]];
      if (a === undefined || b === undefined) return null;
      total += pick(b) - pick(a);
    }
    return total;
  };
  const window: FalsePositiveWindow = {
    seconds: durationMs / 1000,
    downsDeclared: delta((counters) => counters.downs),
    suspicionsRaised: delta((counters) => counters.suspicions),
    refutations: delta((counters) => counters.refutations),
    viewSamples: seen.samples,
    suspectSeen: seen.suspect,
    downSeen: seen.down,
    proxyDownSeen: seen.proxyDown,
    healthScoreMax: seen.healthScoreMax,
  };
  io.out(`false-positive window ${window.seconds} s under load: downs declared ${String(window.downsDeclared)}, suspicions ${String(window.suspicionsRaised)}, refutations ${String(window.refutations)}`);
  return window;
}

