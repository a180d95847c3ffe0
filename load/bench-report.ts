import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What `ringcache bench proxy` writes: reports/bench-<timestamp>.json and .md. Every figure is
 * a median over the rounds of this run, and every ratio is the median of per-round ratios
 * (ringcache and the peer measured minutes apart in the same round), because the host drifts by
 * up to 2x between periods (BENCHMARKS.md): absolute numbers from different runs do not compare.
 * Pure apart from writeReport.
 */
export interface RunRecord {
  readonly round: number;
  readonly target: string;
  readonly workload: string;
  readonly opsPerSec: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly requests: number;
  readonly errors: number;
  readonly lost: number;
  readonly driverCpuPercent: number;
  /** CPU of the target's processes, % of one core; absent where /proc was unreadable. */
  readonly serverCpuPercent?: number;
  /** The target's CPU with no load, measured once after its start (bench-measure.ts idleCpuPercent). */
  readonly serverIdleCpuPercent?: number;
}

export interface TargetRecord {
  readonly name: string;
  readonly description: string;
  readonly status: 'measured' | 'skipped';
  readonly reason?: string;
}

export interface MedianRecord {
  readonly target: string;
  readonly workload: string;
  readonly rounds: number;
  readonly opsPerSec: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly serverCpuPercent?: number;
  readonly errors: number;
}

export interface RatioRecord {
  readonly target: string;
  readonly baseline: string;
  readonly workload: string;
  /** Median over rounds of target ops/s / baseline ops/s. */
  readonly ratio: number;
  readonly rounds: number;
  /**
   * Median over rounds of baseline / target server CPU per operation, net of each target's idle
   * CPU where measured (above 1: the target spends less CPU per request): steadier than ops/s on
   * a host shared with other work.
   */
  readonly cpuRatio?: number;
}

export interface MachineRecord {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly pinning: string;
}

export interface WorkloadRecord {
  readonly name: string;
  readonly description: string;
  /** Smallest latency step the driver records: 1 us (RESP driver), 1000 us (autocannon). */
  readonly latencyResolutionUs: number;
}

export interface BenchReport {
  readonly kind: 'ringcache-bench';
  readonly version: 1;
  readonly date: string;
  readonly machine: MachineRecord;
  readonly settings: Readonly<Record<string, number | string | boolean>>;
  readonly workloads: readonly WorkloadRecord[];
  readonly targets: readonly TargetRecord[];
  readonly runs: readonly RunRecord[];
  readonly medians: readonly MedianRecord[];
  readonly ratios: readonly RatioRecord[];
  readonly notes: readonly string[];
}

/** Subjects compared against baselines; the baselines are the peers of BENCHMARKS.md. */
export const SUBJECTS = ['ringcache-n1', 'ringcache-n3'] as const;
export const BASELINES = ['redis', 'twemproxy', 'fastify'] as const;
/** With `--baseline DIR`: each subject against the same cluster shape run from the older checkout. */
const SAME_SHAPE: Readonly<Record<string, string>> = { 'ringcache-n1': 'baseline-n1', 'ringcache-n3': 'baseline-n3' };

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function summarizeRuns(runs: readonly RunRecord[]): MedianRecord[] {
  const groups = new Map<string, RunRecord[]>();
  for (const run of runs) {
    const key = `${run.target}\u0000${run.workload}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0]!;
    const cpu = group.map((run) => run.serverCpuPercent).filter((value): value is number => value !== undefined);
    return {
      target: first.target,
      workload: first.workload,
      rounds: group.length,
      opsPerSec: median(group.map((run) => run.opsPerSec)),
      p50Us: median(group.map((run) => run.p50Us)),
      p99Us: median(group.map((run) => run.p99Us)),
      p999Us: median(group.map((run) => run.p999Us)),
      ...(cpu.length === 0 ? {} : { serverCpuPercent: median(cpu) }),
      errors: group.reduce((sum, run) => sum + run.errors + run.lost, 0),
    };
  });
}

/** Server CPU per request, net of what the target burns idle where that was measured. */
function cpuPerOp(run: RunRecord): number | undefined {
  if (run.serverCpuPercent === undefined) return undefined;
  const busy = run.serverCpuPercent - (run.serverIdleCpuPercent ?? 0);
  return busy > 0 ? busy / run.opsPerSec : undefined;
}

/** The share of failed requests above which a run is not compared with another. */
const ERRORS_COMPARABLE_MAX = 0.01;

/** Paired ratios: for each round where both ran the workload, subject / baseline; then the median. */
export function pairedRatios(runs: readonly RunRecord[]): RatioRecord[] {
  const byKey = new Map<string, RunRecord>();
  // A run answered mostly with errors (an older baseline that lacks the command) measured
  // something else: it pairs with nothing.
  for (const run of runs) {
    if (run.errors + run.lost <= ERRORS_COMPARABLE_MAX * run.requests) byKey.set(`${run.round}\u0000${run.target}\u0000${run.workload}`, run);
  }
  const workloads = [...new Set(runs.map((run) => run.workload))];
  const rounds = [...new Set(runs.map((run) => run.round))];
  const ratios: RatioRecord[] = [];
  for (const workload of workloads) {
    for (const target of SUBJECTS) {
      for (const baseline of [...BASELINES, SAME_SHAPE[target]!]) {
        const perRound: number[] = [];
        const cpuPerRound: number[] = [];
        for (const round of rounds) {
          const subject = byKey.get(`${round}\u0000${target}\u0000${workload}`);
          const base = byKey.get(`${round}\u0000${baseline}\u0000${workload}`);
          if (subject === undefined || base === undefined || base.opsPerSec <= 0 || subject.opsPerSec <= 0) continue;
          perRound.push(subject.opsPerSec / base.opsPerSec);
          const [subjectCpu, baseCpu] = [cpuPerOp(subject), cpuPerOp(base)];
          if (subjectCpu !== undefined && baseCpu !== undefined && subjectCpu > 0) cpuPerRound.push(baseCpu / subjectCpu);
        }
        if (perRound.length > 0) {
          ratios.push({
            target, baseline, workload, ratio: median(perRound), rounds: perRound.length,
            ...(cpuPerRound.length === perRound.length ? { cpuRatio: median(cpuPerRound) } : {}),
          });
        }
      }
    }
  }
  return ratios;
}

export function reportFileStem(date: Date): string {
  return `bench-${date.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}`;
}

/** Writes <stem>.json and <stem>.md into `folder`; returns both paths. */
export function writeReport(report: BenchReport, folder: string, stem: string, markdown: string): { json: string; markdown: string } {
  mkdirSync(folder, { recursive: true });
  const json = join(folder, `${stem}.json`);
  const md = join(folder, `${stem}.md`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(md, markdown);
  return { json, markdown: md };
}
