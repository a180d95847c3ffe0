/**
 * The vnode -> servers table (DESIGN.md section 2), owned by the shard-master and read by every
 * proxy and node. Plain data, so it is persisted, sent over HTTP and compared as JSON.
 *
 *   key --xxHash64--> top log2(V) bits = vnode v --rows[v]--> [n3, n1, n5]   (N = 3 replicas)
 *                                                    pending? {from: n1, to: n6}  (a move, section 6)
 */

/** A server's stable name in the table, e.g. "n1". */
export type ServerId = string;

/** append only: values are persisted in the master's state file */
export type ServerState = 'active' | 'draining';

export interface ServerInfo {
  readonly id: ServerId;
  /** Failure domain (rack, availability zone). Rows spread over as many zones as exist. */
  readonly zone: string;
  /** Relative weight (> 0): a server of capacity 2 holds twice the replicas of one of capacity 1. */
  readonly capacity: number;
  /** Address of the internode RESP port. */
  readonly host: string;
  readonly port: number;
  /** Address of the node's HTTP port (health, metrics, stats). */
  readonly httpPort: number;
  readonly state: ServerState;
}

/** A replica of the row moving from one server to another (DESIGN.md section 6). */
export interface PendingMove {
  readonly from: ServerId;
  readonly to: ServerId;
}

export interface TableRow {
  /** N distinct servers; the first live one coordinates writes. */
  readonly replicas: readonly ServerId[];
  /** While set, writes also go to `to`; reads and W still count only `replicas`. */
  readonly pending?: PendingMove;
}

export interface Table {
  /** Monotonically increasing; every internode message carries the sender's epoch. */
  readonly epoch: number;
  /** V: a power of two, fixed for the life of a cluster. */
  readonly vnodeCount: number;
  /** N: replicas per vnode. */
  readonly replicaCount: number;
  readonly servers: readonly ServerInfo[];
  /** One row per vnode, indexed by vnode. */
  readonly rows: readonly TableRow[];
}

/** Which servers the caller believes are up (gossip view + local failure detection). */
export interface Liveness {
  isUp(server: ServerId): boolean;
}

/** Every server up: the view of a caller that has seen no failure. */
export const ALL_UP: Liveness = { isUp: () => true };
