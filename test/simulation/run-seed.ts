import { SeededRandom } from '../../src/runtime/index.js';
import { versionsEqual } from '../../src/version/index.js';
import type { Versioned } from '../../src/version/index.js';
import { SimCluster } from './cluster.js';
import { check, type FinalKey } from './checker.js';
import { drawOptions, type SimulationOptions } from './options.js';
import { runClient, runNemesis, runTableChanges } from './workload.js';
import { runClockUntil } from './drive.js';
import { falseDowns } from './false-downs.js';

export interface SeedReport {
  readonly seed: number;
  readonly options: SimulationOptions;
  readonly operations: number;
  readonly ackedWrites: number;
  readonly lostAckedWrites: number;
  readonly resurrections: number;
  /**
   * Virtual ms after heal until every replica of every key held the same state with no client
   * read (anti-entropy and hint replay alone); undefined if that did not happen within
   * options.convergeMsMax.
   */
  readonly convergedAfterMs: number | undefined;
  readonly maxSiblings: number;
  /** Successful reads, and those of them outside R + W > N (a fallback counted, or fewer than R answers): the checker holds only the others to every acknowledged write. */
  readonly reads: number;
  readonly sloppyReads: number;
  /** "down" verdicts about a member no fault explains (false-downs.ts). */
  readonly falseDowns: number;
  readonly failedOperations: number;
  readonly simulatedMs: number;
  readonly events: number;
  readonly violations: readonly string[];
  /** Tables the master committed (moves started and swapped in, servers added, drained, removed). */
  readonly tableCommits: number;
  readonly movesCompleted: number;
  /** Full master restarts (crash, then recovery from its persisted state). */
  readonly masterRestarts: number;
  /** Rounds a fencing refusal sent to fetch the table and retry, over every client. */
  readonly fencingRetries: number;
}

const encoder = new TextEncoder();
/** Virtual time for in-flight messages and read repair to settle after the final reads. */
const QUIESCE_MS = 5_000;
/** How often the convergence watch compares replicas while waiting for it. */
const CONVERGE_CHECK_MS = 250;

/**
 * Runs one seed: clients and the nemesis until the clients finish, then heal everything, restart
 * crashed nodes, let repair settle, do a full read (R = N) of every key with read repair, and check.
 */
export async function runSeed(seed: number, overrides: Partial<SimulationOptions> = {}): Promise<SeedReport> {
  const options = drawOptions(new SeededRandom(seed ^ 0x5eed), overrides);
  const cluster = new SimCluster(seed, options);
  const started = cluster.clock.nowMs();
  const clients = Array.from({ length: options.clients }, (_, i) => `c${String(i + 1)}`);
  let finished = 0;
  for (const client of clients) void runClient(cluster, client).finally(() => { finished++; });
  void runNemesis(cluster, clients, () => finished === clients.length);
  if (options.tableChanges) void runTableChanges(cluster, () => finished === clients.length);
  let events = await runClockUntil(cluster.clock, Number.POSITIVE_INFINITY, () => finished === clients.length);

  cluster.heal();
  cluster.network.configure({ dropRate: 0, duplicateRate: 0 });
  for (const server of cluster.serverIds) {
    cluster.restart(server);
    cluster.slow(server, 1);
  }
  const keys = Array.from({ length: options.keys }, (_, i) => `k${String(i)}`);
  const healedMs = cluster.clock.nowMs();
  let convergedAfterMs: number | undefined;
  let nextCheckMs = healedMs;
  events += await runClockUntil(cluster.clock, healedMs + options.convergeMsMax, () => {
    if (cluster.clock.nowMs() < nextCheckMs) return false;
    nextCheckMs = cluster.clock.nowMs() + CONVERGE_CHECK_MS;
    if (!replicasAgree(cluster, keys)) return false;
    convergedAfterMs = cluster.clock.nowMs() - healedMs;
    return true;
  });
  if (convergedAfterMs === undefined && replicasAgree(cluster, keys)) convergedAfterMs = cluster.clock.nowMs() - healedMs;
  events += await runClockUntil(cluster.clock, cluster.clock.nowMs() + QUIESCE_MS, () => false);

  const reader = cluster.coordinator('checker', { r: options.replicaCount, w: 1 });
  const merged = new Map<string, FinalKey['merged']>();
  const finalReadFailures: string[] = [];
  let pending = keys.length;
  for (const key of keys) {
    reader.get(encoder.encode(key)).then(
      (result) => { merged.set(key, result.versioned); },
      (error: unknown) => { finalReadFailures.push(`final read of ${key} failed after heal: ${String(error)}`); },
    ).finally(() => { pending--; });
  }
  events += await runClockUntil(cluster.clock, Number.POSITIVE_INFINITY, () => pending === 0);
  events += await runClockUntil(cluster.clock, cluster.clock.nowMs() + QUIESCE_MS, () => false);

  const finals: FinalKey[] = keys.map((key) => {
    const bytes = encoder.encode(key);
    return { key, row: cluster.rowOf(bytes), merged: merged.get(key) ?? null, replicas: cluster.replicaStates(bytes) };
  });
  const report = check(cluster.history, finals, options.r, options.w, options.replicaCount);
  // Over the whole run, the quiet time after heal included.
  const falseDownVerdicts = falseDowns(cluster.history, cluster.detectionWindowMs);
  const operations = cluster.history.operations;
  return {
    seed,
    options,
    operations: operations.length,
    ackedWrites: report.ackedWrites,
    lostAckedWrites: report.lostAckedWrites,
    resurrections: report.resurrections,
    convergedAfterMs,
    maxSiblings: report.maxSiblings,
    reads: operations.filter((o) => o.type === 'read' && o.outcome === 'ok').length,
    sloppyReads: operations.filter((o) => o.type === 'read' && o.outcome === 'ok' && o.sloppy === true).length,
    falseDowns: falseDownVerdicts.length,
    failedOperations: operations.filter((o) => o.outcome === 'failed').length,
    simulatedMs: cluster.clock.nowMs() - started,
    events,
    tableCommits: cluster.master.commits,
    movesCompleted: cluster.master.movesCompleted,
    masterRestarts: cluster.master.restarts,
    fencingRetries: cluster.fencingRetries(),
    violations: [
      ...(convergedAfterMs === undefined ? [`replicas did not agree within ${String(options.convergeMsMax)} ms of heal with no client read (hints, anti-entropy)`] : []),
      ...finalReadFailures, ...report.violations, ...falseDownVerdicts,
    ],
  };
}

/** Whether every replica of every key's row holds the same state (all absent counts as agreeing). */
function replicasAgree(cluster: SimCluster, keys: readonly string[]): boolean {
  for (const key of keys) {
    let first: Versioned | undefined;
    let seen = false;
    for (const state of cluster.replicaStates(encoder.encode(key)).values()) {
      if (!seen) {
        first = state;
        seen = true;
      } else if (state === undefined || first === undefined ? state !== first : !versionsEqual(state, first)) {
        return false;
      }
    }
  }
  return true;
}
