import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../src/cli/index.js';
import type { RingcacheConfig } from '../src/config/index.js';
import { formatMicros, formatRate } from './load-command.js';
import { cpuTimeMs, setUpPinning } from './processes.js';
import { runRespLoad, sequentialSets, zipfMix } from './resp-driver.js';
import { SECURITY_VARIANTS, startSecurityCluster } from './security-clusters.js';
import type { SecurityCluster, SecurityVariant } from './security-clusters.js';
import { idleConnectionsProbe, mgetAmplificationProbe } from './security-probes.js';
import type { IdleFigures, MgetFigures } from './security-probes.js';
import { throwawayCa } from './throwaway-ca.js';
import { ZipfKeys } from './zipf-keys.js';

/**
 * `ringcache bench security`: what the protections of docs/SECURITY.md cost, measured in one run.
 *
 *   start auth-off, auth-on, proxy-tls, cluster-tls (same shape) -> preload each
 *   rounds x variants (order rotated each round): 90/10 GET/SET, ops/s, p99, CPU per op
 *   -> ratios to auth-on (auth-off for auth-on itself), medians of the per-round ratios
 *   -> idle probe and MGET probe on auth-on (the default settings) -> stop everything
 */
export interface SecurityBenchOptions {
  readonly rounds: number;
  readonly runSeconds: number;
  readonly budgetSeconds: number;
  readonly connections: number;
  readonly pipeline: number;
  readonly keyCount: number;
  readonly mgetRepeats: number;
  readonly parts: readonly SecurityPart[];
  readonly pin: boolean;
  readonly json: boolean;
  readonly config: RingcacheConfig;
  readonly io: CliIo;
}

export type SecurityPart = 'auth' | 'tls' | 'idle' | 'mget';
export const SECURITY_PARTS: readonly SecurityPart[] = ['auth', 'tls', 'idle', 'mget'];

export interface VariantRun {
  readonly round: number;
  readonly variant: SecurityVariant;
  readonly opsPerSec: number;
  readonly p99Us: number;
  /** Server CPU (every process of the cluster) per operation. */
  readonly serverCpuUsPerOp: number | undefined;
  /** The load driver's CPU per operation (TLS on the client side shows here). */
  readonly driverCpuUsPerOp: number;
  readonly errors: number;
}

export interface VariantSummary {
  readonly variant: SecurityVariant;
  readonly rounds: number;
  readonly opsPerSec: number;
  readonly p99Us: number;
  readonly serverCpuUsPerOp: number | undefined;
  readonly driverCpuUsPerOp: number;
  /** Median over rounds of this variant's ops/s over its baseline's in the same round. */
  readonly opsRatio: number | undefined;
  readonly serverCpuRatio: number | undefined;
  readonly baseline: SecurityVariant | undefined;
}

export interface SecurityReport {
  readonly kind: 'ringcache-bench-security';
  readonly date: string;
  readonly settings: Omit<SecurityBenchOptions, 'config' | 'io' | 'json'>;
  readonly pinning: string;
  readonly runs: readonly VariantRun[];
  readonly variants: readonly VariantSummary[];
  readonly idle?: IdleFigures;
  readonly mget?: MgetFigures;
  readonly notes: readonly string[];
}

const REQUESTS_PER_RUN_MAX = 100_000_000;
/** Time kept back for the probes and for stopping the clusters. */
const RESERVE_MS = 30_000;

/** What each variant is compared with: the one setting it changes is off there. */
export function baselineOf(variant: SecurityVariant): SecurityVariant | undefined {
  if (variant === 'auth-off') return undefined;
  return variant === 'auth-on' ? 'auth-off' : 'auth-on';
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function variantsFor(parts: readonly SecurityPart[]): SecurityVariant[] {
  const wanted = new Set<SecurityVariant>();
  if (parts.includes('auth')) { wanted.add('auth-off'); wanted.add('auth-on'); }
  if (parts.includes('tls')) { wanted.add('auth-on'); wanted.add('proxy-tls'); wanted.add('cluster-tls'); }
  if (parts.includes('idle') || parts.includes('mget')) wanted.add('auth-on');
  return SECURITY_VARIANTS.filter((variant) => wanted.has(variant));
}

async function preload(cluster: SecurityCluster, keyCount: number): Promise<void> {
  const keys = new ZipfKeys({ keyCount });
  const result = await runRespLoad({
    ...cluster.resp, connections: 16, pipeline: 32, workload: sequentialSets(keys.keyCount, keys.value),
    requestsMax: keys.keyCount, durationMs: 120_000,
  });
  if (result.requests < keys.keyCount || result.errors > 0) {
    throw new Error(`${cluster.variant}: preload wrote ${result.requests} of ${keys.keyCount} keys, ${result.errors} errors (${result.firstError ?? 'no error text'})`);
  }
}

async function measureVariant(cluster: SecurityCluster, options: SecurityBenchOptions, round: number, seconds: number): Promise<VariantRun> {
  const keys = new ZipfKeys({ keyCount: options.keyCount, seed: round + 1 });
  const pids = cluster.pids();
  const cpuBefore = cpuTimeMs(pids);
  const result = await runRespLoad({
    ...cluster.resp, connections: options.connections, pipeline: options.pipeline, workload: zipfMix(keys, 0.9),
    requestsMax: REQUESTS_PER_RUN_MAX, durationMs: seconds * 1000,
  });
  const cpuAfter = cpuTimeMs(pids);
  const operations = Math.max(1, result.requests);
  return {
    round, variant: cluster.variant, opsPerSec: result.opsPerSec, p99Us: result.latency.p99Us,
    serverCpuUsPerOp: cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 1000) / operations,
    driverCpuUsPerOp: (result.driverCpuPercent / 100) * result.elapsedMs * 1000 / operations,
    errors: result.errors + result.lost,
  };
}

