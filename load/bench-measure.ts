import type { RunRecord } from './bench-report.js';
import type { BenchTarget } from './bench-targets.js';
import { runHttpLoad } from './http-driver.js';
import { cpuTimeMs } from './processes.js';
import { runRespLoad, singleCommand, zipfMix } from './resp-driver.js';
import type { BenchCommand } from './resp-driver.js';
import { ZipfKeys } from './zipf-keys.js';

/**
 * One measurement of the benchmark: a workload against a target for `seconds`, with the
 * target's server CPU taken from /proc around it. Every target of a round gets the same seeded
 * key sequence, so they serve the same requests.
 */
export interface WorkloadSpec {
  readonly name: string;
  readonly protocol: 'resp' | 'http';
  readonly pipeline: number;
  readonly latencyResolutionUs: number;
  readonly describe: (settings: MeasureSettings) => string;
  /** One command instead of the GET/SET mix (RESP only). */
  readonly command?: BenchCommand;
}

export interface MeasureSettings {
  readonly connections: number;
  readonly keyCount: number;
  readonly skew: number;
  readonly valueBytes: number;
  readonly getRatio: number;
  /** The target's CPU with no load, measured after its start (one target at a time only). */
  readonly idleCpuPercent?: number;
}

export interface Pair {
  readonly target: BenchTarget;
  readonly workload: WorkloadSpec;
}

/** Caps each run in requests too (a loop bounded in count as well as time). */
const REQUESTS_PER_RUN_MAX = 100_000_000;

function respDescription(pipeline: number): (settings: MeasureSettings) => string {
  return (settings) => `${Math.round(settings.getRatio * 100)}/${Math.round((1 - settings.getRatio) * 100)} GET/SET over RESP, ` +
    `${settings.connections} connections, pipeline depth ${pipeline}, ${settings.keyCount} keys (Zipf ${settings.skew}), ` +
    `${settings.valueBytes}-byte values (redis-benchmark -P ${pipeline} style batches).`;
}

export const WORKLOADS: readonly WorkloadSpec[] = [
  { name: 'resp-p1', protocol: 'resp', pipeline: 1, latencyResolutionUs: 1, describe: respDescription(1) },
  { name: 'resp-p16', protocol: 'resp', pipeline: 16, latencyResolutionUs: 1, describe: respDescription(16) },
  ...(['set', 'get', 'incr', 'hset', 'sadd', 'zadd'] as const).map((command): WorkloadSpec => ({
    name: `resp-${command}`, protocol: 'resp', pipeline: 1, latencyResolutionUs: 1, command,
    describe: (settings) => `${command.toUpperCase()} alone over RESP, ${settings.connections} connections, pipeline depth 1, ` +
      `${settings.keyCount} keys (Zipf ${settings.skew})${command === 'hset' || command === 'sadd' || command === 'zadd' ? ', 100 fields or members per key' : ''}.`,
  })),
  {
    name: 'http-get',
    protocol: 'http',
    pipeline: 1,
    latencyResolutionUs: 1000,
    describe: (settings) => `HTTP GET /v1/kv/<key> with autocannon, ${settings.connections} keep-alive connections, ` +
      `${settings.keyCount} keys (Zipf ${settings.skew}).`,
  },
];

/**
 * CPU of the target's processes over `ms` with no client: a cluster's gossip, anti-entropy ticks
 * and load reports. It is charged to every request measured after, and weighs more the slower the
 * host runs; CPU per request net of it compares two codes on a busy host.
 */
export async function idleCpuPercent(target: BenchTarget, ms: number): Promise<number | undefined> {
  const before = cpuTimeMs(target.pids());
  const startedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuTimeMs(target.pids());
  return before === undefined || after === undefined ? undefined : ((after - before) / (performance.now() - startedAt)) * 100;
}

export async function measure(pair: Pair, settings: MeasureSettings & { seconds: number; round: number }): Promise<RunRecord> {
  const { target, workload } = pair;
  const keys = new ZipfKeys({ keyCount: settings.keyCount, skew: settings.skew, valueBytes: settings.valueBytes, seed: settings.round + 1 });
  const cpuBefore = cpuTimeMs(target.pids());
  const result = workload.protocol === 'resp' && target.resp !== undefined
    ? await runRespLoad({
      ...target.resp, connections: settings.connections, pipeline: workload.pipeline,
      workload: workload.command === undefined ? zipfMix(keys, settings.getRatio) : singleCommand(keys, workload.command),
      requestsMax: REQUESTS_PER_RUN_MAX, durationMs: settings.seconds * 1000,
    })
    : await runHttpLoad({
      url: target.http?.url ?? '', pathPrefix: target.http?.pathPrefix ?? '/v1/kv/', connections: settings.connections,
      durationSeconds: Math.max(1, Math.round(settings.seconds)), requestsMax: REQUESTS_PER_RUN_MAX, keys, getRatio: 1,
    });
  const cpuAfter = cpuTimeMs(target.pids());
  const serverCpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) / result.elapsedMs) * 100;
  return {
    round: settings.round,
    target: target.name,
    workload: workload.name,
    opsPerSec: result.opsPerSec,
    p50Us: result.latency.p50Us,
    p99Us: result.latency.p99Us,
    p999Us: result.latency.p999Us,
    requests: result.requests,
    errors: result.errors,
    lost: 'lost' in result ? result.lost : 0,
    driverCpuPercent: result.driverCpuPercent,
    ...(serverCpu === undefined ? {} : { serverCpuPercent: serverCpu }),
    ...(settings.idleCpuPercent === undefined ? {} : { serverIdleCpuPercent: settings.idleCpuPercent }),
  };
}
