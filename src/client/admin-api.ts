import type { MemberLiveness } from '../membership/index.js';
import type { ServerId, ServerInfo } from '../ring/index.js';

/**
 * The wire shapes of the shard-master's admin API that clients read (`ringcache status`, the
 * dashboard): defined here, on the src/ side, so shard-master/ (which builds them) and the CLI
 * (which prints them) share one definition without src/ importing shard-master/.
 */
export interface ServerSummary extends ServerInfo {
  /** Replicas the server holds in the table (pending move targets not counted). */
  readonly replicas: number;
  /** Replicas it should hold: its capacity-weighted, zone-feasible share of V*N. */
  readonly target: number;
  /** Fraction of all V*N replicas it holds, in [0, 1]. */
  readonly share: number;
  /** Rows whose first replica it is: it coordinates their writes (about replicas / N). */
  readonly leads: number;
  /**
   * How gossip sees it, from the view the master pulled from a node: 'up', 'suspect' (a probe
   * failed, not yet decided), 'down', or 'recovering' (up, restarted empty, anti-entropy not
   * done: wait for 'up' before restarting the next node). Absent while the master holds no
   * fresh view (no node answered for membership.viewStaleMs).
   */
  readonly liveness?: MemberLiveness;
}

export interface ZoneSummary {
  readonly zone: string;
  readonly servers: readonly ServerId[];
  readonly replicas: number;
  readonly target: number;
}

/** GET /v1/cluster. */
export interface ClusterSummary {
  readonly epoch: number;
  readonly vnodeCount: number;
  readonly replicaCount: number;
  readonly servers: readonly ServerSummary[];
  /** max over servers with a target of (replicas / target) - 1. */
  readonly imbalance: number;
  readonly zones: readonly ZoneSummary[];
  /** Whose gossip view `liveness` comes from and how old it is; absent without a fresh view. */
  readonly gossip?: { readonly from: ServerId; readonly ageMs: number };
}