/** Per variant: medians over rounds, and the median of the per-round ratios to its baseline. */
export function summarize(runs: readonly VariantRun[], variants: readonly SecurityVariant[]): VariantSummary[] {
  return variants.map((variant) => {
    const own = runs.filter((run) => run.variant === variant);
    const baseline = baselineOf(variant);
    const paired = (field: 'opsPerSec' | 'serverCpuUsPerOp'): number | undefined => median(own.flatMap((run) => {
      const base = runs.find((other) => other.variant === baseline && other.round === run.round);
      const value = run[field];
      const baseValue = base?.[field];
      return value === undefined || baseValue === undefined || baseValue === 0 ? [] : [value / baseValue];
    }));
    const cpu = own.flatMap((run) => (run.serverCpuUsPerOp === undefined ? [] : [run.serverCpuUsPerOp]));
    return {
      variant, rounds: own.length,
      opsPerSec: median(own.map((run) => run.opsPerSec)) ?? 0,
      p99Us: median(own.map((run) => run.p99Us)) ?? 0,
      serverCpuUsPerOp: median(cpu),
      driverCpuUsPerOp: median(own.map((run) => run.driverCpuUsPerOp)) ?? 0,
      opsRatio: paired('opsPerSec'),
      serverCpuRatio: paired('serverCpuUsPerOp'),
      baseline,
    };
  });
}

export async function runSecurityBench(options: SecurityBenchOptions): Promise<SecurityReport> {
  const startedAt = new Date();
  const deadline = startedAt.getTime() + options.budgetSeconds * 1000;
  const { io } = options;
  const pinning = setUpPinning(options.pin);
  const folder = mkdtempSync(join(tmpdir(), 'ringcache-bench-security-'));
  const notes: string[] = [];
  const lines: string[] = [];
  const onLine = (name: string, _stream: 'stdout' | 'stderr', line: string): void => {
    if (lines.length < 200 && /error|exited/i.test(line)) lines.push(`[${name}] ${line}`);
  };
  const running = new Map<SecurityVariant, SecurityCluster>();
  const runs: VariantRun[] = [];
  let idle: IdleFigures | undefined;
  let mget: MgetFigures | undefined;
  io.out(`bench security: ${pinning.note}; budget ${options.budgetSeconds}s; parts ${options.parts.join(',')}`);
  try {
    const ca = throwawayCa(folder, 'bench');
    const variants = variantsFor(options.parts);
    for (const variant of variants) {
      const cluster = await startSecurityCluster(options.config, variant, ca, folder, pinning.serverPrefix, onLine);
      running.set(variant, cluster);
      await preload(cluster, options.keyCount);
      io.out(`bench security: ${variant} started and preloaded (${options.keyCount} keys)`);
    }
    const measured = variants.filter((variant) => (variant === 'auth-off' ? options.parts.includes('auth') : variant === 'auth-on'
      ? options.parts.includes('auth') || options.parts.includes('tls') : options.parts.includes('tls')));
    for (const variant of measured) await measureVariant(running.get(variant)!, options, 0, 1);
    for (let round = 1; round <= options.rounds; round++) {
      const offset = (round - 1) % Math.max(1, measured.length);
      for (const variant of [...measured.slice(offset), ...measured.slice(0, offset)]) {
        if (Date.now() + options.runSeconds * 1000 + RESERVE_MS > deadline) {
          notes.push(`time budget (--seconds ${options.budgetSeconds}) reached in round ${round}: later runs were not measured`);
          round = options.rounds;
          break;
        }
        const run = await measureVariant(running.get(variant)!, options, round, options.runSeconds);
        runs.push(run);
        io.out(`round ${round}/${options.rounds}  ${variant.padEnd(12)} ${formatRate(run.opsPerSec).padStart(7)} ops/s  ` +
          `p99 ${formatMicros(run.p99Us)}  server cpu ${cpuText(run.serverCpuUsPerOp)}/op  driver cpu ${cpuText(run.driverCpuUsPerOp)}/op  errors ${run.errors}`);
      }
    }
    const defaults = running.get('auth-on');
    if (defaults !== undefined && options.parts.includes('idle')) {
      io.out(`bench security: holding ${defaults.config.proxy.maxClients} connections (proxy.maxClients) ...`);
      idle = await idleConnectionsProbe(defaults.resp, {
        maxClients: defaults.config.proxy.maxClients, connections: options.connections, seconds: options.runSeconds,
        keyCount: options.keyCount, proxyPid: defaults.proxyPid(),
      });
      for (const line of idleLines(idle, options.connections)) io.out(line);
    }
    if (defaults !== undefined && options.parts.includes('mget')) {
      io.out('bench security: MGET amplification probe ...');
      mget = await mgetAmplificationProbe(defaults.resp, { repeats: options.mgetRepeats, parallel: 4, proxyPid: defaults.proxyPid() });
      for (const line of mgetLines(mget)) io.out(line);
    }
  } finally {
    for (const cluster of [...running.values()].reverse()) await cluster.stop().catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
  }
  for (const line of lines.slice(0, 20)) notes.push(`cluster log: ${line}`);
  const variants = summarize(runs, [...new Set(runs.map((run) => run.variant))]);
  for (const line of summaryLines(variants)) io.out(line);
  for (const note of notes) io.out(`note: ${note}`);
  const { config: _config, io: _io, json: _json, ...settings } = options;
  const report: SecurityReport = {
    kind: 'ringcache-bench-security', date: startedAt.toISOString(), settings, pinning: pinning.note, runs, variants,
    ...(idle === undefined ? {} : { idle }), ...(mget === undefined ? {} : { mget }), notes,
  };
  if (options.json) io.out(JSON.stringify(report));
  return report;
}

