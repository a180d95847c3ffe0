/**
 * The load report a coordinator posts to the shard-master every loadReportIntervalMs
 * (POST /v1/load/report), and its reader. The master reads it off the network, so every field is
 * checked and every list bounded before any of it is kept (DESIGN.md section 8):
 *
 *   { "reporter": "proxy.k3f9a",          who: one EWMA slot per reporter at the master
 *     "epoch": 12, "vnodeCount": 1024,    the table the counts were taken under
 *     "intervalMs": 1000,                  what the counts cover
 *     "vnodes": [[v, requests, writes, touches, bytes], ...]   vnodes with traffic, ascending, unique
 *     "hotKeys": [{"key": "<base64>", "count": 812, "error": 4}, ...],   Space-Saving, hottest first
 *     "requests": {"total": 5210, "errors": 0, "rejected": 2,            optional: a proxy's own client
 *                  "p50Ms": 0.41, "p99Ms": 2.6},                          commands over the interval
 *     "endpoints": ["resp 127.0.0.1:6380", "http 127.0.0.1:8080"],   optional: where it listens
 *     "invalidationUrl": "http://127.0.0.1:8080" }   optional: a proxy's HTTP port, where peers
 *                                          send near-cache invalidations (peer-directory.ts)
 *
 * `requests` and `endpoints` come from proxies (request-tally.ts); a client library sends neither,
 * so the dashboard lists as proxies exactly the reporters that carry request figures.
 */
import { RingcacheError } from '../runtime/index.js';
import type { LoadInterval } from './load-counter.js';
import type { IntervalRequests } from './request-tally.js';

export interface ReportedVnode {
  readonly vnode: number;
  readonly requests: number;
  readonly writes: number;
  readonly touches: number;
  readonly bytes: number;
}

export interface ReportedHotKey {
  /** The key bytes. */
  readonly key: Buffer;
  readonly count: number;
  readonly error: number;
}

export interface LoadReport {
  readonly reporter: string;
  readonly epoch: number;
  readonly vnodeCount: number;
  readonly intervalMs: number;
  readonly vnodes: readonly ReportedVnode[];
  readonly hotKeys: readonly ReportedHotKey[];
  /** A proxy's own request figures over the interval; absent from client libraries. */
  readonly requests?: IntervalRequests;
  /** Where the reporter listens, as it says (text, at most ENDPOINTS_MAX); absent if it does not say. */
  readonly endpoints?: readonly string[];
  /** A proxy's HTTP base URL for near-cache invalidations; absent for a reporter that caches nothing. */
  readonly invalidationUrl?: string;
}

/** What a proxy adds to its report beside the load counts. */
export interface ReportExtras {
  readonly requests?: IntervalRequests;
  readonly endpoints?: readonly string[];
  readonly invalidationUrl?: string;
}

export interface LoadReportLimits {
  /** Hot keys accepted in one report. */
  readonly hotKeysMax: number;
  /** Longest key accepted (limits.keyBytesMax). */
  readonly keyBytesMax: number;
  /** The master's V: a report under another V is refused. */
  readonly vnodeCount: number;
}

/** Largest count or byte total accepted for one interval: far above any real one, below 2^53. */
const COUNT_MAX = 1e15;
const INTERVAL_MS_MAX = 3_600_000;
const REPORTER_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/** A proxy listens on RESP and HTTP; room for both with TLS variants. */
export const ENDPOINTS_MAX = 4;
/** Printable ASCII, as `resp 127.0.0.1:6380` or `http [::1]:8080` need; shown as text, never markup. */
const ENDPOINT_PATTERN = /^[ -~]{1,100}$/;
/** A latency figure past an hour is not a latency. */
const LATENCY_MS_MAX = 3_600_000;

