/**
 * The replica load model (DESIGN.md section 6) as the planner and GET /v1/load see it: per vnode,
 * what each replica of its row serves and what the row's first replica serves on top, and from
 * that, per server:
 *
 *   ops(s) = sum over rows holding s of replicaOps[v]  +  sum over rows s leads of leaderOps[v]
 *   utilization(s) = ops(s) / capacity(s)
 *   maxOverMean   = max utilization / (sum of ops / sum of capacities)
 *
 * Capacity is the server's weight in the table: a server of capacity 2 is meant to carry twice
 * the load, so it is measured per unit of capacity. Draining servers are left out of the mean
 * and the maximum (their load is on its way elsewhere) but their load stays in the total.
 */
import type { ServerId, Table } from '../../src/ring/index.js';

export interface VnodeLoads {
  /** Ops per second each replica of vnode v serves: reads spread over the row, writes reach all. */
  readonly replicaOps: ArrayLike<number>;
  /** Ops per second the row's first replica serves on top: it coordinates the vnode's writes. */
  readonly leaderOps: ArrayLike<number>;
  /** Bytes one replica of v stores: what moving that replica copies. */
  readonly storedBytes: ArrayLike<number>;
}

export interface ServerLoad {
  readonly id: ServerId;
  readonly capacity: number;
  readonly ops: number;
  /** ops / capacity. */
  readonly utilization: number;
  readonly draining: boolean;
}

/** What a replica move or leader change of one plan takes from a server: the model's two terms. */
export function replicaCost(loads: VnodeLoads, vnode: number, leads: boolean): number {
  return (loads.replicaOps[vnode] ?? 0) + (leads ? loads.leaderOps[vnode] ?? 0 : 0);
}

/** Every server of the table with its modeled load, in the table's (id) order. */
export function serverLoads(table: Table, loads: VnodeLoads): ServerLoad[] {
  const ops = new Map<ServerId, number>();
  table.rows.forEach((row, vnode) => {
    row.replicas.forEach((server, position) => {
      ops.set(server, (ops.get(server) ?? 0) + replicaCost(loads, vnode, position === 0));
    });
  });
  return table.servers.map((server) => {
    const load = ops.get(server.id) ?? 0;
    return { id: server.id, capacity: server.capacity, ops: load, utilization: load / server.capacity, draining: server.state === 'draining' };
  });
}

/** max utilization / mean utilization over the active servers; 1 when there is no load. */
export function maxOverMean(servers: readonly ServerLoad[]): number {
  let total = 0;
  let capacity = 0;
  let max = 0;
  for (const server of servers) {
    total += server.ops;
    if (server.draining) continue;
    capacity += server.capacity;
    if (server.utilization > max) max = server.utilization;
  }
  if (total <= 0 || capacity <= 0) return 1;
  return max / (total / capacity);
}
