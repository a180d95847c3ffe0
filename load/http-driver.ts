import type { EventEmitter } from 'node:events';
import autocannon from 'autocannon';
import type { LatencySummary } from './latency-histogram.js';
import { checkTlsHandshake } from './socket-open.js';
import type { RespTlsOptions } from './socket-open.js';
import type { ZipfKeys } from './zipf-keys.js';

/**
 * HTTP load with autocannon (in this process, no workers): C keep-alive connections, each
 * request a GET or a PUT of `/v1/kv/<zipf key>` drawn per request. Bounded by `durationSeconds`
 * and stopped early at `requestsMax`. autocannon records latency in whole milliseconds, so
 * percentiles here have 1 ms resolution (the RESP driver has microseconds).
 */
export interface HttpLoadOptions {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  /**
   * For an https url: the CA of the server's certificate. autocannon encrypts but never checks
   * the certificate (it forces rejectUnauthorized off), so one handshake that does check it
   * comes first: a wrong CA fails with RC_ERR_TLS instead of a run against an unproven server.
   */
  readonly tls?: RespTlsOptions;
  /** @default '/v1/kv/' */
  readonly pathPrefix?: string;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly requestsMax: number;
  readonly keys: ZipfKeys;
  /** Fraction of GETs; the rest are PUTs of keys.value. */
  readonly getRatio: number;
  /** Sent as 'Authorization: Bearer' (proxy.password). */
  readonly password?: string;
  /** Requests completed in the last second (autocannon's tick). */
  readonly onTick?: (requestsInLastSecond: number) => void;
}

export interface HttpLoadResult {
  readonly connections: number;
  readonly requests: number;
  /** Socket errors, timeouts and non-2xx answers. */
  readonly errors: number;
  readonly non2xx: number;
  readonly elapsedMs: number;
  readonly opsPerSec: number;
  readonly latency: LatencySummary;
  readonly driverCpuPercent: number;
}

export async function runHttpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  if (!Number.isSafeInteger(options.connections) || options.connections < 1) throw new RangeError(`connections must be a positive integer, got ${options.connections}`);
  const prefix = options.pathPrefix ?? '/v1/kv/';
  const headers: Record<string, string> = options.password === undefined || options.password === '' ? {} : { authorization: `Bearer ${options.password}` };
  const { keys, getRatio } = options;
  if (options.tls !== undefined) {
    const url = new URL(options.url);
    await checkTlsHandshake({ host: url.hostname, port: Number(url.port === '' ? 443 : url.port), tls: options.tls }, 5000);
  }
  let issued = 0;
  const cpuStart = process.cpuUsage();
  const startMs = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url: options.url,
      ...(options.tls?.ca === undefined ? {} : { tlsOptions: { ca: options.tls.ca } }),
      connections: options.connections,
      duration: options.durationSeconds,
      headers,
      requests: [{
        setupRequest: (request) => {
          if (++issued >= options.requestsMax) instance.stop();
          const read = keys.nextFraction() < getRatio;
          return {
            ...request,
            method: read ? 'GET' : 'PUT',
            path: `${prefix}${keys.nextKey()}`,
            ...(read ? {} : { body: keys.value, headers: { ...headers, 'content-type': 'application/octet-stream' } }),
          };
        },
      }],
    }, (error, finished) => {
      if (error !== null && error !== undefined) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve(finished);
    });
    // autocannon emits 'tick' once a second; its types omit that event.
    (instance as unknown as EventEmitter).on('tick', (tick: { counter: number }) => { options.onTick?.(tick.counter); });
  });
  const elapsedMs = performance.now() - startMs;
  const cpu = process.cpuUsage(cpuStart);
  const latency = result.latency;
  return {
    connections: options.connections,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx,
    non2xx: result.non2xx,
    elapsedMs,
    opsPerSec: result.requests.total / Math.max(result.duration, 1e-3),
    latency: {
      count: result.requests.total,
      meanUs: latency.mean * 1000,
      p50Us: latency.p50 * 1000,
      p99Us: latency.p99 * 1000,
      p999Us: latency.p99_9 * 1000,
      maxUs: latency.max * 1000,
    },
    driverCpuPercent: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
  };
}