/** The JSON a reporter posts for one interval. */
export function encodeLoadReport(reporter: string, epoch: number, intervalMs: number, interval: LoadInterval, extras: ReportExtras = {}): unknown {
  const vnodes: number[][] = [];
  for (let vnode = 0; vnode < interval.requests.length; vnode++) {
    const requests = interval.requests[vnode] ?? 0;
    const writes = interval.writes[vnode] ?? 0;
    const touches = interval.touches[vnode] ?? 0;
    const bytes = interval.bytes[vnode] ?? 0;
    if (requests !== 0 || touches !== 0 || bytes !== 0) vnodes.push([vnode, requests, writes, touches, bytes]);
  }
  return {
    reporter, epoch, vnodeCount: interval.requests.length, intervalMs: Math.max(1, Math.round(intervalMs)), vnodes,
    hotKeys: interval.hotKeys.map((hot) => ({ key: Buffer.from(hot.key, 'latin1').toString('base64'), count: hot.count, error: hot.error })),
    ...(extras.requests === undefined ? {} : { requests: extras.requests }),
    ...(extras.endpoints === undefined || extras.endpoints.length === 0 ? {} : { endpoints: extras.endpoints }),
    ...(extras.invalidationUrl === undefined ? {} : { invalidationUrl: extras.invalidationUrl }),
  };
}

/** Reads a posted report; anything malformed or past a limit is RC_ERR_BAD_REQUEST naming the field. */
export function readLoadReport(body: unknown, limits: LoadReportLimits): LoadReport {
  const record = asRecord(body, 'the report');
  const allowed = new Set(['reporter', 'epoch', 'vnodeCount', 'intervalMs', 'vnodes', 'hotKeys', 'requests', 'endpoints', 'invalidationUrl']);
  for (const field of Object.keys(record)) if (!allowed.has(field)) bad(`unknown field '${field}'`);
  const reporter = record.reporter;
  if (typeof reporter !== 'string' || !REPORTER_PATTERN.test(reporter)) bad('reporter must be 1..64 of [A-Za-z0-9._:-]');
  const epoch = integer(record.epoch, 'epoch', 0, Number.MAX_SAFE_INTEGER);
  const vnodeCount = integer(record.vnodeCount, 'vnodeCount', 1, 65_536);
  if (vnodeCount !== limits.vnodeCount) bad(`vnodeCount ${vnodeCount} is not the cluster's V=${limits.vnodeCount}`);
  const intervalMs = integer(record.intervalMs, 'intervalMs', 1, INTERVAL_MS_MAX);
  const invalidationUrl = record.invalidationUrl;
  if (invalidationUrl !== undefined && !isInvalidationUrl(invalidationUrl)) bad(`invalidationUrl must be http(s)://host:port of at most ${INVALIDATION_URL_CHARS_MAX} characters`);
  return {
    reporter, epoch, vnodeCount, intervalMs, vnodes: readVnodes(record.vnodes, vnodeCount), hotKeys: readHotKeys(record.hotKeys, limits),
    ...(record.requests === undefined ? {} : { requests: readRequests(record.requests) }),
    ...(record.endpoints === undefined ? {} : { endpoints: readEndpoints(record.endpoints) }),
    ...(invalidationUrl === undefined ? {} : { invalidationUrl }),
  };
}

function readRequests(value: unknown): IntervalRequests {
  const record = asRecord(value, 'requests');
  const fields = ['total', 'errors', 'rejected', 'p50Ms', 'p99Ms'];
  for (const field of Object.keys(record)) if (!fields.includes(field)) bad(`requests: unknown field '${field}'`);
  const total = count(record.total, 'requests.total');
  const errors = count(record.errors, 'requests.errors');
  const rejected = count(record.rejected, 'requests.rejected');
  if (errors + rejected > total) bad('requests: errors + rejected are at most total');
  const p50Ms = latency(record.p50Ms, 'requests.p50Ms');
  const p99Ms = latency(record.p99Ms, 'requests.p99Ms');
  if (p50Ms !== null && p99Ms !== null && p50Ms > p99Ms) bad('requests: p50Ms is at most p99Ms');
  return { total, errors, rejected, p50Ms, p99Ms };
}

