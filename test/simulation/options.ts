import type { Random } from '../../src/runtime/index.js';

/** One simulated cluster run. Every field is drawn from the seed unless overridden. */
export interface SimulationOptions {
  readonly servers: number;
  readonly zones: number;
  readonly vnodeCount: number;
  readonly replicaCount: number;
  readonly r: number;
  readonly w: number;
  readonly clients: number;
  readonly keys: number;
  readonly operationsPerClient: number;
  /** Mean virtual pause between one client's operations. */
  readonly thinkMsMean: number;
  /** Mean virtual time between two fault injections; Infinity turns faults off. */
  readonly faultIntervalMsMean: number;
  /** At most this many nodes are crashed at once. */
  readonly crashedMax: number;
  readonly dropRateMax: number;
  readonly duplicateRateMax: number;
  readonly requestTimeoutMs: number;
  /** Virtual time after heal within which replicas must agree with no client read. */
  readonly convergeMsMax: number;
  /** A slow node's latency multiplier is drawn up to this (200 x ~1 ms: a paused process, past requestTimeoutMs). */
  readonly slowFactorMax: number;
  /**
   * The table changes while clients run: the nemesis queues replica moves, adds a server, drains
   * one, restarts the master's executor and crashes the whole master, which comes back from its
   * persisted state (sim-master.ts), on top of its faults.
   */
  readonly tableChanges: boolean;
  /**
   * A bug planted in the nodes, to prove the checker catches it (test/simulation/checker.test.ts):
   * 'drop-merges' acks replication without storing it; 'empty-reads' answers some reads with
   * nothing; 'reused-actor' restarts a node under its old actor, so dots repeat; 'early-gc'
   * collects tombstones at once (a grace shorter than the time a delete takes to reach every
   * replica), so a replica that missed a delete brings the value back; 'hasty-detector' declares
   * a member down on one missed probe (no indirect probes, no suspicion), so message loss alone
   * makes false downs; 'hasty-move' breaks replica moves: the target is reported synced as soon
   * as it is the target (before anti-entropy filled it) and the old copy is dropped at the swap
   * with no grace, so a write only the old replica held is gone and nothing is left to repair it;
   * 'restart-swaps-moves' has a master that comes back from a crash take the moves in flight for
   * finished (their sync progress was only in memory) and swap the unsynced targets in.
   * 'forget-expiry' drops the expiry of every hash, set and sorted set a node is sent to merge (as
   * a codec without the expiry section would), so elements of an expired key come back there.
   */
  readonly bug: 'none' | 'drop-merges' | 'empty-reads' | 'reused-actor' | 'early-gc' | 'hasty-detector' | 'hasty-move' | 'restart-swaps-moves' | 'forget-expiry';
}

export const SIMULATION_DEFAULTS: SimulationOptions = Object.freeze({
  servers: 5,
  zones: 3,
  vnodeCount: 16,
  replicaCount: 3,
  r: 2,
  w: 2,
  clients: 4,
  keys: 6,
  operationsPerClient: 60,
  thinkMsMean: 20,
  faultIntervalMsMean: 400,
  crashedMax: 2,
  dropRateMax: 0.05,
  duplicateRateMax: 0.05,
  requestTimeoutMs: 200,
  convergeMsMax: 30_000,
  slowFactorMax: 200,
  tableChanges: false,
  bug: 'none',
});

/** Varies the cluster shape and quorums by seed, so 500 seeds cover more than one configuration. */
export function drawOptions(random: Random, overrides: Partial<SimulationOptions>): SimulationOptions {
  const quorums: readonly (readonly [number, number])[] = [[2, 2], [2, 2], [2, 2], [1, 3], [3, 1]];
  const [r, w] = quorums[random.int(quorums.length)] ?? [2, 2];
  return {
    ...SIMULATION_DEFAULTS,
    servers: 4 + random.int(3),
    keys: 3 + random.int(6),
    r,
    w,
    faultIntervalMsMean: 200 + random.int(800),
    tableChanges: random.int(2) === 1,
    ...overrides,
  };
}
