/**
 * Exchanges between two real NodeCores over the simulated network: differences are repaired both
 * ways with merge, keys that already agree are never touched, budgets bound a round (the rest
 * follows on later visits), and the bytes counted on both sides agree.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AeCluster } from '../simulation/anti-entropy-cluster.js';
import type { Tamper } from '../simulation/anti-entropy-cluster.js';
import { ANTI_ENTROPY_MESSAGES, replyWireBytes, requestWireBytes } from '../../src/anti-entropy/index.js';
import { MessageCatalogue } from '../../src/transport/index.js';
import { drive } from '../simulation/drive.js';
import { coordinatedPut, merge, versionsEqual } from '../../src/version/index.js';
import type { VectorEntry, Versioned } from '../../src/version/index.js';
import type { MemoryEngine } from '../../src/storage/index.js';

const encoder = new TextEncoder();
const V = 4;
/** Ticks far apart: only visitNow() drives exchanges, so each test controls every round. */
const QUIET = { antiEntropy: { intervalMs: 3_600_000 }, storage: { tombstoneGraceMs: 86_400_000 } };

let clusters: AeCluster[] = [];
afterEach(async () => {
  for (const cluster of clusters) await cluster.stop();
  clusters = [];
});

function pair(config: Record<string, Record<string, unknown>> = {}, tamper?: Tamper): AeCluster {
  const merged: Record<string, Record<string, unknown>> = { ...QUIET };
  for (const [name, section] of Object.entries(config)) merged[name] = { ...merged[name], ...section };
  const cluster = new AeCluster({ seed: 7, servers: 2, vnodeCount: V, replicaCount: 2, config: merged, startInSync: true, ...(tamper === undefined ? {} : { tamper }) });
  clusters.push(cluster);
  return cluster;
}

let counter = 0;
function write(previous: Versioned | undefined, actor: string, value: string, context = previous?.context ?? null): Versioned {
  counter++;
  return coordinatedPut(previous, { value: encoder.encode(value), context, dot: { actor, counter }, timestampMs: 1000 + counter, expiresAtMs: null });
}

function vnodeOf(cluster: AeCluster, key: Uint8Array): number {
  return cluster.table.vnodeOf(key);
}

function put(cluster: AeCluster, engine: MemoryEngine, key: Uint8Array, versioned: Versioned): void {
  engine.put(key, vnodeOf(cluster, key), versioned);
}

/** Both engines' states per key, and which keys their change feeds reported. */
function watch(engine: MemoryEngine): Set<string> {
  const changed = new Set<string>();
  engine.subscribe((_cause, _vnode, key) => { changed.add(Buffer.from(key).toString()); });
  return changed;
}

async function visitAll(cluster: AeCluster, server: string): Promise<void> {
  for (let vnode = 0; vnode < V; vnode++) await drive(cluster.clock, cluster.service(server).visitNow(vnode));
}

interface Seeded {
  readonly equal: string[];
  readonly differing: string[];
  readonly expected: Map<string, Versioned>;
}

/** 200 equal keys, and 60 that differ in every way two replicas can: missing, older, concurrent. */
function seed(cluster: AeCluster, valueBytes = 4): Seeded {
  const pad = 'x'.repeat(valueBytes);
  const a = cluster.node('n1').engine;
  const b = cluster.node('n2').engine;
  const equal: string[] = [];
  const differing: string[] = [];
  const expected = new Map<string, Versioned>();
  for (let i = 0; i < 200; i++) {
    const key = `same:${i}`;
    const state = write(undefined, 'n1.x', `v${i}`);
    put(cluster, a, encoder.encode(key), state);
    put(cluster, b, encoder.encode(key), state);
    equal.push(key);
    expected.set(key, state);
  }
  for (let i = 0; i < 60; i++) {
    const key = `diff:${i}`;
    const bytes = encoder.encode(key);
    const base = write(undefined, 'n1.x', `base${i}${pad}`);
    let left: Versioned | undefined;
    let right: Versioned | undefined;
    switch (i % 5) {
      case 0: left = base; break;
      case 1: right = base; break;
      case 2: left = write(base, 'n1.x', 'newer'); right = base; break;
      case 3: left = base; right = write(base, 'n2.y', 'newer'); break;
      default: left = write(base, 'n1.x', 'one side'); right = write(base, 'n2.y', 'other side'); break;
    }
    if (left !== undefined) put(cluster, a, bytes, left);
    if (right !== undefined) put(cluster, b, bytes, right);
    differing.push(key);
    expected.set(key, left === undefined ? right as Versioned : right === undefined ? left : merge(left, right));
  }
  return { equal, differing, expected };
}

