import type { ServerId } from '../ring/index.js';
import type { ServerSummary } from './admin-api.js';

/**
 * The wire shapes of the shard-master's `GET /v1/dashboard` (shard-master/dashboard/), read by the
 * page and by `ringcache status`: defined on the src/ side for the same reason as admin-api.ts.
 */

/** The cluster's view: gossip's when the master has it, else the master's own /health probes. */
export type ServerStatus = 'up' | 'suspect' | 'down' | 'recovering' | 'unknown';

/** What the master's /health probes say: suspect from the first failure, down after downAfterMs. */
export type ProbeStatus = 'unknown' | 'up' | 'suspect' | 'down';

export interface ProbeView {
  readonly status: ProbeStatus;
  /** When the last completed probe started (ms since the Unix epoch). */
  readonly checkedAtMs: number | null;
  /** When the current failing streak began; null while up. */
  readonly failingSinceMs: number | null;
  readonly error: string | null;
  readonly roundTripMs: number | null;
}

/** What a node says it holds (its /v1/stats), as opposed to what the table gives it. */
export interface Holdings {
  readonly atMs: number;
  readonly keys: number;
  readonly bytes: number;
  readonly bytesMax: number;
  /** Vnodes it holds at least one key of (against `replicas`, the rows the table gives it). */
  readonly vnodes: number;
  readonly epoch: number;
  readonly evictions: number;
  readonly rejections: number;
}

export interface RequestFigures {
  readonly perSec: number;
  readonly errorsPerSec: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export interface DashboardServer extends ServerSummary {
  readonly status: ServerStatus;
  readonly statusSource: 'gossip' | 'probe';
  readonly probe: ProbeView;
  readonly holds: Holdings | null;
  /** Why `holds` is null (connection refused, token refused, not sampled yet). */
  readonly holdsProblem: string | null;
  /** null: the node reports no request counters, or two snapshots are not in yet. */
  readonly requests: RequestFigures | null;
  /** The node's /v1/stats carries request counters at all. */
  readonly requestsReported: boolean;
}

export interface DashboardProxy {
  readonly source: 'config';
  readonly url: string;
  readonly probe: ProbeView;
  /** From its last /health answer: the epoch it routes with and how many servers it avoids. */
  readonly epoch: number | null;
  readonly serversDown: number | null;
}

/** One load report of a proxy: its own client commands over the report's interval. */
export interface ProxyHistoryPoint {
  /** When the master received the report (the master's clock, as every other time here). */
  readonly atMs: number;
  readonly perSec: number;
  /** Failed on the cluster's side (quorum, timeout, internal: 5xx). */
  readonly errorsPerSec: number;
  /** Refused as bad input or over a limit (4xx). */
  readonly rejectedPerSec: number;
  /** null when the interval timed no request. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** A proxy that posts load reports with request figures (src/load/request-tally.ts). */
export interface ReportingProxy {
  /** Its reporter name (`proxy.<random>`): one per process, a restart is a new one. */
  readonly id: string;
  /** Where it says it listens (redis://host:port, http://host:port); text from the wire. */
  readonly endpoints: readonly string[];
  /** 'silent' once no report came for proxySilentAfterIntervals intervals; forgotten later. */
  readonly status: 'reporting' | 'silent';
  readonly epoch: number;
  readonly intervalMs: number;
  readonly firstReportAtMs: number;
  readonly lastReportAtMs: number;
  /** Its last report's figures. */
  readonly latest: ProxyHistoryPoint;
}

/** One point of a server's history, one per stats round. */
export interface HistoryPoint {
  readonly atMs: number;
  readonly keys: number | null;
  readonly bytes: number | null;
  readonly perSec: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** GET /v1/dashboard[?since=MS]. */
export interface DashboardOverview {
  readonly atMs: number;
  readonly epoch: number;
  /** When the table in force was committed (the master's state file time); null if unknown. */
  readonly epochChangedAtMs: number | null;
  readonly vnodeCount: number;
  readonly replicaCount: number;
  readonly imbalance: number;
  readonly zones: readonly { readonly zone: string; readonly servers: readonly ServerId[] }[];
  readonly servers: readonly DashboardServer[];
  readonly totals: { readonly keys: number; readonly bytes: number; readonly up: number; readonly suspect: number; readonly down: number };
  readonly proxies: {
    readonly note: string;
    /** The proxy of the master's config file, probed at its /health. */
    readonly configured: readonly DashboardProxy[];
    /** Every proxy whose load reports carry request figures, by id. */
    readonly reporting: readonly ReportingProxy[];
    /** Per reporting proxy, its points after `?since=` (every kept one without it). */
    readonly history: Readonly<Record<string, readonly ProxyHistoryPoint[]>>;
  };
  /** Per server, the points after `?since=` (every kept one without it). */
  readonly history: Readonly<Record<ServerId, readonly HistoryPoint[]>>;
  /** The probe cadence and the worst case from a process dying to the master calling it down. */
  readonly detection: { readonly probeIntervalMs: number; readonly downAfterMs: number; readonly boundMs: number };
}

/** GET /v1/dashboard/vnodes: one heat-map cell per vnode. */
export interface VnodeView {
  readonly epoch: number;
  readonly vnodeCount: number;
  readonly replicaCount: number;
  readonly servers: readonly ServerId[];
  /** rows[v]: indices into `servers`, the row's replicas in order. */
  readonly rows: readonly (readonly number[])[];
  readonly pending: readonly { readonly vnode: number; readonly from: ServerId; readonly to: ServerId }[];
  /** keys[v]: the most keys any replica of v reports holding; null when none reported. */
  readonly keys: readonly (number | null)[];
}
