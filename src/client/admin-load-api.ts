import type { ServerId } from '../ring/index.js';

/**
 * The wire shapes of the shard-master's load and rebalance API (shard-master/admin/load.ts) that
 * `ringcache admin` prints: defined on the src/ side so both share them.
 */
export interface AdminServerLoad {
  readonly id: ServerId;
  readonly zone: string;
  readonly capacity: number;
  /** Modeled replica requests per second it serves (replica load model). */
  readonly opsPerSec: number;
  /** Value bytes per second its replicas receive. */
  readonly bytesPerSec: number;
  /** Fraction of all replica requests, in [0, 1]. */
  readonly share: number;
}

/** GET /v1/load. */
export interface AdminLoad {
  readonly epoch: number;
  readonly servers: readonly AdminServerLoad[];
  /** Highest load per unit of capacity over the mean (1 = perfectly even). */
  readonly maxOverMean: number;
  /** Client requests per second over every reporter. */
  readonly requestsPerSec: number;
  /** Replica requests per second of each vnode (index = vnode): the dashboard's heat map. */
  readonly vnodes: readonly number[];
  readonly reporters: number;
  readonly reportsAccepted: number;
  readonly auto: boolean;
  readonly imbalanceTolerance: number;
}

export interface AdminMove {
  readonly vnode: number;
  readonly from: ServerId;
  readonly to: ServerId;
  readonly bytes: number;
}

/** POST /v1/rebalance. */
export interface AdminRebalance {
  readonly epoch: number;
  readonly dryRun: boolean;
  readonly applied: boolean;
  /** Whether this master can carry out replica moves. */
  readonly executor: boolean;
  readonly moves: readonly AdminMove[];
  readonly leaderChanges: readonly { readonly vnode: number; readonly from: ServerId; readonly to: ServerId }[];
  readonly before: { readonly maxOverMean: number };
  readonly after: { readonly maxOverMean: number };
  readonly bytesToMove: number;
  readonly committedEpoch?: number | null;
}

export interface AdminHotKey {
  readonly key: string;
  readonly keyBase64: string;
  readonly vnode: number;
  readonly replicas: readonly ServerId[];
  readonly opsPerSec: number;
  readonly errorPerSec: number;
  readonly share: number;
  readonly reporters: number;
}

/** GET /v1/hotkeys. */
export interface AdminHotKeys {
  readonly epoch: number;
  readonly totalOpsPerSec: number;
  readonly hotKeys: readonly AdminHotKey[];
}

/** GET /v1/route/:key. */
export interface AdminRoute {
  readonly key: string;
  readonly keyBase64: string;
  readonly epoch: number;
  readonly vnode: number;
  readonly replicas: readonly ServerId[];
  readonly leader: ServerId | null;
  readonly pending: { readonly from: ServerId; readonly to: ServerId } | null;
  readonly servers: readonly { readonly id: ServerId; readonly zone: string | null; readonly host: string | null; readonly port: number | null; readonly state: string | null }[];
  readonly fallbacks: readonly ServerId[];
}
