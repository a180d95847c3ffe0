/**
 * A proxy's own request figures for its load report: requests, errors and p50/p99 over the
 * report interval, from the counters its metrics already keep (src/proxy/metrics.ts: a count per
 * command and outcome, a latency histogram timed on the monotonic clock). Nothing is added per
 * request: each report reads the cumulative tally once and subtracts the previous one.
 *
 *   tally at report k-1 ─┐
 *   tally at report k  ──┴─> interval: total = Δrequests, errors = Δfailed, rejected = Δrejected,
 *                             p50/p99 = quantiles of the Δ histogram
 */
import { quantileMs } from '../metrics/index.js';

/** Cumulative since the process started. */
export interface RequestTally {
  /** Every client command, whatever its outcome. */
  readonly requests: number;
  /** Of which failed on the cluster's side (quorum not met, timeout, internal: HTTP 5xx). */
  readonly errors: number;
  /** Of which refused as bad input or over a limit (HTTP 4xx, RESP -ERR for the request). */
  readonly rejected: number;
  /** counts: one per bound plus one above the last. */
  readonly latency: { readonly boundsMs: readonly number[]; readonly counts: readonly number[] };
}

/** What the report carries: the interval's figures (`requests` in load-report.ts). */
export interface IntervalRequests {
  readonly total: number;
  readonly errors: number;
  readonly rejected: number;
  /** null when no request was timed in the interval. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export class RequestIntervals {
  private previous: RequestTally;

  constructor(private readonly source: () => RequestTally) {
    this.previous = source();
  }

  /** The figures since the last take (since construction the first time). */
  take(): IntervalRequests {
    const now = this.source();
    const before = this.previous;
    this.previous = now;
    const sameBounds = now.latency.boundsMs.length === before.latency.boundsMs.length && now.latency.counts.length === before.latency.counts.length;
    // Counters only grow in one process; a difference below 0 would be a bug upstream, so clamp.
    const counts = now.latency.counts.map((n, i) => Math.max(0, n - (sameBounds ? before.latency.counts[i] ?? 0 : 0)));
    return {
      total: Math.max(0, now.requests - before.requests),
      errors: Math.max(0, now.errors - before.errors),
      rejected: Math.max(0, now.rejected - before.rejected),
      p50Ms: quantileMs(now.latency.boundsMs, counts, 0.5),
      p99Ms: quantileMs(now.latency.boundsMs, counts, 0.99),
    };
  }
}
