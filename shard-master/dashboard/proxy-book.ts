/**
 * The proxies' own request figures, as their load reports carry them (src/load/request-tally.ts):
 * per proxy, its last report and a bounded history, one point per report, for the dashboard's
 * per-proxy charts and `ringcache status`.
 *
 *   POST /v1/load/report {reporter, intervalMs, requests: {total, errors, rejected, p50Ms, p99Ms}}
 *     -> point {atMs: received, perSec: total / interval, errorsPerSec, rejectedPerSec, p50Ms, p99Ms}
 *
 * Bounded: at most proxiesMax proxies of pointsMax points each (64 x 600 points of six numbers,
 * about 2 MB at worst). A proxy that stops reporting is 'silent' after silentAfterIntervals of its
 * intervals and forgotten after forgetAfterMs; a restarted proxy reports under a new name, so the
 * old one fades out the same way. A new proxy while the book is full is not kept, and counted.
 */
import type { ProxyHistoryPoint, ReportingProxy } from '../../src/client/dashboard-api.js';
import type { LoadReport } from '../../src/load/index.js';
import type { Clock } from '../../src/runtime/index.js';

export interface ProxyBookOptions {
  readonly proxiesMax: number;
  readonly pointsMax: number;
  readonly silentAfterIntervals: number;
  readonly forgetAfterMs: number;
}

interface Entry {
  readonly firstAtMs: number;
  lastAtMs: number;
  intervalMs: number;
  epoch: number;
  endpoints: readonly string[];
  readonly points: ProxyHistoryPoint[];
}

export class ProxyBook {
  private readonly proxies = new Map<string, Entry>();
  /** Reports of a new proxy not kept because proxiesMax were already kept. */
  refused = 0;

  constructor(private readonly clock: Clock, readonly options: ProxyBookOptions) {}

  /** Keeps a report's request figures; a report without them (a client library) is ignored. */
  record(report: LoadReport): void {
    const requests = report.requests;
    if (requests === undefined) return;
    const nowMs = this.clock.nowMs();
    this.forgetSilent(nowMs);
    let entry = this.proxies.get(report.reporter);
    if (entry === undefined) {
      if (this.proxies.size >= this.options.proxiesMax) {
        this.refused++;
        return;
      }
      entry = { firstAtMs: nowMs, lastAtMs: nowMs, intervalMs: report.intervalMs, epoch: report.epoch, endpoints: [], points: [] };
      this.proxies.set(report.reporter, entry);
    }
    const seconds = report.intervalMs / 1000;
    entry.points.push({
      atMs: nowMs,
      perSec: requests.total / seconds,
      errorsPerSec: requests.errors / seconds,
      rejectedPerSec: requests.rejected / seconds,
      p50Ms: requests.p50Ms,
      p99Ms: requests.p99Ms,
    });
    if (entry.points.length > this.options.pointsMax) entry.points.splice(0, entry.points.length - this.options.pointsMax);
    entry.lastAtMs = nowMs;
    entry.intervalMs = report.intervalMs;
    entry.epoch = report.epoch;
    entry.endpoints = report.endpoints ?? entry.endpoints;
  }

  get size(): number {
    this.forgetSilent(this.clock.nowMs());
    return this.proxies.size;
  }

  /** Every kept proxy, by id, with its points newer than `sinceMs`. */
  view(sinceMs: number): { reporting: ReportingProxy[]; history: Record<string, ProxyHistoryPoint[]> } {
    const nowMs = this.clock.nowMs();
    this.forgetSilent(nowMs);
    const reporting: ReportingProxy[] = [];
    // No prototype: a reporter may be named `__proto__` (the name pattern allows it).
    const history = Object.create(null) as Record<string, ProxyHistoryPoint[]>;
    for (const id of [...this.proxies.keys()].sort()) {
      const entry = this.proxies.get(id);
      const latest = entry?.points.at(-1);
      if (entry === undefined || latest === undefined) continue;
      const silent = nowMs - entry.lastAtMs > this.options.silentAfterIntervals * entry.intervalMs;
      reporting.push({
        id, endpoints: entry.endpoints, status: silent ? 'silent' : 'reporting', epoch: entry.epoch, intervalMs: entry.intervalMs,
        firstReportAtMs: entry.firstAtMs, lastReportAtMs: entry.lastAtMs, latest,
      });
      history[id] = entry.points.filter((point) => point.atMs > sinceMs);
    }
    return { reporting, history };
  }

  private forgetSilent(nowMs: number): void {
    for (const [id, entry] of this.proxies) if (nowMs - entry.lastAtMs > this.options.forgetAfterMs) this.proxies.delete(id);
  }
}
