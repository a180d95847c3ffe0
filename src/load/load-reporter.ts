/**
 * Posts a coordinator's load counts to the shard-master every intervalMs (DESIGN.md section 6):
 *
 *   every intervalMs: counter.take() --encodeLoadReport--> POST /v1/load/report (one at a time)
 *
 * A report that fails (master down, timeout, refused) is dropped and counted, not retried: the
 * next one carries fresher counts, and the master's EWMA only needs most of them. One request in
 * flight at most, so a slow master never piles reports up in this process.
 *
 * A proxy attaches its own request figures (`attachProxy`): the report then also carries its
 * requests, errors and p50/p99 over the interval and where it listens, for the dashboard.
 */
import type { Clock, Logger, Random, Startable, Timer } from '../runtime/index.js';
import { every } from '../runtime/index.js';
import { encodeLoadReport } from './load-report.js';
import type { ReportExtras } from './load-report.js';
import { readPeerDirectory } from './peer-directory.js';
import type { PeerDirectory } from './peer-directory.js';
import type { LoadCounter } from './load-counter.js';
import { RequestIntervals } from './request-tally.js';
import type { RequestTally } from './request-tally.js';

/** What a proxy adds to its reports. */
export interface ProxyFigures {
  /** Its cumulative request tally (ProxyMetrics.requestTally), read once a report. */
  readonly tally: () => RequestTally;
  /** Where it listens, e.g. `resp 127.0.0.1:6380` (at most ENDPOINTS_MAX). */
  readonly endpoints: readonly string[];
}

export interface LoadReporterDeps {
  readonly masterUrl: string;
  readonly token?: string;
  /** Names the reporter at the master; a random suffix keeps two processes of one name apart. */
  readonly name: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly counter: LoadCounter;
  /** The epoch of the table the counts were taken under. */
  readonly epoch: () => number;
  readonly intervalMs: number;
  /** Injected for tests; the global fetch otherwise. */
  readonly fetch?: typeof fetch;
  /** This process's invalidation URL (a proxy's HTTP port, known once it listens); undefined: none. */
  readonly invalidationUrl?: () => string | undefined;
  /** Hears each peer directory the master answers with (the invalidation sender). */
  readonly onDirectory?: (directory: PeerDirectory) => void;
  /** limits.keyBytesMax: the longest watched key accepted from the master. */
  readonly keyBytesMax?: number;
}

/** Largest master reply read: 4096 watched keys of 512 bytes in base64 with room to spare. */
const DIRECTORY_BYTES_MAX = 4 * 1024 * 1024;

export interface LoadReporterStats {
  sent: number;
  failed: number;
  /** Intervals whose report was skipped because the previous one was still in flight. */
  skipped: number;
}

export class LoadReporter implements Startable {
  readonly reporter: string;
  readonly stats: LoadReporterStats = { sent: 0, failed: 0, skipped: 0 };
  private timer: Timer | undefined;
  private inFlight: Promise<void> | undefined;
  private lastMs = 0;
  private controller: AbortController | undefined;
  private readonly fetch: typeof fetch;
  private proxy: { readonly intervals: RequestIntervals; readonly endpoints: readonly string[] } | undefined;

  constructor(private readonly deps: LoadReporterDeps) {
    this.reporter = `${deps.name}.${deps.random.int(0x7fffffff).toString(36)}`.replace(/[^A-Za-z0-9._:-]/g, '_').slice(0, 64);
    this.fetch = deps.fetch ?? globalThis.fetch.bind(globalThis);
  }

  start(): Promise<void> {
    if (this.timer !== undefined) return Promise.resolve();
    this.lastMs = this.deps.clock.monotonicMs();
    this.timer = every(this.deps.clock, this.deps.intervalMs, () => { void this.tick(); });
    return Promise.resolve();
  }

  /** Idempotent; a report in flight is abandoned (the master loses one interval of counts). */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    this.controller?.abort();
    await this.inFlight;
  }

  /**
   * From the next report on, carry the proxy's own figures. The first interval counts from now:
   * what the proxy did before it was attached is not in any report.
   */
  attachProxy(figures: ProxyFigures): void {
    this.proxy = { intervals: new RequestIntervals(figures.tally), endpoints: figures.endpoints };
  }

  /** Takes the interval's counts and posts them (tests call it instead of waiting for the timer). */
  tick(): Promise<void> {
    if (this.inFlight !== undefined) {
      this.stats.skipped++;
      return this.inFlight;
    }
    const nowMs = this.deps.clock.monotonicMs();
    const intervalMs = nowMs - this.lastMs;
    this.lastMs = nowMs;
    const extras: ReportExtras = this.proxy === undefined ? {} : { requests: this.proxy.intervals.take(), endpoints: this.proxy.endpoints };
    const invalidationUrl = this.deps.invalidationUrl?.();
    const body = encodeLoadReport(this.reporter, this.deps.epoch(), intervalMs, this.deps.counter.take(), invalidationUrl === undefined ? extras : { ...extras, invalidationUrl });
    this.inFlight = this.post(body).finally(() => { this.inFlight = undefined; });
    return this.inFlight;
  }

  private async post(body: unknown): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    // A report older than an interval is worth nothing: give up on it by then.
    const deadline = this.deps.clock.schedule(this.deps.intervalMs, () => { controller.abort(); });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.deps.token !== undefined && this.deps.token !== '') headers.authorization = `Bearer ${this.deps.token}`;
    try {
      const response = await this.fetch(`${this.deps.masterUrl}/v1/load/report`, { method: 'POST', headers, body: JSON.stringify(body), signal: controller.signal });
      const reply = await response.arrayBuffer();
      if (response.ok) {
        this.stats.sent++;
        this.hearDirectory(reply);
      }
      else {
        this.stats.failed++;
        this.deps.logger.debug({ status: response.status }, 'load report refused by the shard-master');
      }
    } catch (error) {
      this.stats.failed++;
      this.deps.logger.debug({ err: error }, 'load report not delivered');
    } finally {
      deadline.cancel();
    }
  }

  /** A reply that is not a directory (an older master answers 204) leaves the last one in force. */
  private hearDirectory(reply: ArrayBuffer): void {
    const listener = this.deps.onDirectory;
    if (listener === undefined || reply.byteLength === 0 || reply.byteLength > DIRECTORY_BYTES_MAX) return;
    try {
      listener(readPeerDirectory(JSON.parse(Buffer.from(reply).toString('utf8')), this.deps.keyBytesMax ?? SCHEMA_KEY_BYTES_MAX));
    } catch (error) {
      this.deps.logger.debug({ err: error }, 'peer directory from the shard-master refused');
    }
  }
}

/** limits.keyBytesMax at its largest (64 KiB): what a reporter told nothing else accepts. */
const SCHEMA_KEY_BYTES_MAX = 64 * 1024;
