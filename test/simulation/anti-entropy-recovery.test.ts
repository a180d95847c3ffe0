/**
 * A node that restarts empty is refilled by anti-entropy alone (no client read), within a stated
 * bound of virtual time, and leaves recovering only once it holds every key its rows hold; a
 * rolling restart loses nothing. Planted bugs (a listing that skips one subtree, a vnode marked
 * synced at once) make the same checks fail, so they can.
 *
 * The bound: 5 servers, V = 16, N = 3, 400 keys, antiEntropy.intervalMs = 100 (AE_TEST_CONFIG).
 * The restarted node holds ~10 vnodes; a visit is 2 exchanges of ~7 round trips of ~2.4 ms mean
 * (SIM_NETWORK_DEFAULTS); with 2 visits at once and the next pending vnode started as soon as a
 * slot frees, a refill takes ~10 / 2 x 2 x 7 x 2.4 ms ~ 170 ms after the first tick (<= 125 ms).
 * REFILL_MS_MAX allows 4x that.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AeCluster } from './anti-entropy-cluster.js';
import type { AeNode, Tamper } from './anti-entropy-cluster.js';
import { missingOn, snapshot } from './anti-entropy-check.js';
import { drive } from './drive.js';
import { contextWeight, decodeListing, decodeSections, encodeListing, listedHash, listedPosition } from '../../src/anti-entropy/index.js';
import type { Versioned } from '../../src/version/index.js';

const REFILL_MS_MAX = 1200;
const encoder = new TextEncoder();
const KEYS = Array.from({ length: 400 }, (_, i) => `key:${i}`);

let clusters: AeCluster[] = [];
afterEach(async () => {
  for (const cluster of clusters) await cluster.stop();
  clusters = [];
});

function cluster(seed: number, tamper?: Tamper): AeCluster {
  const made = new AeCluster({ seed, servers: 5, vnodeCount: 16, replicaCount: 3, startInSync: true, ...(tamper === undefined ? {} : { tamper }) });
  clusters.push(made);
  return made;
}

async function writeAll(target: AeCluster, keys: readonly string[], w: number, deleteEvery = 0): Promise<void> {
  const writer = target.coordinator(`writer-${String(w)}`, w);
  for (const [index, key] of keys.entries()) {
    const value = deleteEvery > 0 && index % deleteEvery === 0 ? null : encoder.encode(`${key}@${String(target.clock.nowMs())}`);
    await drive(target.clock, writer.put(encoder.encode(key), value));
  }
}

interface Refill {
  readonly node: AeNode;
  /** Virtual ms from the restart until the node left recovering (undefined: it did not). */
  readonly tookMs: number | undefined;
  /** Keys the node lacked at the moment it left recovering. */
  readonly missingWhenSynced: string[] | undefined;
}

/** Restarts `server` empty and runs until it leaves recovering (or REFILL_MS_MAX passes). */
async function restartAndRefill(target: AeCluster, server: string, reference: ReadonlyMap<string, Versioned>, plant?: (node: AeNode) => void): Promise<Refill> {
  const startedMs = target.clock.nowMs();
  const node = target.restart(server);
  let missingWhenSynced: string[] | undefined;
  let tookMs: number | undefined;
  node.core.context.recovery.onChange((recovering) => {
    if (recovering) return;
    tookMs = target.clock.nowMs() - startedMs;
    missingWhenSynced = missingOn(target, server, KEYS, reference);
  });
  await target.run(0);
  plant?.(node);
  await target.run(REFILL_MS_MAX, () => tookMs !== undefined);
  return { node, tookMs, missingWhenSynced };
}

describe('recovery by anti-entropy, no client reads', () => {
  it(`refills a node restarted empty within ${String(REFILL_MS_MAX)} ms of virtual time, and it leaves recovering holding every key`, async () => {
    const sim = cluster(11);
    await writeAll(sim, KEYS.slice(0, 300), 3, 10);
    sim.crash('n3');
    // Acknowledged while n3 was down: on the other two replicas only.
    await writeAll(sim, KEYS.slice(300), 2);
    const reference = snapshot(sim, KEYS);
    const { node, tookMs, missingWhenSynced } = await restartAndRefill(sim, 'n3', reference);
    expect(tookMs).toBeDefined();
    expect(tookMs).toBeLessThanOrEqual(REFILL_MS_MAX);
    expect(missingWhenSynced).toEqual([]);
    expect(node.core.context.recovery.recovering).toBe(false);
    // No client read or write reached it; MERGEs may (the hints of the writes it missed, replayed).
    expect(node.core.data.stats.reads + node.core.data.stats.coordinatedPuts).toBe(0);
    const held = KEYS.filter((key) => sim.replicaStates(encoder.encode(key)).has('n3'));
    expect(held.length).toBeGreaterThan(150);
    expect(node.engine.stats().keys).toBe(held.length);
    expect(sim.service('n3').stats.keysRepaired + node.core.data.stats.merges).toBeGreaterThanOrEqual(held.length);
  });

  it('survives a rolling restart, each node in turn once the one before is in sync, with writes between and a replica that missed some', async () => {
    const sim = cluster(12);
    await writeAll(sim, KEYS.slice(0, 200), 2);
    for (const [step, server] of ['n1', 'n2', 'n3', 'n4', 'n5'].entries()) {
      // Writes a replica misses: n5 is cut off while they are acknowledged by the other two.
      sim.network.partition(['n5'], ['n1', 'n2', 'n3', 'n4', 'writer-2']);
      await writeAll(sim, KEYS.slice(200 + 40 * step, 240 + 40 * step), 2);
      sim.network.heal();
      const reference = snapshot(sim, KEYS);
      const { tookMs, missingWhenSynced } = await restartAndRefill(sim, server, reference);
      expect(tookMs, `${server} leaves recovering`).toBeDefined();
      expect(missingWhenSynced, `${server} holds every key when in sync`).toEqual([]);
    }
    // Nothing acknowledged was lost: every replica converges on every key.
    const final = snapshot(sim, KEYS);
    expect(final.size).toBe(KEYS.length);
    await sim.run(5_000, () => ['n1', 'n2', 'n3', 'n4', 'n5'].every((server) => missingOn(sim, server, KEYS).length === 0));
    for (const server of ['n1', 'n2', 'n3', 'n4', 'n5']) expect(missingOn(sim, server, KEYS), server).toEqual([]);
  });
});

