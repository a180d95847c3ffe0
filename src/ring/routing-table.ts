/**
 * The read side of the table: what a proxy, a client library or a node asks on every request.
 * A `RoutingTable` wraps one immutable `Table` (one epoch) with lookups cached for the hot path;
 * a new epoch means a new `RoutingTable`, never a mutation.
 *
 * Fallbacks (sloppy quorum, Dynamo 2007 section 4.6) continue the ring walk past the row:
 *
 *   rows:    v=4 [n1 n2 n3]   v=5 [n2 n4 n1]   v=6 [n5 n3 n6]   v=7 [n4 n7 n2] ...
 *   fallbacks(4) = n4 (from v=5), n5, n6 (from v=6), n7 (from v=7), ...
 *   skipping n1, n2, n3 (the row's own replicas) and the row's pending target.
 *
 * The ring walk over rows (not over raw tokens) keeps the fallback order a function of the table
 * alone, so every proxy picks the same fallback for the same down replica and hints concentrate.
 */
import { AssertionError } from '../runtime/index.js';
import { vnodeOf } from './hash.js';
import type { Liveness, ServerId, ServerInfo, Table, TableRow } from './table.js';
import { validateTable } from './validate.js';

export class RoutingTable {
  readonly table: Table;
  private readonly serversById: ReadonlyMap<ServerId, ServerInfo>;
  /** Servers that are a replica in at least one row: the walk stops once it has seen them all. */
  private readonly rowServers: ReadonlySet<ServerId>;
  private readonly fallbackCache: (readonly ServerId[] | undefined)[];

  /** Validates the table (RC_ERR_PLACEMENT if it is malformed): the check on read. */
  constructor(table: Table) {
    validateTable(table);
    this.table = table;
    this.serversById = new Map(table.servers.map((server) => [server.id, server]));
    const rowServers = new Set<ServerId>();
    for (const row of table.rows) for (const server of row.replicas) rowServers.add(server);
    this.rowServers = rowServers;
    this.fallbackCache = new Array<readonly ServerId[] | undefined>(table.vnodeCount).fill(undefined);
  }

  get epoch(): number {
    return this.table.epoch;
  }

  get vnodeCount(): number {
    return this.table.vnodeCount;
  }

  get replicaCount(): number {
    return this.table.replicaCount;
  }

  vnodeOf(key: Uint8Array): number {
    return vnodeOf(key, this.table.vnodeCount);
  }

  row(vnode: number): TableRow {
    const row = this.table.rows[vnode];
    // Every request asks: the message is only built when the check fails.
    if (row === undefined) throw new AssertionError(`row(${vnode}): vnode out of range [0, ${this.table.vnodeCount})`);
    return row;
  }

  server(id: ServerId): ServerInfo | undefined {
    return this.serversById.get(id);
  }

  /**
   * Distinct servers of rows v+1, v+2, ... (wrapping), in order of first appearance, without the
   * row's replicas and its pending target. Computed on first use, then memoized: a table lives for
   * a whole epoch and most vnodes never need fallbacks.
   */
  fallbacks(vnode: number): readonly ServerId[] {
    // Every placement asks: a memo hit stays small enough to inline, the walk lives apart.
    return this.fallbackCache[vnode] ?? this.walkFallbacks(vnode);
  }

  private walkFallbacks(vnode: number): readonly ServerId[] {
    const own = this.row(vnode);
    const seen = new Set<ServerId>(own.replicas);
    if (own.pending !== undefined) seen.add(own.pending.to);
    let reachable = this.rowServers.size - own.replicas.length;
    if (own.pending !== undefined && this.rowServers.has(own.pending.to)) reachable -= 1;
    const result: ServerId[] = [];
    const { vnodeCount } = this.table;
    // Bounded: at most V - 1 rows; stops early once every other server of the rows has been seen.
    for (let step = 1; step < vnodeCount && result.length < reachable; step++) {
      const row = this.row((vnode + step) % vnodeCount);
      for (const server of row.replicas) {
        if (!seen.has(server)) {
          seen.add(server);
          result.push(server);
        }
      }
    }
    const frozen = Object.freeze(result);
    this.fallbackCache[vnode] = frozen;
    return frozen;
  }
}

const NONE: readonly ServerId[] = Object.freeze([]);

/** Where a vnode's requests go under one liveness view (DESIGN.md section 4). */
export interface Placement {
  readonly vnode: number;
  /** The row's replicas in row order (the preference list). */
  readonly replicas: readonly ServerId[];
  /** Replicas the caller believes are up, in row order. */
  readonly live: readonly ServerId[];
  /** Replicas the caller believes are down, in row order. */
  readonly down: readonly ServerId[];
  /**
   * A server receiving the vnode (row.pending.to): writes go to it too and need W acks of the row
   * it will make (a joint quorum, see WriteRound); reads ignore it.
   */
  readonly pendingTarget: ServerId | undefined;
  /** The replica the pending move replaces (row.pending.from); undefined when no move is pending. */
  readonly pendingFrom: ServerId | undefined;
  /** The first live replica: it assigns the dot of a write. Undefined when every replica is down. */
  readonly coordinator: ServerId | undefined;
  /**
   * The ring walk past the row (RoutingTable.fallbacks), whatever their liveness: a write or read
   * round takes the first ones it believes up when a replica cannot answer (sloppy quorum). Not
   * filtered here, so the usual case builds nothing: the table's memoized array.
   */
  readonly fallbacks: readonly ServerId[];
}

/**
 * Pure: the same table, vnode and liveness give the same placement (riak_core's
 * `active_owners(Ring, UpNodes)`), so the coordinator is testable without a network.
 */
export function placementOf(table: RoutingTable, vnode: number, liveness: Liveness): Placement {
  const row = table.row(vnode);
  const fallbacks = table.fallbacks(vnode);
  let allUp = true;
  for (const server of row.replicas) {
    if (!liveness.isUp(server)) {
      allUp = false;
      break;
    }
  }
  // The usual case on the request path: the row itself is the live list, no arrays built.
  if (allUp) return { vnode, replicas: row.replicas, live: row.replicas, down: NONE, pendingTarget: row.pending?.to, pendingFrom: row.pending?.from, coordinator: row.replicas[0], fallbacks };
  const live: ServerId[] = [];
  const down: ServerId[] = [];
  for (const server of row.replicas) {
    if (liveness.isUp(server)) live.push(server);
    else down.push(server);
  }
  return {
    vnode,
    replicas: row.replicas,
    live,
    down,
    pendingTarget: row.pending?.to,
    pendingFrom: row.pending?.from,
    coordinator: live[0],
    fallbacks,
  };
}
