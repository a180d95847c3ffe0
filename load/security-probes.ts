import { readFileSync } from 'node:fs';
import type net from 'node:net';
import type { LatencySummary } from './latency-histogram.js';
import { openRespSocket, respCall } from './resp-call.js';
import { runRespLoad, zipfMix } from './resp-driver.js';
import type { RespTlsOptions } from './resp-driver.js';
import { ZipfKeys } from './zipf-keys.js';

/**
 * The two probes of `ringcache bench security` that are about limits rather than throughput:
 *
 *   idle:  a client's latency alone, then with the proxy holding proxy.maxClients connections
 *          (all idle but the client's own), then one connection more (refused, Redis's words)
 *   mget:  one MGET naming a 1 MiB value's key 1,000 times (a 1 GiB reply), repeated on a few
 *          connections at once, while the proxy's resident memory is sampled
 */
export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  readonly password?: string;
  readonly tls?: RespTlsOptions;
}

const CONNECT_TIMEOUT_MS = 10_000;
/** Connections opened at once while filling up to maxClients: the accept queue stays short. */
const OPEN_WAVE = 250;
/** The whole fill is bounded in time as well as in count. */
const FILL_TIMEOUT_MS = 180_000;
const REQUESTS_PER_RUN_MAX = 100_000_000;