function agreeOn(cluster: AeCluster, expected: Map<string, Versioned>): string[] {
  const problems: string[] = [];
  for (const [key, state] of expected) {
    for (const [server, held] of cluster.replicaStates(encoder.encode(key))) {
      if (held === undefined || !versionsEqual(held, state)) problems.push(`${key} on ${server}`);
    }
  }
  return problems;
}

describe('anti-entropy exchange between two NodeCores', () => {
  it('repairs every difference both ways with merge and never touches the keys that agree', async () => {
    const cluster = pair();
    const seeded = seed(cluster);
    const changedA = watch(cluster.node('n1').engine);
    const changedB = watch(cluster.node('n2').engine);
    await visitAll(cluster, 'n1');
    expect(agreeOn(cluster, seeded.expected)).toEqual([]);
    for (const key of [...changedA, ...changedB]) expect(seeded.differing).toContain(key);
    // Each side changed exactly the keys it lacked something of: 36 on n1 (missing, older,
    // concurrent), 36 on n2.
    expect(changedA.size).toBe(36);
    expect(changedB.size).toBe(36);
    const stats = cluster.service('n1').stats;
    expect(stats.vnodeOutcomes.repaired).toBeGreaterThan(0);
    expect(stats.vnodeOutcomes.failed + stats.vnodeOutcomes.partial).toBe(0);
    // One state per differing key, sent by the side that is ahead (the lighter copy is pulled, not
    // pushed), and both ways only for the 12 concurrent ones: never a state the other side had superseded.
    expect(stats.keysSent + cluster.service('n2').stats.keysSent).toBe(seeded.differing.length + 12);
  });

  it('counts the same bytes on both sides, and a second pass finds the roots equal', async () => {
    const cluster = pair();
    seed(cluster);
    await visitAll(cluster, 'n1');
    const a = cluster.service('n1').stats;
    const b = cluster.service('n2').stats;
    expect(a.bytesSent).toBe(b.bytesReceived);
    expect(a.bytesReceived).toBe(b.bytesSent);
    const before = a.vnodeOutcomes.equal;
    await visitAll(cluster, 'n2');
    expect(cluster.service('n2').stats.vnodeOutcomes.equal).toBe(V);
    expect(a.vnodeOutcomes.equal).toBe(before);
  });

  it('repairs at most keysPerRoundMax keys a round and finishes over later visits', async () => {
    const cluster = pair({ antiEntropy: { keysPerRoundMax: 5 } });
    const seeded = seed(cluster);
    const service = cluster.service('n1');
    await visitAll(cluster, 'n1');
    expect(service.stats.vnodeOutcomes.partial).toBeGreaterThan(0);
    const firstPass = service.stats.keysSent + cluster.service('n2').stats.keysSent;
    // A repair sends at most our state and theirs back.
    expect(firstPass).toBeLessThanOrEqual(2 * 5 * V);
    for (let pass = 0; pass < 20 && agreeOn(cluster, seeded.expected).length > 0; pass++) await visitAll(cluster, 'n1');
    expect(agreeOn(cluster, seeded.expected)).toEqual([]);
  });

  it('stops a round at bytesPerRoundMax of listings and states, past it by at most one reply', async () => {
    const catalogue = new MessageCatalogue(ANTI_ENTROPY_MESSAGES);
    let repairBytes = 0;
    const count: Tamper = (_server, request, reply) => {
      const { body } = request;
      if (body.kind === 'ae-keys' && reply.body.kind === 'ae-keys-reply') repairBytes += requestWireBytes(catalogue, 'ae-keys', request.epoch, body) + replyWireBytes(catalogue, 'ae-keys', reply.epoch, reply.body);
      if (body.kind === 'ae-sync' && reply.body.kind === 'ae-sync-reply') repairBytes += requestWireBytes(catalogue, 'ae-sync', request.epoch, body) + replyWireBytes(catalogue, 'ae-sync', reply.epoch, reply.body);
      return reply;
    };
    const cluster = pair({ antiEntropy: { bytesPerRoundMax: 2048, messageBytesMax: 1024 } }, count);
    const seeded = seed(cluster, 300);
    const service = cluster.service('n1');
    await drive(cluster.clock, service.visitNow(0));
    expect(service.stats.vnodeOutcomes.partial).toBe(1);
    // A request goes only while it fits; its reply may then carry the round past by one message.
    expect(repairBytes).toBeGreaterThan(1024);
    expect(repairBytes).toBeLessThanOrEqual(2048 + 1024 + 128);
    for (let pass = 0; pass < 50 && agreeOn(cluster, seeded.expected).length > 0; pass++) await visitAll(cluster, 'n1');
    expect(agreeOn(cluster, seeded.expected)).toEqual([]);
  });

  it('carries tombstones like any state: a replica that missed a delete gets it', async () => {
    const cluster = pair();
    const key = encoder.encode('deleted');
    const value = write(undefined, 'n1.x', 'alive');
    // A fresh tombstone: one older than storage.tombstoneGraceMs is about to be collected and is not sent.
    const timestampMs = Math.floor(cluster.clock.nowMs());
    const tombstone = coordinatedPut(value, { value: null, context: value.context, dot: { actor: 'n1.x', counter: ++counter }, timestampMs, expiresAtMs: null });
    put(cluster, cluster.node('n1').engine, key, tombstone);
    put(cluster, cluster.node('n2').engine, key, value);
    await drive(cluster.clock, cluster.service('n2').visitNow(vnodeOf(cluster, key)));
    for (const state of cluster.replicaStates(key).values()) expect(state?.siblings.map((sibling) => sibling.value)).toEqual([null]);
  });

  it('repairs a counter (INCR) whose lanes differ under the same context and dots', async () => {
    const cluster = pair();
    const key = encoder.encode('hits');
    const base = write(undefined, 'n1.x', '');
    const lane = (actor: string, added: bigint) => ({ actor, counter: 1, added, removed: 0n });
    put(cluster, cluster.node('n1').engine, key, { ...base, counter: { lanes: [lane('n1.x', 5n)], offsets: [] } });
    put(cluster, cluster.node('n2').engine, key, { ...base, counter: { lanes: [lane('n1.x', 5n), lane('n2.y', 2n)], offsets: [] } });
    await drive(cluster.clock, cluster.service('n1').visitNow(vnodeOf(cluster, key)));
    const states = [...cluster.replicaStates(key).values()];
    expect(states.map((state) => state?.counter?.lanes.map((each) => [each.actor, each.added]))).toEqual([[['n1.x', 5n], ['n2.y', 2n]], [['n1.x', 5n], ['n2.y', 2n]]]);
  });

  it('repairs a set whose replicas differ in one concurrent add under otherwise equal states', async () => {
    const cluster = pair();
    const key = encoder.encode('members');
    const context = [{ actor: 'n1.x.t', counter: 1 }, { actor: 'n2.y.t', counter: 1 }];
    const member = (name: string, actor: string) => ({ member: encoder.encode(name), dots: [{ dot: { actor, counter: 1 }, value: new Uint8Array(0), timestampMs: 5 }] });
    // n2 holds an add n1 never saw; n1 holds one n2 never saw: both must end with both.
    put(cluster, cluster.node('n1').engine, key, { context: [context[0] as VectorEntry], siblings: [], collections: [{ type: 'set', elements: [member('a', 'n1.x.t')] }] });
    put(cluster, cluster.node('n2').engine, key, { context: [context[1] as VectorEntry], siblings: [], collections: [{ type: 'set', elements: [member('b', 'n2.y.t')] }] });
    await drive(cluster.clock, cluster.service('n1').visitNow(vnodeOf(cluster, key)));
    const states = [...cluster.replicaStates(key).values()];
    expect(states.map((state) => state?.collections?.[0]?.elements.map((element) => Buffer.from(element.member).toString()))).toEqual([['a', 'b'], ['a', 'b']]);
  });
});
