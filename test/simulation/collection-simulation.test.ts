/**
 * Sets and hash counters in the simulator: real NodeCores (the service of nodeServices() that
 * applies RC.TYPEDOP) and real Coordinators over SimNetwork, with lost and duplicated messages
 * and a partition that splits clients and replicas, then heals. Clients SADD and SREM members of
 * a few sets, HINCRBY and HINCRBYFLOAT fields of hashes, and ZINCRBY members of a sorted set, on
 * both sides. After heal and a full read with read repair the checker requires:
 *
 *   every replica of every key holds the same state;
 *   an acknowledged SADD of m is in the final set unless an SREM of m was issued after that SADD
 *     was (only a later remove can have observed the add: ORSWOT's add-wins);
 *   no member is in the final set that no SADD added;
 *   a field or member counts its acknowledged increments exactly once: acked <= value <= acked +
 *     unacked (integers for HINCRBY; multiples of 1/4 for HINCRBYFLOAT and ZINCRBY, so every sum
 *     is exact, and an unacknowledged one may be negative: bounded by its magnitude).
 *
 * Planted bugs must make the checker fail: a client that removes one member but records removing
 * another (the check sees a vanished acknowledged add), and a client that increments by reading
 * the value and writing the sum (HSET / ZADD: the read-then-write these commands were before
 * they were counters), which loses one of two concurrent increments.
 */
import { describe, expect, it } from 'vitest';
import { collectionOf, fieldView, formatFloatText, operateAsync, presentElements, scoreOf } from '../../src/datatypes/index.js';
import type { CollectionType, Element, OperationName } from '../../src/datatypes/index.js';
import type { Coordinator } from '../../src/replication/index.js';
import { encodeVersioned } from '../../src/version/index.js';
import { SimCluster } from './cluster.js';
import { drive } from './drive.js';
import { SIMULATION_DEFAULTS } from './options.js';

const SETS = ['s:a', 's:b'].map((key) => Buffer.from(key));
const HASH = Buffer.from('h:counts');
const FLOAT_HASH = Buffer.from('h:floats');
const ZSET = Buffer.from('z:scores');
const MEMBERS = ['m0', 'm1', 'm2', 'm3', 'm4'];
const FIELDS = ['f0', 'f1'];

type Bug = 'none' | 'remove-other-member' | 'read-then-write';

/** The float counters: a hash's fields (HINCRBYFLOAT) and a sorted set's members (ZINCRBY). */
const FLOAT_KEYS: readonly { readonly key: Buffer; readonly type: CollectionType; readonly name: OperationName }[] = [
  { key: FLOAT_HASH, type: 'hash', name: 'hincrbyfloat' },
  { key: ZSET, type: 'zset', name: 'zincrby' },
];

function floatValue(type: CollectionType, element: Element | undefined): number {
  if (type === 'zset') return scoreOf(element) ?? 0;
  const view = fieldView(element);
  return view.kind === 'float' ? view.value : view.kind === 'integer' ? Number(view.value) : 0;
}

/**
 * One float increment. The planted bug reads the value through a quorum read and writes the
 * sum: two clients doing it concurrently (or a partition between them) keep one of the two.
 */
async function floatIncrement(
  coordinator: Coordinator, target: (typeof FLOAT_KEYS)[number], field: string, amount: number, bug: Bug, nowMs: number,
): Promise<void> {
  const member = Buffer.from(field);
  if (bug !== 'read-then-write') {
    const args = target.type === 'hash' ? [member, Buffer.from(String(amount))] : [Buffer.from(String(amount)), member];
    const outcome = await operateAsync(coordinator, target.key, target.name, args);
    if (typeof outcome === 'string') throw new Error(outcome);
    return;
  }
  const read = await coordinator.get(target.key);
  const elements = presentElements(collectionOf(read.versioned?.collections, target.type), nowMs);
  const next = Buffer.from(formatFloatText(floatValue(target.type, elements.find((element) => Buffer.from(element.member).equals(member))) + amount));
  const outcome = target.type === 'hash'
    ? await operateAsync(coordinator, target.key, 'hset', [member, next])
    : await operateAsync(coordinator, target.key, 'zadd', [next, member]);
  if (typeof outcome === 'string') throw new Error(outcome);
}

