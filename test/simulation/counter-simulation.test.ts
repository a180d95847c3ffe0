/**
 * Counters in the simulator: real NodeCores (with the CounterService of nodeServices()) and real
 * Coordinators over SimNetwork, with lost and duplicated messages and a partition that splits
 * clients and replicas, then heals. The checker: after heal and a full read with read repair,
 * every replica of every counter holds the same state, and its value counts every acknowledged
 * increment exactly once (unacknowledged ones at most once):
 *
 *   acknowledged <= value <= acknowledged + unacknowledged      (all increments positive)
 *
 * A planted bug, a client that resends an increment under a fresh request id (a retry at another
 * coordinator would do the same), must make the checker fail.
 */
import { describe, expect, it } from 'vitest';
import { counterView, incrementCounterAsync } from '../../src/datatypes/index.js';
import type { Coordinator } from '../../src/replication/index.js';
import { encodeVersioned } from '../../src/version/index.js';
import { SimCluster } from './cluster.js';
import { drive } from './drive.js';
import { SIMULATION_DEFAULTS } from './options.js';

const KEYS = ['c:a', 'c:b', 'c:c'].map((key) => Buffer.from(key));

interface Tally {
  acknowledged: bigint;
  unacknowledged: bigint;
}

type Bug = 'none' | 'resend-fresh-id';

async function client(cluster: SimCluster, coordinator: Coordinator, operations: number, tallies: Map<string, Tally>, bug: Bug): Promise<void> {
  for (let i = 0; i < operations; i++) {
    const key = KEYS[cluster.random.int(KEYS.length)] as Buffer;
    const amount = BigInt(1 + cluster.random.int(9));
    const tally = tallies.get(key.toString()) as Tally;
    try {
      const outcome = await incrementCounterAsync(coordinator, key, amount);
      if (typeof outcome === 'string') throw new Error(`refused: ${outcome}`);
      if (bug === 'resend-fresh-id') await incrementCounterAsync(coordinator, key, amount).catch(() => undefined);
      tally.acknowledged += amount;
    } catch {
      tally.unacknowledged += amount;
    }
    await cluster.clock.sleep(1 + cluster.random.int(30));
  }
}

interface Outcome {
  readonly converged: boolean;
  readonly violations: string[];
  readonly acknowledged: bigint;
}

async function run(seed: number, bug: Bug): Promise<Outcome> {
  const cluster = new SimCluster(seed, { ...SIMULATION_DEFAULTS, faultIntervalMsMean: Number.POSITIVE_INFINITY });
  cluster.network.configure({ dropRate: 0.02, duplicateRate: 0.1 });
  const tallies = new Map(KEYS.map((key) => [key.toString(), { acknowledged: 0n, unacknowledged: 0n }]));
  const coordinators = ['c1', 'c2', 'c3', 'c4'].map((name) => cluster.coordinator(name));
  const servers = cluster.serverIds;
  // Clients and replicas split in two for a while: both sides keep counting.
  cluster.clock.schedule(150, () => { cluster.network.partition(['c1', 'c2', ...servers.slice(0, 2)], ['c3', 'c4', ...servers.slice(2)]); });
  cluster.clock.schedule(900, () => { cluster.network.heal(); });
  await drive(cluster.clock, Promise.all(coordinators.map((coordinator) => client(cluster, coordinator, 40, tallies, bug))));
  cluster.network.heal();
  cluster.network.configure({ dropRate: 0, duplicateRate: 0 });
  // A full read with read repair brings every replica of the row up to the merge of all of them.
  const reader = cluster.coordinator('checker', { r: SIMULATION_DEFAULTS.replicaCount });
  for (const key of KEYS) await drive(cluster.clock, reader.get(key).catch(() => undefined));
  await drive(cluster.clock, cluster.clock.sleep(1000));
  const violations: string[] = [];
  let converged = true;
  let acknowledged = 0n;
  for (const key of KEYS) {
    const states = [...cluster.replicaStates(key).values()];
    const first = states[0];
    if (first === undefined || states.some((state) => state === undefined || !encodeVersioned(state).equals(encodeVersioned(first)))) {
      converged = false;
      violations.push(`${key.toString()}: replicas differ after heal and read repair`);
      continue;
    }
    const view = counterView(first, cluster.clock.nowMs());
    const value = view.kind === 'integer' ? view.value : 0n;
    const tally = tallies.get(key.toString()) as Tally;
    acknowledged += tally.acknowledged;
    if (value < tally.acknowledged) violations.push(`${key.toString()}: value ${String(value)} lost acknowledged increments (${String(tally.acknowledged)})`);
    if (value > tally.acknowledged + tally.unacknowledged) {
      violations.push(`${key.toString()}: value ${String(value)} counts more than ${String(tally.acknowledged)} acknowledged + ${String(tally.unacknowledged)} unacknowledged`);
    }
  }
  return { converged, violations, acknowledged };
}

describe('counters under lost and duplicated messages and a partition', () => {
  it('count every acknowledged increment exactly once, and replicas converge, over 12 seeds', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const outcome = await run(seed, 'none');
      expect({ seed, violations: outcome.violations }).toEqual({ seed, violations: [] });
      expect(outcome.acknowledged).toBeGreaterThan(0n);
    }
  }, 60_000);

  it('the checker catches a client that resends an increment under a fresh request id', async () => {
    let caught = 0;
    for (let seed = 1; seed <= 4; seed++) if ((await run(seed, 'resend-fresh-id')).violations.length > 0) caught++;
    expect(caught).toBeGreaterThan(0);
  }, 60_000);
});