/** A field of /proc/<pid>/status in KiB (VmRSS now, VmHWM the peak), or undefined off Linux. */
export function procStatusKiB(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** This process's open-file limit (soft), from /proc/self/limits; Node raises it to the hard limit at start. */
export function openFilesLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

export interface LatencyRun {
  readonly opsPerSec: number;
  readonly latency: LatencySummary;
  readonly errors: number;
}

export interface IdleFigures {
  readonly held: number;
  readonly idleOpened: number;
  readonly idleFailed: number;
  readonly fillMs: number;
  readonly alone: LatencyRun;
  readonly withIdle: LatencyRun;
  /** The answer to one connection past the limit (its first line). */
  readonly extraAnswer: string;
  /** Idle connections (the refilled places included) that still answered PING after the run. */
  readonly idleAnswering: number;
  readonly proxyRssKiBBefore: number | undefined;
  readonly proxyRssKiBHeld: number | undefined;
  readonly openFilesLimit: number | undefined;
}

export interface IdleProbeOptions {
  readonly maxClients: number;
  readonly connections: number;
  readonly seconds: number;
  readonly keyCount: number;
  readonly proxyPid: number | undefined;
}

async function clientLatency(target: ProbeTarget, options: IdleProbeOptions, seed: number): Promise<LatencyRun> {
  const keys = new ZipfKeys({ keyCount: options.keyCount, seed });
  const result = await runRespLoad({
    ...target, connections: options.connections, pipeline: 1, workload: zipfMix(keys, 0.9),
    requestsMax: REQUESTS_PER_RUN_MAX, durationMs: options.seconds * 1000,
  });
  return { opsPerSec: result.opsPerSec, latency: result.latency, errors: result.errors + result.lost };
}

/** Opens `count` sockets in waves; stops at the deadline. The failures are counted, not thrown. */
async function openMany(target: ProbeTarget, count: number, deadlineMs: number): Promise<{ sockets: net.Socket[]; failed: number }> {
  const sockets: net.Socket[] = [];
  let failed = 0;
  while (sockets.length + failed < count && Date.now() < deadlineMs) {
    const wave = Math.min(OPEN_WAVE, count - sockets.length - failed);
    const settled = await Promise.allSettled(Array.from({ length: wave }, () => openRespSocket(target, CONNECT_TIMEOUT_MS)));
    for (const outcome of settled) {
      if (outcome.status === 'fulfilled') sockets.push(outcome.value);
      else failed++;
    }
  }
  return { sockets, failed };
}

/** How many of `sockets` answer PING within the timeout. */
async function answering(sockets: readonly net.Socket[]): Promise<number> {
  const replies = await Promise.all(sockets.map((socket) => respCall(socket, ['PING'], CONNECT_TIMEOUT_MS, 1024)));
  return replies.filter((reply) => reply.outcome === 'reply' && reply.head.startsWith('+PONG')).length;
}

export async function idleConnectionsProbe(target: ProbeTarget, options: IdleProbeOptions): Promise<IdleFigures> {
  if (target.password !== undefined) throw new Error('the idle probe does not AUTH its idle connections: run it with proxy.password empty');
  const alone = await clientLatency(target, options, 1);
  const proxyRssKiBBefore = procStatusKiB(options.proxyPid, 'VmRSS');
  const startMs = Date.now();
  // The client's own connections count against maxClients too: together they hold exactly the limit.
  const { sockets, failed } = await openMany(target, options.maxClients - options.connections, startMs + FILL_TIMEOUT_MS);
  const fillMs = Date.now() - startMs;
  try {
    const withIdle = await clientLatency(target, options, 1);
    const proxyRssKiBHeld = procStatusKiB(options.proxyPid, 'VmRSS');
    // The client's connections closed with its run: fill their places, or the connection
    // "past the limit" below would be inside it (the first run answered +PONG so).
    await sleepMs(CLOSE_SETTLE_MS);
    const idleOpened = sockets.length;
    const topUp = await openMany(target, options.connections, Date.now() + FILL_TIMEOUT_MS);
    sockets.push(...topUp.sockets);
    let extraAnswer: string;
    try {
      const extra = await openRespSocket(target, CONNECT_TIMEOUT_MS);
      const reply = await respCall(extra, ['PING'], CONNECT_TIMEOUT_MS, 1024);
      extra.destroy();
      extraAnswer = reply.head === '' ? `(${reply.outcome}, no answer)` : (reply.head.split('\r\n')[0] ?? '');
    } catch (error) {
      extraAnswer = `(connect failed: ${(error as Error).message})`;
    }
    return {
      held: sockets.length, idleOpened, idleFailed: failed + topUp.failed, fillMs,
      alone, withIdle, extraAnswer, idleAnswering: await answering(sockets),
      proxyRssKiBBefore, proxyRssKiBHeld, openFilesLimit: openFilesLimit(),
    };
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}

export interface MgetFigures {
  readonly valueBytes: number;
  readonly namesPerMget: number;
  readonly mgets: number;
  /** First line of each distinct answer, with how many MGETs got it. */
  readonly answers: Record<string, number>;
  readonly replyBytesMax: number;
  readonly proxyRssKiBBefore: number | undefined;
  readonly proxyRssKiBPeakSampled: number | undefined;
  /** The kernel's high-water mark of the proxy's resident set since it started. */
  readonly proxyRssKiBHighWater: number | undefined;
  readonly elapsedMs: number;
}

export interface MgetProbeOptions {
  readonly repeats: number;
  readonly parallel: number;
  readonly proxyPid: number | undefined;
}

const MIB = 1024 * 1024;
/** Time for the proxy to see the measuring client's connections close before their places are filled. */
const CLOSE_SETTLE_MS = 500;

function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}
const NAMES_PER_MGET = 1000;
const SAMPLE_INTERVAL_MS = 20;
/** A reply past this is not bounded by the proxy: the probe stops reading it (and says so). */
const PROBE_REPLY_BYTES_MAX = 256 * MIB;
const MGET_TIMEOUT_MS = 60_000;

export async function mgetAmplificationProbe(target: ProbeTarget, options: MgetProbeOptions): Promise<MgetFigures> {
  const sockets = await Promise.all(Array.from({ length: options.parallel }, () => openRespSocket(target, CONNECT_TIMEOUT_MS)));
  let peak: number | undefined;
  const sample = (): void => {
    const rss = procStatusKiB(options.proxyPid, 'VmRSS');
    if (rss !== undefined) peak = Math.max(peak ?? 0, rss);
  };
  const sampler = setInterval(sample, SAMPLE_INTERVAL_MS);
  try {
    const first = sockets[0];
    if (first === undefined) throw new Error('no connection for the MGET probe');
    const auth = async (socket: net.Socket): Promise<void> => {
      if (target.password !== undefined) await respCall(socket, ['AUTH', target.password], CONNECT_TIMEOUT_MS, 1024);
    };
    await Promise.all(sockets.map(auth));
    const valueBytes = MIB;
    const set = await respCall(first, ['SET', 'amplified', 'v'.repeat(valueBytes)], MGET_TIMEOUT_MS, 1024);
    if (!set.head.startsWith('+OK')) throw new Error(`SET of the 1 MiB value failed: ${set.head.split('\r\n')[0] ?? set.outcome}`);
    const proxyRssKiBBefore = procStatusKiB(options.proxyPid, 'VmRSS');
    const names = Array.from({ length: NAMES_PER_MGET }, () => 'amplified');
    const answers: Record<string, number> = {};
    let replyBytesMax = 0;
    const startMs = Date.now();
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      const replies = await Promise.all(sockets.map((socket) => respCall(socket, ['MGET', ...names], MGET_TIMEOUT_MS, PROBE_REPLY_BYTES_MAX)));
      for (const reply of replies) {
        const line = reply.outcome === 'reply' ? (reply.head.split('\r\n')[0] ?? '') : `(${reply.outcome})`;
        answers[line] = (answers[line] ?? 0) + 1;
        replyBytesMax = Math.max(replyBytesMax, reply.bytes);
      }
      if (replies.some((reply) => reply.outcome !== 'reply')) break;
    }
    sample();
    return {
      valueBytes, namesPerMget: NAMES_PER_MGET, mgets: Object.values(answers).reduce((sum, count) => sum + count, 0), answers, replyBytesMax,
      proxyRssKiBBefore, proxyRssKiBPeakSampled: peak, proxyRssKiBHighWater: procStatusKiB(options.proxyPid, 'VmHWM'),
      elapsedMs: Date.now() - startMs,
    };
  } finally {
    clearInterval(sampler);
    for (const socket of sockets) socket.destroy();
  }
}
