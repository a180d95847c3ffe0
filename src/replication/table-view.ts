import type { RoutingTable } from '../ring/index.js';

/**
 * How a coordinator sees the table: the current one, and a hook to report that a peer holds a
 * newer epoch (the table follower then fetches it from the shard-master).
 */
export interface TableView {
  current(): RoutingTable;
  observeEpoch(epoch: number): void;
}

/** A fixed table: the simulator, tests, and a client library pinned to one epoch. */
export function fixedTableView(table: RoutingTable): TableView {
  return { current: () => table, observeEpoch: () => undefined };
}