describe('the recovery check catches planted bugs', () => {
  it('a subtree skipped by the exchange: the node would leave recovering without its keys', async () => {
    let skippedVnode = -1;
    let skippedLeaf = -1;
    let skipped = 0;
    // Either way round, the first differing leaf of one vnode is made to look equal: n3's own
    // listings of it come back empty, and n3 answers a peer's listing with the peer's own keys.
    const skipOneLeaf: Tamper = (server, request, reply) => {
      const { body } = request;
      if (body.kind !== 'ae-keys' || reply.body.kind !== 'ae-keys-reply' || reply.body.listed === 0) return reply;
      if (body.from !== 'n3' && server !== 'n3') return reply;
      const pairs = decodeSections(body.leaves, 1 << 16, 1 << 20, 1 << 20, 'leaves').flatMap(({ vnode, indexes }) => indexes.map((leaf) => ({ vnode, leaf })));
      const listing = decodeListing(reply.body.listing, reply.body.listed, 1 << 20, body.width);
      if (skippedLeaf < 0) skippedLeaf = pairs.find((pair) => pair.vnode === skippedVnode)?.leaf ?? -1;
      const index = pairs.findIndex((pair) => pair.vnode === skippedVnode && pair.leaf === skippedLeaf);
      if (index < 0 || index >= listing.length) return reply;
      skipped++;
      listing[index] = body.from === 'n3' ? [] : sim.service(body.from).trees.entriesIn(skippedVnode, new Set([skippedLeaf]))
        .map((entry) => ({ position: listedPosition(entry.position), ...listedHash(entry.hi, entry.lo, body.width, body.salt), weight: contextWeight(entry.versioned) }));
      return { ...reply, body: { ...reply.body, listing: encodeListing(listing, body.width) } };
    };
    const sim = cluster(13, skipOneLeaf);
    skippedVnode = sim.table.table.rows.findIndex((row) => row.replicas.includes('n3'));
    await writeAll(sim, KEYS, 3);
    const reference = snapshot(sim, KEYS);
    const { tookMs, missingWhenSynced } = await restartAndRefill(sim, 'n3', reference);
    expect(skipped).toBeGreaterThan(0);
    expect(tookMs).toBeDefined();
    expect(missingWhenSynced?.length).toBeGreaterThan(0);
  });

  it('vnodes marked synced at once: the node leaves recovering while empty', async () => {
    const sim = cluster(14);
    await writeAll(sim, KEYS, 3);
    const reference = snapshot(sim, KEYS);
    const { missingWhenSynced } = await restartAndRefill(sim, 'n3', reference, (node) => {
      const recovery = node.core.context.recovery;
      for (const vnode of recovery.pendingList()) recovery.markSynced(vnode);
    });
    expect(missingWhenSynced?.length).toBeGreaterThan(100);
  });
});

describe('a vnode the table gives a node later', () => {
  it('makes the node recovering until that vnode is synced, then it holds the vnode\'s keys', async () => {
    const sim = new AeCluster({ seed: 15, servers: 3, vnodeCount: 4, replicaCount: 2, startInSync: true, rows: [['n1', 'n2'], ['n1', 'n2'], ['n1', 'n2'], ['n1', 'n2']] });
    clusters.push(sim);
    await writeAll(sim, KEYS.slice(0, 100), 2);
    const n3 = sim.node('n3');
    expect(n3.core.context.recovery.recovering).toBe(false);
    const heard: boolean[] = [];
    n3.core.context.recovery.onChange((recovering) => heard.push(recovering));
    // n3 takes n2's place in vnodes 0 and 1.
    sim.setRows([['n1', 'n3'], ['n3', 'n1'], ['n1', 'n2'], ['n1', 'n2']]);
    expect(n3.core.context.recovery.pendingList()).toEqual([0, 1]);
    expect(sim.node('n2').core.context.recovery.recovering).toBe(false);
    await sim.run(REFILL_MS_MAX, () => !n3.core.context.recovery.recovering);
    expect(heard).toEqual([true, false]);
    const moved = KEYS.slice(0, 100).filter((key) => sim.table.vnodeOf(encoder.encode(key)) < 2);
    expect(moved.length).toBeGreaterThan(20);
    expect(missingOn(sim, 'n3', moved)).toEqual([]);
    expect(n3.engine.stats().keys).toBe(moved.length);
  });
});
