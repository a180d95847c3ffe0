import type { BenchOptions } from './bench.js';
import { idleCpuPercent, measure, WORKLOADS } from './bench-measure.js';
import type { Pair } from './bench-measure.js';
import type { RunRecord, TargetRecord } from './bench-report.js';
import type { BenchTarget, TargetSpec } from './bench-targets.js';
import { missingPeer } from './peers.js';
import { runRespLoad, sequentialSets } from './resp-driver.js';
import { ZipfKeys } from './zipf-keys.js';

/**
 * The two schedules of `ringcache bench proxy`.
 *
 * - isolated (the default): each round, each target in turn (the order rotates) is started,
 *   preloaded, warmed up, measured on every workload, and stopped before the next one starts.
 *   A whole ringcache cluster is never idle next to the one measured: its gossip, anti-entropy
 *   ticks, load reports and the master's sampling would run on the same pinned core and be
 *   charged to whoever is measured.
 * - together: every target started once and kept running; rounds alternate between them.
 *   Cheaper in start-ups, but the idle targets share the servers' core.
 */
export interface Schedule {
  readonly options: BenchOptions;
  readonly deadline: number;
  readonly notes: string[];
  readonly onRun: (record: RunRecord) => void;
}

export interface ScheduleResult {
  readonly targets: TargetRecord[];
  readonly runs: RunRecord[];
}

/** Time kept back for stopping targets and writing the report. */
export const RESERVE_MS = 20_000;
export const WARMUP_SECONDS = 1;
/** The idle CPU window after each start-up (one target at a time). */
const IDLE_MS = 2000;
/** The planning guess for one target's start-up, preload and warm-ups. */
const START_SECONDS_GUESS = 15;

export async function runIsolated(specs: readonly TargetSpec[], schedule: Schedule): Promise<ScheduleResult> {
  const { options, deadline, notes } = schedule;
  const records = new Map<string, TargetRecord>();
  const runnable = specs.filter((spec) => {
    const missing = peerMissing(spec);
    if (missing !== undefined) skip(records, spec, missing, options);
    return missing === undefined;
  });
  // What each target speaks: fastify HTTP only, the redis peers RESP only, ringcache both.
  const workloadsOf = (name: string): number => selectedWorkloads(options).filter((workload) => (workload.protocol === 'http'
    ? name === 'fastify' || name.startsWith('ringcache') || name.startsWith('baseline') : name !== 'fastify')).length;
  const pairCount = runnable.reduce((sum, spec) => sum + workloadsOf(spec.name), 0);
  const plan = planRounds(options, pairCount, deadline - Date.now(), notes, runnable.length * START_SECONDS_GUESS);
  const runs: RunRecord[] = [];
  const startSeconds: number[] = [];
  for (let round = 1; round <= plan.rounds; round++) {
    const offset = (round - 1) % Math.max(1, runnable.length);
    for (const spec of [...runnable.slice(offset), ...runnable.slice(0, offset)]) {
      if (records.get(spec.name)?.status === 'skipped') continue;
      if (Date.now() + (START_SECONDS_GUESS + plan.runSeconds * workloadsOf(spec.name)) * 1000 + RESERVE_MS > deadline) {
        notes.push(`time budget (--seconds ${options.budgetSeconds}) reached in round ${round}: later runs were not measured`);
        return { targets: [...records.values()], runs };
      }
      const startedAt = Date.now();
      const target = await startTarget(spec.start, options);
      if (typeof target === 'string') {
        // Measured in an earlier round: keep those runs, say which round could not start.
        if (records.get(spec.name)?.status === 'measured') notes.push(`${spec.name} did not start in round ${round}: ${target}`);
        else skip(records, spec, target, options);
        continue;
      }
      startSeconds.push((Date.now() - startedAt) / 1000);
      if (!records.has(spec.name)) {
        records.set(spec.name, { name: spec.name, description: spec.description, status: 'measured' });
        options.io.out(`bench: ${spec.name} started (alone: the other targets are stopped)`);
      }
      try {
        const idle = await idleCpuPercent(target, IDLE_MS);
        const measured = { ...options, ...(idle === undefined ? {} : { idleCpuPercent: idle }) };
        const pairs = pairsOf([target], options);
        // A fresh process is warmed once per protocol (JIT, connections), not once per workload.
        for (const protocol of ['resp', 'http'] as const) {
          const first = pairs.find((pair) => pair.workload.protocol === protocol);
          if (first !== undefined) await measure(first, { ...measured, seconds: Math.min(WARMUP_SECONDS, plan.runSeconds), round: 0 });
        }
        for (const pair of pairs) {
          const record = await measure(pair, { ...measured, seconds: plan.runSeconds, round });
          runs.push(record);
          schedule.onRun(record);
        }
      } finally {
        await target.stop().catch(() => undefined);
      }
    }
  }
  if (startSeconds.length > 0) {
    const sorted = [...startSeconds].sort((a, b) => a - b);
    notes.push(`one target at a time: ${startSeconds.length} start-ups with preload, median ${(sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1)} s each`);
  }
  return { targets: [...records.values()], runs };
}