function readEndpoints(value: unknown): string[] {
  if (!Array.isArray(value) || value.length > ENDPOINTS_MAX) bad(`endpoints must be an array of at most ${ENDPOINTS_MAX} strings`);
  return (value as unknown[]).map((entry) => {
    if (typeof entry !== 'string' || !ENDPOINT_PATTERN.test(entry)) bad('each endpoint is 1..100 printable ASCII characters');
    return entry;
  });
}

/** A percentile in ms, or null when the interval timed no request. */
function latency(value: unknown, name: string): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > LATENCY_MS_MAX) bad(`${name} must be null or a number in 0..${LATENCY_MS_MAX}`);
  return value;
}

/** Longest invalidation URL a report may carry: a scheme, a host name and a port. */
export const INVALIDATION_URL_CHARS_MAX = 300;
const INVALIDATION_URL_PATTERN = /^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/** A base URL peers may post invalidations to: scheme, host, port and nothing else (no path, no credentials). */
export function isInvalidationUrl(value: unknown): value is string {
  return typeof value === 'string' && value.length <= INVALIDATION_URL_CHARS_MAX && INVALIDATION_URL_PATTERN.test(value);
}

function readVnodes(value: unknown, vnodeCount: number): ReportedVnode[] {
  if (!Array.isArray(value)) bad('vnodes must be an array');
  if (value.length > vnodeCount) bad(`vnodes has ${value.length} entries, more than V=${vnodeCount}`);
  const vnodes: ReportedVnode[] = [];
  let previous = -1;
  for (const entry of value as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 5) bad('each vnodes entry is [vnode, requests, writes, touches, bytes]');
    const [vnodeValue, requestsValue, writesValue, touchesValue, bytesValue] = entry as unknown[];
    const vnode = integer(vnodeValue, 'vnode', 0, vnodeCount - 1);
    if (vnode <= previous) bad('vnodes must be ascending and unique');
    previous = vnode;
    const requests = count(requestsValue, 'requests');
    const writes = count(writesValue, 'writes');
    if (writes > requests) bad('writes are at most requests');
    vnodes.push({ vnode, requests, writes, touches: count(touchesValue, 'touches'), bytes: count(bytesValue, 'bytes') });
  }
  return vnodes;
}

function readHotKeys(value: unknown, limits: LoadReportLimits): ReportedHotKey[] {
  if (!Array.isArray(value)) bad('hotKeys must be an array');
  if (value.length > limits.hotKeysMax) bad(`hotKeys has ${value.length} entries, more than ${limits.hotKeysMax} (rebalance.hotKeysMax)`);
  return (value as unknown[]).map((entry) => {
    const record = asRecord(entry, 'a hotKeys entry');
    if (typeof record.key !== 'string' || record.key.length > Math.ceil(limits.keyBytesMax / 3) * 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(record.key)) {
      bad(`hot key must be base64 of at most limits.keyBytesMax=${limits.keyBytesMax} bytes`);
    }
    const key = Buffer.from(record.key, 'base64');
    if (key.length === 0 || key.length > limits.keyBytesMax) bad(`hot key must be 1..${limits.keyBytesMax} bytes`);
    const hotCount = count(record.count, 'count');
    const error = count(record.error, 'error');
    if (error > hotCount) bad('a hot key error is at most its count');
    return { key, count: hotCount, error };
  });
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

function integer(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) bad(`${name} must be an integer in ${min}..${max}`);
  return value;
}

function count(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > COUNT_MAX) bad(`${name} must be a number in 0..${COUNT_MAX}`);
  return value;
}

function bad(message: string): never {
  throw new RingcacheError('RC_ERR_BAD_REQUEST', `load report: ${message}`);
}
