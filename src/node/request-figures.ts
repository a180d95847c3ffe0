/**
 * The `requests` figure of a node's `GET /v1/stats`: what the shard-master's dashboard turns into
 * requests per second and p50/p99 per node (shard-master/dashboard/node-report.ts reads it,
 * request-rates.ts differences two of them). Cumulative since the node started, so a reader that
 * misses a poll loses nothing, and a restart shows as counters going back.
 *
 *   requests: { total: 1234,                                  data requests decoded
 *               kinds: ['coord-put', 'merge', 'read', ...],   the kinds counted
 *               latencyMs: { boundsMs: [0.01, 0.025, ...],    HANDLER_LATENCY_BOUNDS_MS
 *                            counts:   [  10,   400, ..., 2] } }   one per bound + one above the last
 *
 * Only the kinds a client's read or write causes are counted. A node answers a gossip probe every
 * 200 ms and anti-entropy rounds in the background whatever the traffic; counted in, they would
 * draw an idle cluster as busy and pull its percentiles toward a probe's microseconds. Every kind
 * stays in /metrics (`ringcache_node_requests_total{kind}`) for whoever wants them all.
 *
 * Errors are not in it: the handler counts error replies by code, not by kind.
 */
import type { LatencyBuckets } from '../metrics/index.js';
import { assert } from '../runtime/index.js';
import type { PeerKind } from '../transport/index.js';
import { HANDLER_LATENCY_BOUNDS_MS } from './resp-handler.js';
import type { NodeRespHandlerStats } from './resp-handler.js';

export interface NodeRequestFigures {
  readonly total: number;
  readonly kinds: readonly PeerKind[];
  readonly latencyMs: { readonly boundsMs: readonly number[]; readonly counts: readonly number[] };
}

/**
 * The kinds of the data path: a coordinator's put, the replication merge, a read, a counter
 * increment, and sloppy quorum's hint and hint read. A new data kind is added here.
 */
export const DATA_REQUEST_KINDS: readonly PeerKind[] = Object.freeze(['coord-put', 'merge', 'read', 'counter-add', 'hint', 'hint-read'] satisfies PeerKind[]);

export function requestFigures(stats: Pick<NodeRespHandlerStats, 'requests' | 'latency'>, kinds: readonly PeerKind[] = DATA_REQUEST_KINDS): NodeRequestFigures {
  let total = 0;
  const counts = new Array<number>(HANDLER_LATENCY_BOUNDS_MS.length + 1).fill(0);
  for (const kind of kinds) {
    total += stats.requests.get(kind) ?? 0;
    const buckets = stats.latency.get(kind);
    if (buckets !== undefined) addBuckets(counts, buckets);
  }
  return { total, kinds, latencyMs: { boundsMs: HANDLER_LATENCY_BOUNDS_MS, counts } };
}

/** LatencyBuckets keeps "above the last bound" only in its count: that is the last entry here. */
function addBuckets(counts: number[], buckets: LatencyBuckets): void {
  assert(buckets.counts.length === counts.length - 1, 'request latency buckets use HANDLER_LATENCY_BOUNDS_MS');
  let inBounds = 0;
  for (let i = 0; i < buckets.counts.length; i++) {
    const n = buckets.counts[i] ?? 0;
    counts[i] = (counts[i] ?? 0) + n;
    inBounds += n;
  }
  const last = counts.length - 1;
  counts[last] = (counts[last] ?? 0) + (buckets.count - inBounds);
}
