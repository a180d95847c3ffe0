/**
 * From what the master measured to what the planner balances (load-model.ts):
 *
 *   replicaOps[v] = touches[v] / N     internode requests to v's replicas, shared by its N
 *                                      replicas (reads go to the least busy, writes to all)
 *   leaderOps[v]  = writes[v] x 0.5    the first replica also coordinates each write: it reads,
 *                                      mints the dot and answers the whole state (COORDINATION_COST)
 *   storedBytes[v]                     a replica's bytes, from the nodes' GET /v1/stats: keys of v
 *                                      on a node x that node's bytes per key (largest replica)
 */
import type { StatsSample } from '../dashboard/stats-sampler.js';
import type { Table } from '../../src/ring/index.js';
import type { VnodeLoads } from '../rebalance/load-model.js';
import type { VnodeRates } from './load-book.js';

/**
 * A coordinated write costs its first replica about half a request more than a MERGE costs the
 * others (a read-modify-write of the stored state and a larger reply): a model, not a measurement.
 */
export const COORDINATION_COST = 0.5;

export function vnodeLoadsOf(rates: VnodeRates, replicaCount: number, storedBytes: ArrayLike<number>): VnodeLoads {
  const vnodeCount = rates.touches.length;
  const replicaOps = new Float64Array(vnodeCount);
  const leaderOps = new Float64Array(vnodeCount);
  for (let vnode = 0; vnode < vnodeCount; vnode++) {
    replicaOps[vnode] = (rates.touches[vnode] ?? 0) / replicaCount;
    leaderOps[vnode] = (rates.writes[vnode] ?? 0) * COORDINATION_COST;
  }
  return { replicaOps, leaderOps, storedBytes };
}

/** Per vnode, the bytes its largest replica holds, estimated from the nodes' stats; 0 where unknown. */
export function storedBytesOf(table: Table, sample: StatsSample | undefined): Float64Array {
  const bytes = new Float64Array(table.vnodeCount);
  if (sample === undefined) return bytes;
  for (const stats of sample.servers.values()) {
    const report = stats.report;
    if (report === undefined || report.keys <= 0) continue;
    const bytesPerKey = report.bytes / report.keys;
    for (const [vnode, keys] of report.vnodeKeys) {
      if (vnode < bytes.length) bytes[vnode] = Math.max(bytes[vnode] ?? 0, keys * bytesPerKey);
    }
  }
  return bytes;
}