interface SetHistory {
  /** Per set and member: issue times of acknowledged SADDs, and of every SREM issued. */
  readonly ackedAdds: Map<string, number[]>;
  readonly removes: Map<string, number[]>;
  readonly everAdded: Set<string>;
}

interface FieldTally {
  acknowledged: bigint;
  unacknowledged: bigint;
}

interface FloatTally {
  acknowledged: number;
  unacknowledged: number;
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key) ?? [];
  list.push(value);
  map.set(key, list);
}

async function client(
  cluster: SimCluster, coordinator: Coordinator, operations: number, sets: SetHistory, fields: Map<string, FieldTally>,
  floats: Map<string, FloatTally>, bug: Bug,
): Promise<void> {
  for (let i = 0; i < operations; i++) {
    const choice = cluster.random.int(13);
    const issuedMs = cluster.clock.nowMs();
    if (choice >= 10) {
      const target = FLOAT_KEYS[cluster.random.int(FLOAT_KEYS.length)] as (typeof FLOAT_KEYS)[number];
      const field = FIELDS[cluster.random.int(FIELDS.length)] as string;
      // Quarters, positive and negative: exact in a double, so the sums are exact too.
      const amount = (cluster.random.int(41) - 20) / 4;
      const tally = floats.get(`${target.key.toString()} ${field}`) as FloatTally;
      try {
        await floatIncrement(coordinator, target, field, amount, bug, cluster.clock.nowMs());
        tally.acknowledged += amount;
      } catch {
        tally.unacknowledged += Math.abs(amount);
      }
    } else if (choice < 3) {
      const field = FIELDS[cluster.random.int(FIELDS.length)] as string;
      const amount = BigInt(1 + cluster.random.int(9));
      const tally = fields.get(field) as FieldTally;
      try {
        const outcome = await operateAsync(coordinator, HASH, 'hincrby', [Buffer.from(field), Buffer.from(amount.toString())]);
        if (typeof outcome === 'string') throw new Error(outcome);
        tally.acknowledged += amount;
      } catch {
        tally.unacknowledged += amount;
      }
    } else {
      const key = SETS[cluster.random.int(SETS.length)] as Buffer;
      const member = MEMBERS[cluster.random.int(MEMBERS.length)] as string;
      const id = `${key.toString()} ${member}`;
      if (choice < 7) {
        sets.everAdded.add(id);
        try {
          const outcome = await operateAsync(coordinator, key, 'sadd', [Buffer.from(member)]);
          if (typeof outcome === 'string') throw new Error(outcome);
          push(sets.ackedAdds, id, issuedMs);
        } catch {
          // An unacknowledged add may or may not be there: nothing to check.
        }
      } else {
        const removed = bug === 'remove-other-member' ? MEMBERS[(MEMBERS.indexOf(member) + 1) % MEMBERS.length] as string : member;
        push(sets.removes, id, issuedMs);
        await operateAsync(coordinator, key, 'srem', [Buffer.from(removed)]).catch(() => undefined);
      }
    }
    await cluster.clock.sleep(1 + cluster.random.int(30));
  }
}

