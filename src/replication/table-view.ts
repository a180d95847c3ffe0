import type { RoutingTable } from '../ring/index.js';

/**
 * How a coordinator sees the table: the current one, and a hook to report that a peer holds a
 * newer epoch (the table follower then fetches it from the shard-master).
 */
export interface TableView {
  current(): RoutingTable;
  observeEpoch(epoch: number): void;
  /**
   * Hears each new table (the follower's long poll); returns the function that unsubscribes. A
   * coordinator refused by fencing waits here for the epoch the node named before it retries;
   * without it, it retries after its request timeout.
   */
  onChange?(listener: (table: RoutingTable) => void): () => void;
}

/** A fixed table: the simulator, tests, and a client library pinned to one epoch. */
export function fixedTableView(table: RoutingTable): TableView {
  return { current: () => table, observeEpoch: () => undefined };
}

/**
 * A table someone else changes by hand: the simulator's coordinators follow its master through
 * one, and tests step a table through epochs with it.
 */
export class TableHolder implements TableView {
  private readonly listeners = new Set<(table: RoutingTable) => void>();
  private observed = 0;

  constructor(private table: RoutingTable, private readonly onObserve?: (epoch: number) => void) {}

  current(): RoutingTable {
    return this.table;
  }

  /** Installs a newer table and tells the listeners; an older or equal epoch is ignored. */
  set(table: RoutingTable): void {
    if (table.epoch <= this.table.epoch) return;
    this.table = table;
    for (const listener of [...this.listeners]) listener(table);
  }

  observeEpoch(epoch: number): void {
    if (epoch <= this.table.epoch || epoch <= this.observed) return;
    this.observed = epoch;
    this.onObserve?.(epoch);
  }

  onChange(listener: (table: RoutingTable) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }
}
