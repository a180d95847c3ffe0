/**
 * Expiry of whole sets in the simulator: real NodeCores and Coordinators over SimNetwork, with
 * lost and duplicated messages and a partition that splits clients and replicas, then heals.
 * Clients SADD and SREM members of a few sets on both sides; one client per set sets its expiry
 * (PEXPIREAT) some time ahead, so adds land before and after it, on the side that saw the EXPIRE
 * and on the side that did not. After heal and a full read with read repair the checker requires,
 * of every set whose EXPIRE was acknowledged before it came due:
 *
 *   every replica holds the same state;
 *   no replica shows a member whose every SADD was acknowledged before the expiry (the old key
 *     is gone, also on a replica that missed the EXPIRE, also after repair);
 *   an acknowledged SADD issued after the expiry is there unless an SREM of that member was
 *     issued after it (the new key keeps ORSWOT's add-wins).
 *
 * The planted bug 'forget-expiry' (a node drops the expiry of what it is sent to merge) must make
 * the checker fail.
 */
import { describe, expect, it } from 'vitest';
import { collectionOf, operateAsync, presentElements } from '../../src/datatypes/index.js';
import type { Coordinator } from '../../src/replication/index.js';
import { encodeVersioned } from '../../src/version/index.js';
import type { SimulationOptions } from './options.js';
import { SimCluster } from './cluster.js';
import { drive } from './drive.js';
import { SIMULATION_DEFAULTS } from './options.js';

/** Members are named by the 100 ms slot they are first used in, so some are only ever added before an expiry. */
const MEMBERS_PER_SLOT = 3;
/** Per set: when its EXPIRE is issued and when it comes due (ms of simulated time). */
const EXPIRIES = [
  { key: Buffer.from('x:during'), issueMs: 120, dueMs: 500 },
  { key: Buffer.from('x:across'), issueMs: 300, dueMs: 1000 },
  { key: Buffer.from('x:after'), issueMs: 950, dueMs: 1200 },
] as const;

interface AddRecord {
  readonly member: string;
  readonly issuedMs: number;
  /** undefined: not acknowledged (it may or may not have been applied). */
  readonly ackedMs: number | undefined;
}

interface KeyHistory {
  readonly adds: AddRecord[];
  readonly removes: { member: string; issuedMs: number }[];
  expireAckedMs: number | undefined;
}

async function client(cluster: SimCluster, coordinator: Coordinator, operations: number, histories: Map<string, KeyHistory>, startMs: number): Promise<void> {
  for (let i = 0; i < operations; i++) {
    const target = EXPIRIES[cluster.random.int(EXPIRIES.length)] as (typeof EXPIRIES)[number];
    const history = histories.get(target.key.toString()) as KeyHistory;
    const member = `m${String(cluster.random.int(MEMBERS_PER_SLOT))}@${String(Math.floor((cluster.clock.nowMs() - startMs) / 100))}`;
    const issuedMs = cluster.clock.nowMs();
    if (cluster.random.int(4) < 3) {
      let ackedMs: number | undefined;
      try {
        const outcome = await operateAsync(coordinator, target.key, 'sadd', [Buffer.from(member)]);
        if (typeof outcome !== 'string') ackedMs = cluster.clock.nowMs();
      } catch {
        // Unacknowledged: it may or may not be there.
      }
      history.adds.push({ member, issuedMs, ackedMs });
    } else {
      history.removes.push({ member, issuedMs });
      await operateAsync(coordinator, target.key, 'srem', [Buffer.from(member)]).catch(() => undefined);
    }
    await cluster.clock.sleep(1 + cluster.random.int(30));
  }
}

async function expirer(cluster: SimCluster, coordinator: Coordinator, histories: Map<string, KeyHistory>, startMs: number): Promise<void> {
  for (const target of EXPIRIES) {
    await cluster.clock.sleep(Math.max(0, startMs + target.issueMs - cluster.clock.nowMs()));
    // Make sure the set is not empty at the coordinator, so the EXPIRE applies.
    await operateAsync(coordinator, target.key, 'sadd', [Buffer.from('seed')]).catch(() => undefined);
    (histories.get(target.key.toString()) as KeyHistory).adds.push({ member: 'seed', issuedMs: cluster.clock.nowMs(), ackedMs: undefined });
    try {
      const outcome = await operateAsync(coordinator, target.key, 'pexpireat', [Buffer.from(String(startMs + target.dueMs))]);
      if (typeof outcome !== 'string' && outcome.answer.integer === 1n) {
        (histories.get(target.key.toString()) as KeyHistory).expireAckedMs = cluster.clock.nowMs();
      }
    } catch {
      // Unacknowledged: the key may or may not expire, so it is not checked.
    }
  }
}

