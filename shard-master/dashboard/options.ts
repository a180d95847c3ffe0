/**
 * The dashboard's limits and cadences. Not config keys: they shape what the page shows, not how the
 * cluster behaves, and a dashboard that lies about its detection bound would be worse than none.
 */
export interface DashboardOptions {
  /** How often the master GETs every node's and the configured proxy's /health. */
  readonly probeIntervalMs: number;
  /** A probe with no answer by then failed; a refused connection fails at once. */
  readonly probeTimeoutMs: number;
  /**
   * A server whose probes have failed for this long is down; before that it is suspect (one
   * failed probe is a dropped packet as often as a dead process).
   */
  readonly downAfterMs: number;
  /** Probes and stats fetches in flight at once, so a large cluster cannot swamp the master. */
  readonly fetchParallelMax: number;
  /** A node's /v1/stats lists every vnode it holds (~40 bytes each; V <= 65536): read no further. */
  readonly statsBytesMax: number;
  /** A proxy's or node's /health is a few fields. */
  readonly healthBytesMax: number;
  /**
   * A stats sample younger than this answers the next request: the page polls every second, and
   * several viewers (or `ringcache status --watch`) share one round of node requests.
   */
  readonly sampleReuseMs: number;
  /** Points of history kept per server: 600 at one a second is the last ten minutes. */
  readonly historyPointsMax: number;
  /** Proxies whose request figures are kept (proxy-book.ts); each keeps historyPointsMax points. */
  readonly proxiesMax: number;
  /** A proxy with no report for this many of its intervals shows as silent. */
  readonly proxySilentAfterIntervals: number;
  /** A proxy silent this long is forgotten: its points have left the charts' ten minutes by then. */
  readonly proxyForgetAfterMs: number;
}

export const DASHBOARD_DEFAULTS: Readonly<DashboardOptions> = Object.freeze({
  probeIntervalMs: 1000,
  probeTimeoutMs: 800,
  downAfterMs: 2000,
  fetchParallelMax: 16,
  statsBytesMax: 8 * 1024 * 1024,
  healthBytesMax: 16 * 1024,
  sampleReuseMs: 500,
  historyPointsMax: 600,
  proxiesMax: 64,
  proxySilentAfterIntervals: 3,
  proxyForgetAfterMs: 600_000,
});

/**
 * How long after a process dies the master can still call it up or suspect, at worst (I the probe
 * interval, T the probe timeout, D downAfterMs):
 *
 *   dies just after a probe answered       the next probe starts within I
 *   that probe fails                        suspect, failing since that probe started (s1)
 *   probes go on every I                    the first one started at or after s1 + D ends
 *                                           within s1 + D + I + T, and says down
 *
 *   bound = 2 I + D + T          (4.8 s with the defaults; a refused connection fails well before T)
 */
export function detectionBoundMs(options: DashboardOptions): number {
  return 2 * options.probeIntervalMs + options.downAfterMs + options.probeTimeoutMs;
}