async function run(seed: number, bug: Bug): Promise<{ violations: string[]; acknowledgedAdds: number }> {
  const cluster = new SimCluster(seed, { ...SIMULATION_DEFAULTS, faultIntervalMsMean: Number.POSITIVE_INFINITY });
  cluster.network.configure({ dropRate: 0.02, duplicateRate: 0.1 });
  const sets: SetHistory = { ackedAdds: new Map(), removes: new Map(), everAdded: new Set() };
  const fields = new Map(FIELDS.map((field) => [field, { acknowledged: 0n, unacknowledged: 0n }]));
  const floats = new Map(FLOAT_KEYS.flatMap(({ key }) => FIELDS.map((field) => [`${key.toString()} ${field}`, { acknowledged: 0, unacknowledged: 0 }])));
  const coordinators = ['c1', 'c2', 'c3', 'c4'].map((name) => cluster.coordinator(name));
  const servers = cluster.serverIds;
  cluster.clock.schedule(150, () => { cluster.network.partition(['c1', 'c2', ...servers.slice(0, 2)], ['c3', 'c4', ...servers.slice(2)]); });
  cluster.clock.schedule(900, () => { cluster.network.heal(); });
  await drive(cluster.clock, Promise.all(coordinators.map((coordinator) => client(cluster, coordinator, 40, sets, fields, floats, bug))));
  cluster.network.heal();
  cluster.network.configure({ dropRate: 0, duplicateRate: 0 });
  const reader = cluster.coordinator('checker', { r: SIMULATION_DEFAULTS.replicaCount });
  const keys = [...SETS, HASH, FLOAT_HASH, ZSET];
  for (const key of keys) await drive(cluster.clock, reader.get(key).catch(() => undefined));
  await drive(cluster.clock, cluster.clock.sleep(1000));
  const violations: string[] = [];
  for (const key of keys) {
    const states = [...cluster.replicaStates(key).values()];
    const first = states[0];
    if (first === undefined || states.some((state) => state === undefined || !encodeVersioned(state).equals(encodeVersioned(first)))) {
      violations.push(`${key.toString()}: replicas differ after heal and read repair`);
      continue;
    }
    if (key === HASH) {
      const elements = presentElements(collectionOf(first.collections, 'hash'), cluster.clock.nowMs());
      for (const [field, tally] of fields) {
        const view = fieldView(elements.find((element) => Buffer.from(element.member).toString() === field));
        const value = view.kind === 'integer' ? view.value : 0n;
        if (value < tally.acknowledged || value > tally.acknowledged + tally.unacknowledged) {
          violations.push(`${field}: value ${String(value)} outside acknowledged ${String(tally.acknowledged)} .. + ${String(tally.unacknowledged)}`);
        }
      }
      continue;
    }
    const target = FLOAT_KEYS.find((candidate) => candidate.key === key);
    if (target !== undefined) {
      const elements = presentElements(collectionOf(first.collections, target.type), cluster.clock.nowMs());
      for (const field of FIELDS) {
        const tally = floats.get(`${key.toString()} ${field}`) as FloatTally;
        const value = floatValue(target.type, elements.find((element) => Buffer.from(element.member).toString() === field));
        // tally.unacknowledged sums magnitudes: an unacknowledged increment may count or not, either sign.
        if (value < tally.acknowledged - tally.unacknowledged || value > tally.acknowledged + tally.unacknowledged) {
          violations.push(`${key.toString()} ${field}: value ${String(value)} outside acknowledged ${String(tally.acknowledged)} +- ${String(tally.unacknowledged)}`);
        }
      }
      continue;
    }
    const present = new Set(presentElements(collectionOf(first.collections, 'set'), cluster.clock.nowMs()).map((element) => `${key.toString()} ${Buffer.from(element.member).toString()}`));
    for (const id of present) if (!sets.everAdded.has(id)) violations.push(`${id}: present but never added`);
    for (const [id, adds] of sets.ackedAdds) {
      if (!id.startsWith(`${key.toString()} `) || present.has(id)) continue;
      const lastAdd = Math.max(...adds);
      const removedLater = (sets.removes.get(id) ?? []).some((issuedMs) => issuedMs >= lastAdd);
      if (!removedLater) violations.push(`${id}: acknowledged SADD at ${String(lastAdd)} ms vanished with no SREM issued after it`);
    }
  }
  let acknowledgedAdds = 0;
  for (const adds of sets.ackedAdds.values()) acknowledgedAdds += adds.length;
  return { violations, acknowledgedAdds };
}

describe('sets and hash counters under lost and duplicated messages and a partition', () => {
  it('converge, keep every acknowledged add no later remove observed, and count each acknowledged HINCRBY, HINCRBYFLOAT and ZINCRBY once, over 10 seeds', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const outcome = await run(seed, 'none');
      expect({ seed, violations: outcome.violations }).toEqual({ seed, violations: [] });
      expect(outcome.acknowledgedAdds).toBeGreaterThan(10);
    }
  }, 120_000);

  it('the checker catches a client that removes another member than it records', async () => {
    let caught = 0;
    for (let seed = 1; seed <= 4; seed++) if ((await run(seed, 'remove-other-member')).violations.length > 0) caught++;
    expect(caught).toBeGreaterThan(0);
  }, 120_000);

  it('the checker catches float increments done as a read and a write (a lost concurrent increment)', async () => {
    let caught = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const { violations } = await run(seed, 'read-then-write');
      if (violations.some((violation) => violation.startsWith('h:floats') || violation.startsWith('z:scores'))) caught++;
    }
    expect(caught).toBeGreaterThan(0);
  }, 120_000);
});
