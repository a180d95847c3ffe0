/**
 * Requests per second and latency percentiles over the interval between two cumulative snapshots
 * of a node's request counters (node-report.ts). Pure. Percentiles as Prometheus's
 * histogram_quantile computes them (src/metrics/quantile.ts).
 */
import { quantileMs } from '../../src/metrics/index.js';
import type { RequestCounters } from './node-report.js';

export { quantileMs };

export interface RequestRates {
  readonly perSec: number;
  readonly errorsPerSec: number | null;
  /** null when no request completed in the interval, or the node reports no histogram. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** undefined when the interval says nothing: too short, or the counters went back (a restart). */
export function requestRates(before: RequestCounters, after: RequestCounters, elapsedMs: number): RequestRates | undefined {
  if (elapsedMs <= 0 || after.total < before.total) return undefined;
  const seconds = elapsedMs / 1000;
  const errors = before.errors !== null && after.errors !== null && after.errors >= before.errors ? (after.errors - before.errors) / seconds : null;
  const delta = histogramDelta(before, after);
  return {
    perSec: (after.total - before.total) / seconds,
    errorsPerSec: errors,
    p50Ms: delta === undefined ? null : quantileMs(delta.boundsMs, delta.counts, 0.5),
    p99Ms: delta === undefined ? null : quantileMs(delta.boundsMs, delta.counts, 0.99),
  };
}

function histogramDelta(before: RequestCounters, after: RequestCounters): { boundsMs: readonly number[]; counts: number[] } | undefined {
  const a = before.latency;
  const b = after.latency;
  if (a === null || b === null || a.boundsMs.length !== b.boundsMs.length || a.boundsMs.some((bound, i) => bound !== b.boundsMs[i])) return undefined;
  const counts = b.counts.map((n, i) => n - (a.counts[i] ?? 0));
  return counts.some((n) => n < 0) ? undefined : { boundsMs: b.boundsMs, counts };
}
