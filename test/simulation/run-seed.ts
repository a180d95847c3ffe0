import { SeededRandom } from '../../src/runtime/index.js';
import { SimCluster } from './cluster.js';
import { check, type FinalKey } from './checker.js';
import { drawOptions, type SimulationOptions } from './options.js';
import { runClient, runNemesis } from './workload.js';
import { runClockUntil } from './drive.js';

export interface SeedReport {
  readonly seed: number;
  readonly options: SimulationOptions;
  readonly operations: number;
  readonly ackedWrites: number;
  readonly lostAckedWrites: number;
  readonly maxSiblings: number;
  readonly failedOperations: number;
  readonly simulatedMs: number;
  readonly events: number;
  readonly violations: readonly string[];
}

const encoder = new TextEncoder();
/** Virtual time after the clients finish for background repair and in-flight messages to settle. */
const QUIESCE_MS = 5_000;

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
  let events = await runClockUntil(cluster.clock, Number.POSITIVE_INFINITY, () => finished === clients.length);

  cluster.network.heal();
  cluster.network.configure({ dropRate: 0, duplicateRate: 0 });
  for (const server of cluster.serverIds) cluster.restart(server);
  events += await runClockUntil(cluster.clock, cluster.clock.nowMs() + QUIESCE_MS, () => false);

  const reader = cluster.coordinator('checker', { r: options.replicaCount, w: 1 });
  const keys = Array.from({ length: options.keys }, (_, i) => `k${String(i)}`);
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
  const operations = cluster.history.operations;
  return {
    seed,
    options,
    operations: operations.length,
    ackedWrites: report.ackedWrites,
    lostAckedWrites: report.lostAckedWrites,
    maxSiblings: report.maxSiblings,
    failedOperations: operations.filter((o) => o.outcome === 'failed').length,
    simulatedMs: cluster.clock.nowMs() - started,
    events,
    violations: [...finalReadFailures, ...report.violations],
  };
}
