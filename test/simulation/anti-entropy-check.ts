/**
 * Checks over an AeCluster's stores, with no client read: what a node holds against what the
 * other replicas of each key's row hold.
 */
import type { ServerId } from '../../src/ring/index.js';
import { isDead, liveSiblings, merge, versionsEqual } from '../../src/version/index.js';
import type { Versioned } from '../../src/version/index.js';
import type { AeCluster } from './anti-entropy-cluster.js';

const encoder = new TextEncoder();

/** `held` has seen everything `expected` has: merging `expected` in changes nothing. */
export function covers(held: Versioned | undefined, expected: Versioned | undefined): boolean {
  if (expected === undefined) return true;
  if (held === undefined) return false;
  return versionsEqual(merge(held, expected), held);
}

/**
 * Keys of `keys` whose row holds `server` and whose state there lacks something another replica
 * of the row holds (`reference` instead of the live stores when given, e.g. a snapshot taken
 * before a crash). Dead states (collectable) count as absent.
 */
export function missingOn(cluster: AeCluster, server: ServerId, keys: readonly string[], reference?: ReadonlyMap<string, Versioned>): string[] {
  const missing: string[] = [];
  const nowMs = cluster.clock.nowMs();
  const graceMs = cluster.config.storage.tombstoneGraceMs;
  for (const key of keys) {
    const bytes = encoder.encode(key);
    const states = cluster.replicaStates(bytes);
    if (!states.has(server)) continue;
    let expected = reference?.get(key);
    if (reference === undefined) {
      for (const [other, state] of states) {
        if (other === server || state === undefined) continue;
        expected = expected === undefined ? state : merge(expected, state);
      }
    }
    if (expected !== undefined && isDead(expected, nowMs, graceMs)) continue;
    if (!covers(states.get(server), expected)) missing.push(key);
  }
  return missing;
}

/** The merged state of every key over the replicas of its row, as they stand now. */
export function snapshot(cluster: AeCluster, keys: readonly string[]): Map<string, Versioned> {
  const states = new Map<string, Versioned>();
  for (const key of keys) {
    let merged: Versioned | undefined;
    for (const state of cluster.replicaStates(encoder.encode(key)).values()) {
      if (state !== undefined) merged = merged === undefined ? state : merge(merged, state);
    }
    if (merged !== undefined) states.set(key, merged);
  }
  return states;
}

/** Replicas holding a live (not tombstone, not expired) value of `key`. */
export function liveHolders(cluster: AeCluster, key: string): ServerId[] {
  const holders: ServerId[] = [];
  for (const [server, state] of cluster.replicaStates(encoder.encode(key))) {
    if (state !== undefined && liveSiblings(state, cluster.clock.nowMs()).length > 0) holders.push(server);
  }
  return holders;
}