export async function runTogether(specs: readonly TargetSpec[], schedule: Schedule): Promise<ScheduleResult> {
  const { options, deadline, notes } = schedule;
  const records = new Map<string, TargetRecord>();
  const running: BenchTarget[] = [];
  const runs: RunRecord[] = [];
  notes.push('all targets together: every target ran for the whole benchmark, idle ones sharing the servers\' core');
  try {
    for (const spec of specs) {
      const outcome = peerMissing(spec) ?? await startTarget(spec.start, options);
      if (typeof outcome === 'string') {
        skip(records, spec, outcome, options);
      } else {
        records.set(spec.name, { name: spec.name, description: spec.description, status: 'measured' });
        running.push(outcome);
        options.io.out(`bench: ${spec.name} started`);
      }
    }
    const pairs = pairsOf(running, options);
    const plan = planRounds(options, pairs.length, deadline - Date.now(), notes);
    for (const pair of pairs) await measure(pair, { ...options, seconds: Math.min(WARMUP_SECONDS, plan.runSeconds), round: 0 });
    for (let round = 1; round <= plan.rounds; round++) {
      const offset = (round - 1) % Math.max(1, pairs.length);
      for (const pair of [...pairs.slice(offset), ...pairs.slice(0, offset)]) {
        if (Date.now() + plan.runSeconds * 1000 + RESERVE_MS > deadline) {
          notes.push(`time budget (--seconds ${options.budgetSeconds}) reached in round ${round}: later runs were not measured`);
          return { targets: [...records.values()], runs };
        }
        const record = await measure(pair, { ...options, seconds: plan.runSeconds, round });
        runs.push(record);
        schedule.onRun(record);
      }
    }
  } finally {
    for (const target of [...running].reverse()) await target.stop().catch(() => undefined);
  }
  return { targets: [...records.values()], runs };
}

/** The workloads of --workloads, or all. */
export function selectedWorkloads(options: Pick<BenchOptions, 'workloads'>): typeof WORKLOADS {
  return options.workloads === undefined ? WORKLOADS : WORKLOADS.filter((workload) => options.workloads!.includes(workload.name));
}

function pairsOf(targets: readonly BenchTarget[], options: Pick<BenchOptions, 'workloads'>): Pair[] {
  return selectedWorkloads(options).flatMap((workload) => targets
    .filter((target) => (workload.protocol === 'resp' ? target.resp : target.http) !== undefined)
    .map((target): Pair => ({ target, workload })));
}

function peerMissing(spec: TargetSpec): string | undefined {
  return spec.name === 'redis' || spec.name === 'twemproxy' ? missingPeer(spec.name) : undefined;
}

function skip(records: Map<string, TargetRecord>, spec: TargetSpec, reason: string, options: BenchOptions): void {
  records.set(spec.name, { name: spec.name, description: spec.description, status: 'skipped', reason });
  options.io.out(`bench: ${spec.name} skipped: ${reason}`);
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
 * Fits rounds x pairs runs (plus one warm-up per pair, and `startSecondsPerRound` of start-ups
 * when targets start anew each round) into the time left: keeps --run-seconds when it fits, else
 * shortens runs down to 1 s, else drops rounds (each change noted).
 */
export function planRounds(options: Pick<BenchOptions, 'rounds' | 'runSeconds'>, pairCount: number, remainingMs: number,
  notes: string[], startSecondsPerRound = 0): { rounds: number; runSeconds: number } {
  if (pairCount === 0) {
    notes.push('no target could be measured');
    return { rounds: 0, runSeconds: options.runSeconds };
  }
  const overheadSeconds = 0.5;
  // Started anew each round, targets are warmed each round (within their start-up guess); else once.
  const perRoundFixed = startSecondsPerRound;
  const warmupSeconds = startSecondsPerRound > 0 ? 0 : pairCount * (WARMUP_SECONDS + overheadSeconds);
  const usableSeconds = Math.max(0, (remainingMs - RESERVE_MS) / 1000 - warmupSeconds);
  const fitting = (usableSeconds - options.rounds * perRoundFixed) / (options.rounds * pairCount) - overheadSeconds;
  if (fitting >= options.runSeconds) return { rounds: options.rounds, runSeconds: options.runSeconds };
  if (fitting >= 1) {
    const runSeconds = Math.floor(fitting * 10) / 10;
    notes.push(`runs shortened from ${options.runSeconds}s to ${runSeconds}s to fit the time budget`);
    return { rounds: options.rounds, runSeconds };
  }
  const rounds = Math.max(1, Math.floor(usableSeconds / (perRoundFixed + pairCount * (1 + overheadSeconds))));
  notes.push(`time budget too small for ${options.rounds} rounds: ran ${rounds} round(s) of 1 s runs`);
  return { rounds, runSeconds: 1 };
}
