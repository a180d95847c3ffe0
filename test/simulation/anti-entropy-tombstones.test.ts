/**
 * Tombstones with a short grace: a replica that missed a delete (cut off while it was
 * acknowledged) hears of it from anti-entropy before the others collect the tombstone, so the
 * key never comes back. The planted counterpart (a grace config validation refuses, set past it)
 * is the main simulation's 'early-gc' bug in checker.test.ts, whose checker finds the resurrection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RingcacheError } from '../../src/runtime/index.js';
import { loadConfig } from '../../src/config/index.js';
import { antiEntropyCycleMs } from '../../src/anti-entropy/index.js';
import { coordinatedPut } from '../../src/version/index.js';
import type { Versioned } from '../../src/version/index.js';
import { AeCluster } from './anti-entropy-cluster.js';
import { liveHolders } from './anti-entropy-check.js';

const encoder = new TextEncoder();
/** V = 16, 2 visits of 64 vnodes, intervalMs 100 (AE_TEST_CONFIG): one cycle is one tick, at most 125 ms. */
const CYCLE_MS = antiEntropyCycleMs(16, 3, { intervalMs: 100, exchangesMax: 2, vnodesPerExchangeMax: 64 });
const CUT_OFF_MS = 500;
/**
 * The config check makes the grace outlive one cycle; a replica cut off for longer than the
 * grace less a cycle is the one case no grace covers (docs/CONFIGURATION.md), so the cut here is shorter.
 */
const GRACE_MS = CUT_OFF_MS + 4 * CYCLE_MS;
/** Longer than gossip takes to hold a healed node up again (suspicion timeout, refutation). */
const MEMBERSHIP_SETTLE_MS = 5000;
const KEYS = Array.from({ length: 40 }, (_, i) => `doomed:${i}`);

let clusters: AeCluster[] = [];
afterEach(async () => {
  for (const cluster of clusters) await cluster.stop();
  clusters = [];
});

/**
 * Every key written on its 3 replicas, then deleted on 2 of them while the third is cut off
 * (its copy of the delete lost); after CUT_OFF_MS the network heals. Samples, every 50 ms until
 * grace + 2 cycles have passed, which replicas hold a live value once every replica that had
 * the tombstone has collected it: a resurrection.
 */
async function deleteWhileCutOff(graceMs: number): Promise<{ resurrected: Set<string>; collected: number }> {
  const sim = new AeCluster({
    seed: 21, servers: 3, vnodeCount: 16, replicaCount: 3, startInSync: true,
    config: { storage: { tombstoneGraceMs: Math.max(graceMs, CYCLE_MS + 2), sweepIntervalMs: 50 }, hints: { ageMsMax: 1 } },
    patchConfig: (config) => ({ ...config, storage: { ...config.storage, tombstoneGraceMs: graceMs } }),
  });
  clusters.push(sim);
  let counter = 0;
  const nowMs = (): number => Math.floor(sim.clock.nowMs());
  for (const key of KEYS) {
    const bytes = encoder.encode(key);
    const vnode = sim.table.vnodeOf(bytes);
    const value: Versioned = coordinatedPut(undefined, { value: encoder.encode('alive'), context: null, dot: { actor: 'n1.a', counter: ++counter }, timestampMs: nowMs(), expiresAtMs: null });
    for (const node of sim.nodes.values()) node.engine.put(bytes, vnode, value);
  }
  await sim.run(300);
  sim.network.partition(['n3'], ['n1', 'n2']);
  for (const key of KEYS) {
    const bytes = encoder.encode(key);
    const vnode = sim.table.vnodeOf(bytes);
    const stored = sim.node('n1').engine.get(bytes);
    const tombstone = coordinatedPut(stored, { value: null, context: null, dot: { actor: 'n1.a', counter: ++counter }, timestampMs: nowMs(), expiresAtMs: null });
    sim.node('n1').engine.put(bytes, vnode, tombstone);
    sim.node('n2').engine.merge(bytes, vnode, tombstone);
  }
  await sim.run(CUT_OFF_MS);
  sim.network.heal();
  const resurrected = new Set<string>();
  const collectedOn = new Set<string>();
  // Gossip holds the cut-off replica down for a while after the heal (anti-entropy skips down
  // peers), so watch for a few seconds past grace + 2 cycles.
  const endMs = sim.clock.nowMs() + graceMs + 2 * CYCLE_MS + MEMBERSHIP_SETTLE_MS;
  while (sim.clock.nowMs() < endMs) {
    await sim.run(50);
    for (const key of KEYS) {
      const bytes = encoder.encode(key);
      if (sim.node('n1').engine.get(bytes) === undefined) collectedOn.add(key);
      if (collectedOn.has(key) && liveHolders(sim, key).length > 0) resurrected.add(key);
    }
  }
  return { resurrected, collected: collectedOn.size };
}

describe('tombstone collection after storage.tombstoneGraceMs', () => {
  it('a replica that missed a delete does not bring the key back', async () => {
    const { resurrected, collected } = await deleteWhileCutOff(GRACE_MS);
    expect(collected).toBe(KEYS.length);
    expect([...resurrected]).toEqual([]);
  });

  it('config validation refuses a grace not longer than the hint lifetime plus one cycle, naming the setting', () => {
    const HINT_MS = 1000;
    const file = { cluster: { vnodeCount: 16, replicaCount: 3 }, hints: { ageMsMax: HINT_MS }, antiEntropy: { intervalMs: 100, exchangesMax: 2, vnodesPerExchangeMax: 64 } };
    const refused = (graceMs: number): unknown => {
      try {
        loadConfig({ file: { ...file, storage: { tombstoneGraceMs: graceMs } } });
        return undefined;
      } catch (error) {
        return error;
      }
    };
    const error = refused(HINT_MS + CYCLE_MS);
    expect(error).toBeInstanceOf(RingcacheError);
    expect((error as RingcacheError).code).toBe('RC_ERR_CONFIG');
    expect((error as RingcacheError).message).toContain(`storage.tombstoneGraceMs (${String(HINT_MS + CYCLE_MS)} ms)`);
    expect((error as RingcacheError).message).toMatch(/hints\.ageMsMax.*antiEntropy\.exchangesMax.*antiEntropy\.vnodesPerExchangeMax.*antiEntropy\.intervalMs/);
    expect(refused(HINT_MS + CYCLE_MS + 1)).toBeUndefined();
    // N = 1: no other replica can miss a delete, so anti-entropy adds nothing to the bound.
    expect(() => loadConfig({ file: { cluster: { vnodeCount: 16, replicaCount: 1 }, replication: { r: 1, w: 1 }, storage: { tombstoneGraceMs: 1 } } })).not.toThrow();
  });
});
