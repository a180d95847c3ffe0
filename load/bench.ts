import { createWriteStream, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../src/cli/index.js';
import type { RingcacheConfig } from '../src/config/index.js';
import { renderMarkdown } from './bench-markdown.js';
import { pairedRatios, reportFileStem, summarizeRuns, writeReport } from './bench-report.js';
import type { BenchReport, RunRecord, TargetRecord } from './bench-report.js';
import { runIsolated, runTogether, selectedWorkloads } from './bench-rounds.js';
import { targetSpecs } from './bench-targets.js';
import { formatMicros, formatRate } from './load-command.js';
import { setUpPinning } from './processes.js';
import type { BaselineCheckout } from './baseline-target.js';

/**
 * `ringcache bench proxy`: ringcache (N=1, and N=3 R=2 W=2) against the peers of BENCHMARKS.md,
 * all measured in one run, alternating targets round by round (the order rotates each round so
 * no target always runs first), within a total time budget. Writes reports/bench-<ts>.json/.md.
 * The schedules (one target at a time, or all together) are in bench-rounds.ts.
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
  /**
   * An older built checkout: adds baseline-n1/baseline-n3 (its clusters, from its own config and
   * launcher) beside ringcache-n1/-n3, and the same-shape ratios between them.
   */
  readonly baseline?: BaselineCheckout;
  /** Only these workloads (names), or all. */
  readonly workloads?: readonly string[];
  /**
   * One target running at a time (started, preloaded, measured, stopped, in turn each round), so no
   * idle cluster's gossip, anti-entropy and load reports share the servers' core with the one
   * measured; false starts every target once and keeps them all running, as before.
   */
  readonly isolate: boolean;
  readonly pin: boolean;
  readonly config: RingcacheConfig;
  readonly io: CliIo;
}


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
  const specs = targetSpecs(options.config, pinning.serverPrefix, onLine, options.baseline)
    .filter((spec) => isSelected(spec.name, options.targets));
  if (options.baseline !== undefined) notes.push(`baseline: ${options.baseline.label} at ${options.baseline.dir} (baseline-n1, baseline-n3)`);
  const schedule = { options, deadline, notes, onRun: (record: RunRecord): void => { io.out(runLine(record, options.rounds)); } };
  const { targets: targetRecords, runs } = options.isolate
    ? await runIsolated(specs, schedule)
    : await runTogether(specs, schedule);
  await new Promise<void>((resolve) => { log.end(resolve); });
  const report = buildReport({ options, startedAt, pinning: pinning.note, targets: targetRecords, runs, notes });
  const paths = writeReport(report, options.outDir, stem, renderMarkdown(report));
  for (const ratio of report.ratios) {
    const cpu = ratio.cpuRatio === undefined ? '' : `; CPU per op ${ratio.baseline} / ${ratio.target} = ${ratio.cpuRatio.toFixed(2)}`;
    io.out(`${ratio.workload.padEnd(8)}  ${ratio.target} / ${ratio.baseline} = ${ratio.ratio.toFixed(2)} (median of ${ratio.rounds} rounds)${cpu}`);
  }
  io.out(`bench: wrote ${paths.json} and ${paths.markdown}`);
  return paths;
}

/** --targets as given; a named ringcache-nK brings its baseline-nK along (the point of --baseline). */
function isSelected(name: string, targets: readonly string[] | undefined): boolean {
  if (targets === undefined) return true;
  return targets.includes(name) || (name.startsWith('baseline-') && targets.includes(name.replace('baseline-', 'ringcache-')));
}

function cpuText(value: number | undefined): string {
  return value === undefined ? '-' : `${value.toFixed(0)}%`;
}

/** One measured run, with the servers' CPU per operation (the figure that says what a request costs). */
function runLine(record: RunRecord, rounds: number): string {
  const cpuPerOp = record.serverCpuPercent === undefined || record.opsPerSec === 0
    ? '-' : `${formatMicros((record.serverCpuPercent / 100) * 1e6 / record.opsPerSec)}/op`;
  return `round ${record.round}/${rounds}  ${record.target.padEnd(12)}  ${record.workload.padEnd(8)}  ` +
    `${formatRate(record.opsPerSec).padStart(7)} ops/s  p50 ${formatMicros(record.p50Us)}  p99 ${formatMicros(record.p99Us)}  ` +
    `errors ${record.errors + record.lost}  cpu server ${cpuText(record.serverCpuPercent)} (${cpuPerOp}; idle ${cpuText(record.serverIdleCpuPercent)}) driver ${cpuText(record.driverCpuPercent)}`;
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
    workloads: selectedWorkloads(options).map((workload) => ({
      name: workload.name, description: workload.describe(options), latencyResolutionUs: workload.latencyResolutionUs,
    })),
    targets: input.targets,
    runs,
    medians: summarizeRuns(runs),
    ratios: pairedRatios(runs),
    notes,
  };
}
