/**
 * Keys, bytes and request counters of every node, from their `GET /v1/stats`, fetched when the
 * dashboard or `ringcache status` asks and shared by every request within `sampleReuseMs` (one
 * round of node requests per second however many viewers poll). Each round appends a point to a
 * bounded per-server history, so a page opened now, or reloaded, still draws the last minutes
 * that anyone watched.
 *
 * A node the prober calls down is not asked (its stats would only wait out the timeout); a node
 * that answers 401 is up but refuses the master's token, which is said as such.
 */
import type { HistoryPoint } from '../../src/client/dashboard-api.js';
import type { ServerId, ServerInfo } from '../../src/ring/index.js';
import type { Clock } from '../../src/runtime/index.js';
import { mapBounded } from './bounded.js';
import type { JsonFetcher } from './json-fetch.js';
import { readNodeReport } from './node-report.js';
import type { NodeReport, RequestCounters } from './node-report.js';
import type { DashboardOptions } from './options.js';
import { requestRates } from './request-rates.js';
import type { RequestRates } from './request-rates.js';

export interface ServerStats {
  readonly atMs: number;
  /** undefined with `problem` set when the node was not asked or did not answer usefully. */
  readonly report: NodeReport | undefined;
  readonly problem: string | undefined;
  /** undefined until two snapshots with request counters exist. */
  readonly rates: RequestRates | undefined;
}

export interface StatsSample {
  readonly atMs: number;
  readonly servers: ReadonlyMap<ServerId, ServerStats>;
}

export interface SamplerDeps {
  readonly clock: Clock;
  readonly fetch: JsonFetcher;
  readonly options: DashboardOptions;
  readonly token: string;
  /** 'https' with cluster TLS (the nodes' HTTP ports). @default 'http' */
  readonly scheme?: 'http' | 'https';
  readonly servers: () => readonly ServerInfo[];
  readonly vnodeCount: () => number;
  /** The prober's verdict: a server said down is skipped. */
  readonly isDown: (server: ServerId) => boolean;
}

export class StatsSampler {
  private latest: StatsSample | undefined;
  private inFlight: Promise<StatsSample> | undefined;
  private readonly counters = new Map<ServerId, { atMs: number; requests: RequestCounters }>();
  private readonly history = new Map<ServerId, HistoryPoint[]>();

  constructor(private readonly deps: SamplerDeps) {}

  /** The latest sample if it is fresh enough, else a new round (one at a time). */
  sample(): Promise<StatsSample> {
    const latest = this.latest;
    if (latest !== undefined && this.deps.clock.nowMs() - latest.atMs < this.deps.options.sampleReuseMs) return Promise.resolve(latest);
    this.inFlight ??= this.takeSample().finally(() => { this.inFlight = undefined; });
    return this.inFlight;
  }

  /** Each server's points newer than `sinceMs`, oldest first. */
  historySince(sinceMs: number): Record<ServerId, HistoryPoint[]> {
    const out: Record<ServerId, HistoryPoint[]> = {};
    for (const [server, points] of this.history) out[server] = points.filter((point) => point.atMs > sinceMs);
    return out;
  }

  private async takeSample(): Promise<StatsSample> {
    const servers = this.deps.servers();
    const atMs = this.deps.clock.nowMs();
    const results = await mapBounded(servers, this.deps.options.fetchParallelMax, (server) => this.fetchServer(server, atMs));
    const byServer = new Map<ServerId, ServerStats>();
    servers.forEach((server, index) => {
      const stats = results[index];
      if (stats !== undefined) byServer.set(server.id, stats);
    });
    this.forgetAllBut(new Set(byServer.keys()));
    for (const [server, stats] of byServer) this.record(server, stats);
    this.latest = { atMs, servers: byServer };
    return this.latest;
  }

  /** `atMs` is the round's time: every server's point of a round shares it (one x on the charts). */
  private async fetchServer(server: ServerInfo, atMs: number): Promise<ServerStats> {
    const { options, token } = this.deps;
    const failed = (problem: string): ServerStats => ({ atMs, report: undefined, problem, rates: undefined });
    if (this.deps.isDown(server.id)) return failed('not asked: its /health probes fail');
    const headers: Record<string, string> = token === '' ? {} : { authorization: `Bearer ${token}` };
    const answer = await this.deps.fetch({ url: httpUrl(server.host, server.httpPort, '/v1/stats', this.deps.scheme), headers, timeoutMs: options.probeTimeoutMs, bytesMax: options.statsBytesMax });
    if (answer.kind === 'failed') return failed(answer.reason);
    if (answer.status === 401) return failed('the node refused the master\'s cluster token (HTTP 401): check cluster.token on both');
    if (answer.status !== 200) return failed(`/v1/stats answered HTTP ${answer.status}`);
    const read = readNodeReport(answer.body, this.deps.vnodeCount());
    if (!read.ok) return failed(read.problem);
    return { atMs, report: read.report, problem: undefined, rates: this.ratesOf(server.id, atMs, read.report.requests) };
  }

  private ratesOf(server: ServerId, atMs: number, requests: RequestCounters | null): RequestRates | undefined {
    const previous = this.counters.get(server);
    if (requests === null) {
      this.counters.delete(server);
      return undefined;
    }
    this.counters.set(server, { atMs, requests });
    return previous === undefined ? undefined : requestRates(previous.requests, requests, atMs - previous.atMs);
  }

  private record(server: ServerId, stats: ServerStats): void {
    const points = this.history.get(server) ?? [];
    points.push({
      atMs: stats.atMs,
      keys: stats.report?.keys ?? null,
      bytes: stats.report?.bytes ?? null,
      perSec: stats.rates?.perSec ?? null,
      p50Ms: stats.rates?.p50Ms ?? null,
      p99Ms: stats.rates?.p99Ms ?? null,
    });
    if (points.length > this.deps.options.historyPointsMax) points.splice(0, points.length - this.deps.options.historyPointsMax);
    this.history.set(server, points);
  }

  /** Servers that left the table leave the history too: memory follows the membership. */
  private forgetAllBut(keep: ReadonlySet<ServerId>): void {
    for (const server of [...this.history.keys()]) if (!keep.has(server)) this.history.delete(server);
    for (const server of [...this.counters.keys()]) if (!keep.has(server)) this.counters.delete(server);
  }
}

/** http://host:port/path (https with TLS), with an IPv6 literal in brackets and a wildcard bind reached on loopback. */
export function httpUrl(host: string, port: number, path: string, scheme: 'http' | 'https' = 'http'): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `${scheme}://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}${path}`;
}