function cpuText(us: number | undefined): string {
  return us === undefined ? '-' : `${us.toFixed(1)} us`;
}

function mib(kib: number | undefined): string {
  return kib === undefined ? '-' : `${(kib / 1024).toFixed(0)} MiB`;
}

export function summaryLines(variants: readonly VariantSummary[]): string[] {
  return variants.map((summary) => {
    const ratio = summary.opsRatio === undefined ? '' : `  ops ${summary.variant}/${summary.baseline ?? ''} = ${summary.opsRatio.toFixed(3)}`;
    const cpuRatio = summary.serverCpuRatio === undefined ? '' : `, server cpu/op ratio ${summary.serverCpuRatio.toFixed(3)}`;
    return `${summary.variant.padEnd(12)} median of ${summary.rounds}: ${formatRate(summary.opsPerSec)} ops/s, p99 ${formatMicros(summary.p99Us)}, ` +
      `server cpu ${cpuText(summary.serverCpuUsPerOp)}/op, driver cpu ${cpuText(summary.driverCpuUsPerOp)}/op${ratio}${cpuRatio}`;
  });
}

function idleLines(idle: IdleFigures, connections: number): string[] {
  return [
    `idle: ${idle.idleOpened} idle + ${connections} measuring connections held (${idle.idleFailed} failed to open) in ${(idle.fillMs / 1000).toFixed(1)} s; ` +
      `${idle.held} idle when one more asked; open-file limit of this process ${idle.openFilesLimit ?? '-'}`,
    `idle: client alone ${formatRate(idle.alone.opsPerSec)} ops/s p99 ${formatMicros(idle.alone.latency.p99Us)}; ` +
      `with the idle connections ${formatRate(idle.withIdle.opsPerSec)} ops/s p99 ${formatMicros(idle.withIdle.latency.p99Us)} (errors ${idle.alone.errors} / ${idle.withIdle.errors})`,
    `idle: one connection more answered: ${idle.extraAnswer}; idle connections still answering PING: ${idle.idleAnswering} of ${idle.held}; ` +
      `proxy RSS ${mib(idle.proxyRssKiBBefore)} -> ${mib(idle.proxyRssKiBHeld)}`,
  ];
}

function mgetLines(mget: MgetFigures): string[] {
  const answers = Object.entries(mget.answers).map(([line, count]) => `${String(count)} x '${line}'`).join(', ');
  return [
    `mget: ${mget.mgets} MGETs of one ${mget.valueBytes / 1024 / 1024} MiB value named ${mget.namesPerMget} times, 4 at once, in ${(mget.elapsedMs / 1000).toFixed(1)} s: ${answers}; largest reply ${mget.replyBytesMax} bytes`,
    `mget: proxy RSS before ${mib(mget.proxyRssKiBBefore)}, peak sampled every 20 ms ${mib(mget.proxyRssKiBPeakSampled)}, high-water mark (VmHWM) ${mib(mget.proxyRssKiBHighWater)}`,
  ];
}
