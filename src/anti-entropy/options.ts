/**
 * Anti-entropy settings (config section `antiEntropy`, docs/CONFIGURATION.md). Every node of a
 * cluster must use the same leavesPerNode (it decides the trees' shape; exchanges between
 * different shapes are refused and counted) and should use the same message limits.
 */
export interface AntiEntropyOptions {
  /** Mean time between two scheduling ticks; each tick starts exchanges up to exchangesMax. */
  readonly intervalMs: number;
  /** Visits this node leads at once (a bound on its outbound repair traffic and memory). */
  readonly exchangesMax: number;
  /** Vnodes one visit covers: each exchange compares them all with one peer, in the same messages. */
  readonly vnodesPerExchangeMax: number;
  /** Keys repaired (pushed, pulled or both) in one exchange; the rest waits for the next visit. */
  readonly keysPerRoundMax: number;
  /** Bytes of listings and states sent plus received in one exchange, framing included; one repair message always goes. */
  readonly bytesPerRoundMax: number;
  /** Largest anti-entropy message (a batch of digests, listings or states); one state alone may exceed it. */
  readonly messageBytesMax: number;
  /** Merkle leaves over all V vnode trees; decides each tree's depth (merkle-tree.ts treeShapeFor). */
  readonly leavesPerNode: number;
  /** Deadline of one anti-entropy request. */
  readonly requestTimeoutMs: number;
}

export const ANTI_ENTROPY_DEFAULTS: AntiEntropyOptions = Object.freeze({
  intervalMs: 1000,
  exchangesMax: 2,
  vnodesPerExchangeMax: 64,
  keysPerRoundMax: 2000,
  bytesPerRoundMax: 8 * 1024 * 1024,
  messageBytesMax: 1024 * 1024,
  leavesPerNode: 1 << 20,
  requestTimeoutMs: 10_000,
});

/** Ticks are spread uniformly over intervalMs * (1 +- INTERVAL_JITTER), so replicas never fall into step. */
export const INTERVAL_JITTER = 0.25;

/**
 * Longest time for this node to visit every vnode once (a full cycle) when each visit fits one
 * round's budget and ends within a tick: ceil(V / (exchangesMax x vnodesPerExchangeMax)) ticks
 * of at most intervalMs * (1 + jitter). A node holding all V vnodes is the worst case, so the
 * bound holds for any table. With N = 1 there is no other replica to miss a write: 0. A replica
 * that missed a delete hears of it within one cycle, which is why storage.tombstoneGraceMs must
 * be longer (config/load.ts checks it).
 */
export function antiEntropyCycleMs(
  vnodeCount: number, replicaCount: number, options: Pick<AntiEntropyOptions, 'intervalMs' | 'exchangesMax' | 'vnodesPerExchangeMax'>,
): number {
  if (replicaCount <= 1) return 0;
  return Math.ceil(vnodeCount / (options.exchangesMax * options.vnodesPerExchangeMax)) * Math.ceil(options.intervalMs * (1 + INTERVAL_JITTER));
}
