import { placementOf } from '../ring/index.js';
import type { Liveness, PendingMove, RoutingTable, ServerId } from '../ring/index.js';

/**
 * Where a key lives and why (RC.ROUTE, GET /v1/route/:key): the answer an operator needs when a
 * key is slow or missing. Pure over the table and a liveness view.
 */
export interface RouteInfo {
  readonly vnode: number;
  readonly epoch: number;
  /** The row: N replicas in preference order. */
  readonly replicas: readonly ServerId[];
  /** Replicas this proxy believes are up, in row order; reads and writes go to these first. */
  readonly live: readonly ServerId[];
  readonly down: readonly ServerId[];
  /** The first live replica: it assigns the dot of a write. Null when every replica is down. */
  readonly coordinator: ServerId | null;
  /** Where hinted writes go when replicas are down (sloppy quorum), in ring-walk order. */
  readonly fallbacks: readonly ServerId[];
  /** A replica moving to another server: writes also go to `to`. Null when the row is settled. */
  readonly pending: PendingMove | null;
}

export function routeOf(table: RoutingTable, liveness: Liveness, key: Uint8Array): RouteInfo {
  const vnode = table.vnodeOf(key);
  const placement = placementOf(table, vnode, liveness);
  const pending = table.row(vnode).pending;
  return {
    vnode,
    epoch: table.epoch,
    replicas: placement.replicas,
    live: placement.live,
    down: placement.down,
    coordinator: placement.coordinator ?? null,
    fallbacks: placement.fallbacks,
    pending: pending === undefined ? null : { from: pending.from, to: pending.to },
  };
}