async function run(seed: number, bug: SimulationOptions['bug']): Promise<{ violations: string[]; checkedKeys: number; oldOnly: number }> {
  const cluster = new SimCluster(seed, { ...SIMULATION_DEFAULTS, faultIntervalMsMean: Number.POSITIVE_INFINITY, bug });
  cluster.network.configure({ dropRate: 0.02, duplicateRate: 0.1 });
  const histories = new Map<string, KeyHistory>(EXPIRIES.map(({ key }) => [key.toString(), { adds: [], removes: [], expireAckedMs: undefined }]));
  const coordinators = ['c1', 'c2', 'c3', 'c4'].map((name) => cluster.coordinator(name));
  const servers = cluster.serverIds;
  const startMs = cluster.clock.nowMs();
  cluster.clock.schedule(150, () => { cluster.network.partition(['c1', 'c2', ...servers.slice(0, 2)], ['c3', 'c4', ...servers.slice(2)]); });
  cluster.clock.schedule(800, () => { cluster.network.heal(); });
  await drive(cluster.clock, Promise.all([
    ...coordinators.map((coordinator) => client(cluster, coordinator, 90, histories, startMs)),
    expirer(cluster, coordinators[0] as Coordinator, histories, startMs),
  ]));
  cluster.network.heal();
  cluster.network.configure({ dropRate: 0, duplicateRate: 0 });
  const reader = cluster.coordinator('checker', { r: SIMULATION_DEFAULTS.replicaCount });
  for (const { key } of EXPIRIES) await drive(cluster.clock, reader.get(key).catch(() => undefined));
  await drive(cluster.clock, cluster.clock.sleep(1000));
  const nowMs = cluster.clock.nowMs();
  const violations: string[] = [];
  let checkedKeys = 0;
  let oldOnly = 0;
  for (const target of EXPIRIES) {
    const name = target.key.toString();
    const history = histories.get(name) as KeyHistory;
    const dueMs = startMs + target.dueMs;
    if (history.expireAckedMs === undefined || history.expireAckedMs >= dueMs) continue;
    checkedKeys++;
    const states = [...cluster.replicaStates(target.key).values()];
    const first = states[0];
    if (first === undefined || states.some((state) => state === undefined || !encodeVersioned(state).equals(encodeVersioned(first)))) {
      violations.push(`${name}: replicas differ after heal and read repair`);
    }
    const old = [...new Set(history.adds.map((add) => add.member))].filter((member) => {
      const adds = history.adds.filter((add) => add.member === member);
      return adds.length > 0 && adds.every((add) => add.ackedMs !== undefined && add.ackedMs < dueMs);
    });
    oldOnly += old.length;
    for (const [server, state] of cluster.replicaStates(target.key)) {
      const present = new Set(presentElements(collectionOf(state?.collections, 'set'), nowMs).map((element) => Buffer.from(element.member).toString()));
      for (const member of old) if (present.has(member)) violations.push(`${name} ${member}: every SADD was acknowledged before the expiry, yet ${server} shows it`);
      for (const add of history.adds) {
        if (add.ackedMs === undefined || add.issuedMs < dueMs || present.has(add.member)) continue;
        const removedLater = history.removes.some((remove) => remove.member === add.member && remove.issuedMs >= add.issuedMs);
        if (!removedLater) violations.push(`${name} ${add.member}: SADD at ${String(add.issuedMs)} ms, after the expiry, vanished on ${server}`);
      }
    }
  }
  return { violations, checkedKeys, oldOnly };
}

describe('set expiry under lost and duplicated messages and a partition', () => {
  it('replicas converge, no element of an expired set comes back, and adds after the expiry stay, over 10 seeds', async () => {
    let checked = 0;
    let oldOnly = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const outcome = await run(seed, 'none');
      expect({ seed, violations: outcome.violations }).toEqual({ seed, violations: [] });
      checked += outcome.checkedKeys;
      oldOnly += outcome.oldOnly;
    }
    // The check has something to look at: expiries that applied, and members only the old key had.
    expect(checked).toBeGreaterThan(10);
    expect(oldOnly).toBeGreaterThan(5);
  }, 120_000);

  it('the checker catches a node that drops the expiry of what it merges', async () => {
    let caught = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const { violations } = await run(seed, 'forget-expiry');
      if (violations.some((violation) => violation.includes('yet'))) caught++;
    }
    expect(caught).toBeGreaterThan(0);
  }, 120_000);
});
