import { createWriteStream, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../src/cli/index.js';
import type { RingcacheConfig } from '../src/config/index.js';
import { renderMarkdown } from './bench-markdown.js';
import { pairedRatios, reportFileStem, summarizeRuns, writeReport } from './bench-report.js';
import type { BenchReport, RunRecord, TargetRecord } from './bench-report.js';
import { targetSpecs } from './bench-targets.js';
import type { BenchTarget } from './bench-targets.js';
import { formatMicros, formatRate } from './load-command.js';
import { missingPeer } from './peers.js';
import { setUpPinning } from './processes.js';
import { runRespLoad, sequentialSets } from './resp-driver.js';
import { measure, WORKLOADS } from './bench-measure.js';
import type { Pair } from './bench-measure.js';
import { ZipfKeys } from './zipf-keys.js';

/**
 * `ringcache bench proxy`: ringcache (N=1, and N=3 R=2 W=2) against the peers of BENCHMARKS.md,
 * all measured in one run, alternating targets round by round (the order rotates each round so
 * no target always runs first), within a total time budget. Writes reports/bench-<ts>.json/.md.
 *
 *   start targets -> preload keys -> warm up each pair -> rounds x (target, workload) -> stop -> report
 */
export interface BenchOptions {
  readonly rounds: number;
  readonly budgetSeconds: number;
  readonly runSeconds: number;
  readonly connections: number;
  readonly keyCount: number;
  readonly skew: number;
  readonly valueBytes: number;
  readonly getRatio: number;
  readonly outDir: string;
  /** Only these targets (names), or all. */
  readonly targets?: readonly string[];
  readonly pin: boolean;
  readonly config: RingcacheConfig;
  readonly io: CliIo;
}

/** Time kept back for stopping targets and writing the report. */
const RESERVE_MS = 20_000;
const WARMUP_SECONDS = 1;

export async function runBench(options: BenchOptions): Promise<{ json: string; markdown: string }> {
  const startedAt = new Date();
  const deadline = startedAt.getTime() + options.budgetSeconds * 1000;
  const { io } = options;
  const stem = reportFileStem(startedAt);
  const pinning = setUpPinning(options.pin);
  mkdirSync(options.outDir, { recursive: true });
  const log = createWriteStream(join(options.outDir, `${stem}.log`), { flags: 'a' });
  const notes: string[] = [pinning.note, `process logs of the targets: ${join(options.outDir, `${stem}.log`)}`];
  const onLine = (name: string, _stream: 'stdout' | 'stderr', line: string): void => { log.write(`[${name}] ${line}\n`); };
  io.out(`bench: ${pinning.note}; budget ${options.budgetSeconds}s; writing ${join(options.outDir, stem)}.{json,md}`);
  const targetRecords: TargetRecord[] = [];
  const running: BenchTarget[] = [];
  const runs: RunRecord[] = [];
  try {
    for (const spec of targetSpecs(options.config, pinning.serverPrefix, onLine)) {
      if (options.targets !== undefined && !options.targets.includes(spec.name)) continue;
      const missing = spec.name === 'redis' || spec.name === 'twemproxy' ? missingPeer(spec.name) : undefined;
      const outcome = missing === undefined ? await startTarget(spec.start, options) : missing;
      if (typeof outcome === 'string') {
        targetRecords.push({ name: spec.name, description: spec.description, status: 'skipped', reason: outcome });
        io.out(`bench: ${spec.name} skipped: ${outcome}`);
      } else {
        targetRecords.push({ name: spec.name, description: spec.description, status: 'measured' });
        running.push(outcome);
        io.out(`bench: ${spec.name} started`);
      }
    }
    const pairs = WORKLOADS.flatMap((workload) => running
      .filter((target) => (workload.protocol === 'resp' ? target.resp : target.http) !== undefined)
      .map((target): Pair => ({ target, workload })));
    const plan = planRounds(options, pairs.length, deadline - Date.now(), notes);
    for (const pair of pairs) await measure(pair, { ...options, seconds: Math.min(WARMUP_SECONDS, plan.runSeconds), round: 0 });
    for (let round = 1; round <= plan.rounds; round++) {
      const offset = (round - 1) % Math.max(1, pairs.length);
      const order = [...pairs.slice(offset), ...pairs.slice(0, offset)];
      for (const pair of order) {
        if (Date.now() + plan.runSeconds * 1000 + RESERVE_MS > deadline) {
          notes.push(`time budget (--seconds ${options.budgetSeconds}) reached in round ${round}: later runs were not measured`);
          round = plan.rounds;
          break;
        }
        const record = await measure(pair, { ...options, seconds: plan.runSeconds, round });
        runs.push(record);
        io.out(`round ${round}/${plan.rounds}  ${pair.target.name.padEnd(12)}  ${pair.workload.name.padEnd(8)}  ` +
          `${formatRate(record.opsPerSec).padStart(7)} ops/s  p50 ${formatMicros(record.p50Us)}  p99 ${formatMicros(record.p99Us)}  ` +
          `errors ${record.errors + record.lost}  cpu server ${cpuText(record.serverCpuPercent)} driver ${cpuText(record.driverCpuPercent)}`);
      }
    }
  } finally {
    for (const target of [...running].reverse()) await target.stop().catch(() => undefined);
    await new Promise<void>((resolve) => { log.end(resolve); });
  }
  const report = buildReport({ options, startedAt, pinning: pinning.note, targets: targetRecords, runs, notes });
  const paths = writeReport(report, options.outDir, stem, renderMarkdown(report));
  for (const ratio of report.ratios) {
    io.out(`${ratio.workload.padEnd(8)}  ${ratio.target} / ${ratio.baseline} = ${ratio.ratio.toFixed(2)} (median of ${ratio.rounds} rounds)`);
  }
  io.out(`bench: wrote ${paths.json} and ${paths.markdown}`);
  return paths;
}

function cpuText(value: number | undefined): string {
  return value === undefined ? '-' : `${value.toFixed(0)}%`;
}

/** Starts a target and preloads its keys (so GETs hit); a failure is the skip reason. */
async function startTarget(start: () => Promise<BenchTarget>, options: BenchOptions): Promise<BenchTarget | string> {
  let target: BenchTarget;
  try {
    target = await start();
  } catch (error) {
    return firstLine((error as Error).message);
  }
  if (target.resp === undefined) return target;
  const keys = new ZipfKeys({ keyCount: options.keyCount, valueBytes: options.valueBytes });
  try {
    const preload = await runRespLoad({
      ...target.resp, connections: 16, pipeline: 32, workload: sequentialSets(keys.keyCount, keys.value),
      requestsMax: keys.keyCount, durationMs: 120_000,
    });
    if (preload.requests < keys.keyCount || preload.errors > 0) {
      throw new Error(`preload wrote ${preload.requests} of ${keys.keyCount} keys, ${preload.errors} errors (${preload.firstError ?? 'no error text'})`);
    }
  } catch (error) {
    await target.stop().catch(() => undefined);
    return `preload failed: ${firstLine((error as Error).message)}`;
  }
  return target;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

/**
 * Fits rounds x pairs runs (plus one warm-up per pair) into the time left: keeps --run-seconds
 * when it fits, else shortens runs down to 1 s, else drops rounds (each change noted).
 */
export function planRounds(options: Pick<BenchOptions, 'rounds' | 'runSeconds'>, pairCount: number, remainingMs: number,
  notes: string[]): { rounds: number; runSeconds: number } {
  if (pairCount === 0) {
    notes.push('no target could be measured');
    return { rounds: 0, runSeconds: options.runSeconds };
  }
  const overheadSeconds = 0.5;
  const usableSeconds = Math.max(0, (remainingMs - RESERVE_MS) / 1000 - pairCount * (WARMUP_SECONDS + overheadSeconds));
  const fitting = usableSeconds / (options.rounds * pairCount) - overheadSeconds;
  if (fitting >= options.runSeconds) return { rounds: options.rounds, runSeconds: options.runSeconds };
  if (fitting >= 1) {
    const runSeconds = Math.floor(fitting * 10) / 10;
    notes.push(`runs shortened from ${options.runSeconds}s to ${runSeconds}s to fit the time budget`);
    return { rounds: options.rounds, runSeconds };
  }
  const rounds = Math.max(1, Math.floor(usableSeconds / (pairCount * (1 + overheadSeconds))));
  notes.push(`time budget too small for ${options.rounds} rounds: ran ${rounds} round(s) of 1 s runs`);
  return { rounds, runSeconds: 1 };
}

interface ReportInput {
  readonly options: BenchOptions;
  readonly startedAt: Date;
  readonly pinning: string;
  readonly targets: readonly TargetRecord[];
  readonly runs: readonly RunRecord[];
  readonly notes: readonly string[];
}

export function buildReport(input: ReportInput): BenchReport {
  const { options, runs } = input;
  const saturated = runs.filter((run) => run.driverCpuPercent > 90).length;
  const notes = [
    ...input.notes,
    'RESP figures come from this package\'s raw-socket driver (load/resp-driver.ts), one Node process; HTTP figures from autocannon (1 ms latency resolution).',
    'ringcache values are 3 bytes (preloaded, so GETs hit); the fastify baseline answers a 100-byte value.',
    ...(saturated > 0 ? [`the driver used over 90% of its core in ${saturated} of ${runs.length} runs: those figures may be the driver's limit, not the target's`] : []),
  ];
  return {
    kind: 'ringcache-bench',
    version: 1,
    date: input.startedAt.toISOString(),
    machine: {
      // os.cpus(), not availableParallelism(): the driver is pinned to one cpu by now.
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      pinning: input.pinning,
    },
    settings: {
      rounds: options.rounds,
      runSeconds: options.runSeconds,
      budgetSeconds: options.budgetSeconds,
      connections: options.connections,
      keys: options.keyCount,
      zipfSkew: options.skew,
      valueBytes: options.valueBytes,
      getRatio: options.getRatio,
    },
    workloads: WORKLOADS.map((workload) => ({
      name: workload.name, description: workload.describe(options), latencyResolutionUs: workload.latencyResolutionUs,
    })),
    targets: input.targets,
    runs,
    medians: summarizeRuns(runs),
    ratios: pairedRatios(runs),
    notes,
  };
}
