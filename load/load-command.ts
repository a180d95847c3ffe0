import type { CliIo, LoadSettings } from '../src/cli/index.js';
import { runHttpLoad } from './http-driver.js';
import type { LatencySummary } from './latency-histogram.js';
import { runRespLoad, sequentialSets, zipfMix } from './resp-driver.js';
import type { RespTlsOptions } from './resp-driver.js';
import { ZipfKeys } from './zipf-keys.js';

/** The body of `ringcache load` (src/cli/load.ts parses its options). */
export interface LoadCommandInput {
  readonly settings: LoadSettings;
  readonly host: string;
  readonly port: number;
  readonly password: string;
  /** Speak TLS to the proxy (proxy.tlsCertFile), trusting `ca` when given. */
  readonly tls?: RespTlsOptions;
  readonly io: CliIo;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k`;
  return perSecond.toFixed(0);
}

export function formatMicros(us: number): string {
  if (us >= 1000) return Number.isInteger(us / 1000) ? `${us / 1000}ms` : `${(us / 1000).toFixed(2)}ms`;
  return `${us.toFixed(0)}us`;
}

/** `resolutionUs`: autocannon records whole milliseconds, so below 1 ms it says '<1ms', not '0us'. */
function latencyText(latency: LatencySummary, resolutionUs = 1): string {
  const text = (us: number): string => (us < resolutionUs ? `<${formatMicros(resolutionUs)}` : formatMicros(us));
  return `p50 ${text(latency.p50Us)}  p99 ${text(latency.p99Us)}  p99.9 ${text(latency.p999Us)}`;
}

export async function runLoadCommand(input: LoadCommandInput): Promise<void> {
  const { settings, io, host, port, password } = input;
  const tls = input.tls === undefined ? {} : { tls: input.tls };
  const keys = new ZipfKeys({ keyCount: settings.keyCount, skew: settings.skew, valueBytes: settings.valueBytes });
  const mix = `${Math.round(settings.getRatio * 100)}/${Math.round((1 - settings.getRatio) * 100)} GET/SET`;
  io.out(`load: ${settings.protocol.toUpperCase()}${input.tls === undefined ? '' : ' over TLS'} ${host}:${port}, ${mix}, ${settings.keyCount} keys (Zipf ${settings.skew}), ` +
    `${settings.connections} connections` + (settings.protocol === 'resp' ? `, pipeline ${settings.pipeline}` : '') +
    `, ${settings.seconds}s or ${settings.requestsMax} requests`);
  if (settings.preload) {
    const preload = await runRespLoad({
      host, port, password, ...tls, connections: Math.min(settings.connections, 32), pipeline: 64,
      workload: sequentialSets(keys.keyCount, keys.value), requestsMax: keys.keyCount, durationMs: 600_000,
    });
    io.out(`preload: ${preload.requests} keys written in ${(preload.elapsedMs / 1000).toFixed(1)}s, ${preload.errors} errors`);
  }
  if (settings.protocol === 'http') {
    const result = await runHttpLoad({
      url: `${input.tls === undefined ? 'http' : 'https'}://${host}:${port}`, ...tls, connections: settings.connections, durationSeconds: settings.seconds,
      requestsMax: settings.requestsMax, keys, getRatio: settings.getRatio, password,
      // autocannon's last tick comes after the run, counting nothing: not a second of load.
      onTick: (count) => { if (count > 0) io.out(`  ${formatRate(count)} req/s`); },
    });
    io.out(`done: ${result.requests} requests in ${(result.elapsedMs / 1000).toFixed(1)}s = ${formatRate(result.opsPerSec)} req/s, ` +
      `${latencyText(result.latency, 1000)} (1 ms resolution), ${result.errors} errors (${result.non2xx} non-2xx)`);
    return;
  }
  const result = await runRespLoad({
    host, port, password, ...tls, connections: settings.connections, pipeline: settings.pipeline,
    workload: zipfMix(keys, settings.getRatio), requestsMax: settings.requestsMax, durationMs: settings.seconds * 1000,
    onTick: (tick) => {
      io.out(`  t=${(tick.elapsedMs / 1000).toFixed(0)}s  ${formatRate(tick.opsPerSec)} ops/s  ${latencyText(tick.latency)}  errors ${tick.errors}`);
    },
  });
  io.out(`done: ${result.requests} requests in ${(result.elapsedMs / 1000).toFixed(1)}s = ${formatRate(result.opsPerSec)} ops/s, ` +
    `${latencyText(result.latency)}, ${result.errors} errors, ${result.lost} lost, driver CPU ${result.driverCpuPercent.toFixed(0)}%`);
  if (result.firstError !== undefined) io.out(`first error: ${result.firstError}`);
  const kinds = Object.entries(result.errorKinds).map(([kind, count]) => `${String(count)} x "${kind}"`);
  if (kinds.length > 0) io.out(`errors by kind: ${kinds.join(', ')}`);
}
