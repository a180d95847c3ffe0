/**
 * The proxy's view of each storage node (`ringcache_proxy_backend_*`, labels node and op): every
 * internode request its coordinator sends, how it ended and how long it took. This is what tells
 * an operator *which* node makes a quorum slow or fail, which the per-command figures cannot.
 *
 * The Coordinator reports through its SendObserver hook (replication/send-observer.ts); the hot
 * path is two Map lookups, three array increments and a bucket search per request. Series are
 * made on the first request of a (node, op) pair, so their number is bounded by the servers of
 * the table times the request kinds (4 today).
 *
 * A request is counted when it ends (answer, error or timeout), so in-flight ones are not yet.
 *
 *   counts[series * 3 + 0]  requests   (every request that ended, whatever its outcome)
 *   counts[series * 3 + 1]  errors     (refused, coded error from the node, connection lost)
 *   counts[series * 3 + 2]  timeouts   (no answer within replication.requestTimeoutMs)
 */
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import { LatencyHistogram } from '../metrics/index.js';
import { assert } from '../runtime/index.js';
import type { SendObserver, SendOutcome } from '../replication/index.js';
import type { ServerId } from '../ring/index.js';

const REQUESTS = 0;
const ERRORS = 1;
const TIMEOUTS = 2;
const SLOTS = 3;

interface SeriesName {
  readonly node: ServerId;
  readonly op: string;
}

export class BackendMetrics implements SendObserver {
  private readonly names: SeriesName[] = [];
  /** node -> op -> series. */
  private readonly seriesByNode = new Map<ServerId, Map<string, number>>();
  private counts = new Float64Array(32 * SLOTS);
  private readonly latency: LatencyHistogram<'node' | 'op'>;

  constructor(registry: Registry) {
    this.latency = new LatencyHistogram(registry, {
      name: 'ringcache_proxy_backend_request_duration_seconds',
      help: 'Time from an internode request leaving the proxy to its answer, error or timeout, by storage node and request kind.',
      labelNames: ['node', 'op'],
    });
    this.counter(registry, 'ringcache_proxy_backend_requests_total', 'Internode requests sent by this proxy\'s coordinator, by storage node and request kind.', REQUESTS);
    this.counter(registry, 'ringcache_proxy_backend_errors_total', 'Internode requests that failed other than by timeout (refused, connection lost, a coded error from the node), by node and kind.', ERRORS);
    this.counter(registry, 'ringcache_proxy_backend_timeouts_total', 'Internode requests with no answer within replication.requestTimeoutMs, by node and kind.', TIMEOUTS);
  }

  seriesOf(server: ServerId, kind: string): number {
    let byOp = this.seriesByNode.get(server);
    if (byOp === undefined) {
      byOp = new Map();
      this.seriesByNode.set(server, byOp);
    }
    const known = byOp.get(kind);
    if (known !== undefined) return known;
    return this.addSeries(byOp, server, kind);
  }

  onSendDone(series: number, outcome: SendOutcome, elapsedMs: number): void {
    const base = series * SLOTS;
    const counts = this.counts;
    counts[base + REQUESTS] = (counts[base + REQUESTS] as number) + 1;
    if (outcome === 'error') counts[base + ERRORS] = (counts[base + ERRORS] as number) + 1;
    else if (outcome === 'timeout') counts[base + TIMEOUTS] = (counts[base + TIMEOUTS] as number) + 1;
    this.latency.observeMs(series, elapsedMs);
  }

  /** Requests, errors and timeouts of one (node, op) so far; zeros if none was sent (tests, status). */
  totals(node: ServerId, op: string): { requests: number; errors: number; timeouts: number } {
    const series = this.seriesByNode.get(node)?.get(op);
    if (series === undefined) return { requests: 0, errors: 0, timeouts: 0 };
    const base = series * SLOTS;
    return { requests: this.counts[base + REQUESTS] ?? 0, errors: this.counts[base + ERRORS] ?? 0, timeouts: this.counts[base + TIMEOUTS] ?? 0 };
  }

  private addSeries(byOp: Map<string, number>, node: ServerId, op: string): number {
    const series = this.names.length;
    this.names.push({ node, op });
    byOp.set(op, series);
    const latencySeries = this.latency.addSeries({ node, op });
    assert(latencySeries === series, 'backend metrics series in step with the latency histogram');
    if ((series + 1) * SLOTS > this.counts.length) {
      const grown = new Float64Array(this.counts.length * 2);
      grown.set(this.counts);
      this.counts = grown;
    }
    return series;
  }

  private counter(registry: Registry, name: string, help: string, slot: number): void {
    const names = this.names;
    const counts = (): Float64Array => this.counts;
    new Counter({
      name, help, labelNames: ['node', 'op'] as const, registers: [registry],
      collect() {
        this.reset();
        const values = counts();
        names.forEach((series, index) => { this.inc({ node: series.node, op: series.op }, values[index * SLOTS + slot] ?? 0); });
      },
    });
  }
}
