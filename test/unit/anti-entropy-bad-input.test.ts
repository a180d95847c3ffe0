/**
 * Bad anti-entropy input from a peer: malformed, oversized or stale requests and replies are
 * refused with a coded error, counted by reason, and never applied; nothing crashes. A fuzz
 * property throws random bodies with random payloads at a node's handlers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RingcacheError } from '../../src/runtime/index.js';
import { encodeRoots, encodeSections, encodeStates, encodeWanted } from '../../src/anti-entropy/index.js';
import type { Envelope, PeerReply, PeerRequest } from '../../src/transport/index.js';
import { coordinatedPut } from '../../src/version/index.js';
import { AeCluster } from '../simulation/anti-entropy-cluster.js';
import type { Tamper } from '../simulation/anti-entropy-cluster.js';
import { drive } from '../simulation/drive.js';

const V = 16;
const QUIET = { antiEntropy: { intervalMs: 3_600_000, messageBytesMax: 2048 }, storage: { tombstoneGraceMs: 86_400_000 } };
const encoder = new TextEncoder();

let clusters: AeCluster[] = [];
afterEach(async () => {
  for (const cluster of clusters) await cluster.stop();
  clusters = [];
});

/** n1 and n2 hold every vnode; n3 is a member that holds none. */
function trio(tamper?: Tamper): AeCluster {
  const cluster = new AeCluster({
    seed: 3, servers: 3, vnodeCount: V, replicaCount: 2, config: QUIET, startInSync: true,
    rows: Array.from({ length: V }, () => ['n1', 'n2']), ...(tamper === undefined ? {} : { tamper }),
  });
  clusters.push(cluster);
  return cluster;
}

function keyOf(cluster: AeCluster, vnode: number, salt = 'k'): Uint8Array {
  for (let i = 0; ; i++) {
    const key = encoder.encode(`${salt}${i}`);
    if (cluster.table.vnodeOf(key) === vnode) return key;
  }
}

const stateOf = (value: string, counter = 1) => coordinatedPut(undefined, { value: encoder.encode(value), context: null, dot: { actor: 'n2.z', counter }, timestampMs: 1_700_000_000_000, expiresAtMs: null });

async function ask(cluster: AeCluster, body: PeerRequest): Promise<string> {
  try {
    await cluster.node('n1').core.handle({ epoch: 1, body });
    return 'answered';
  } catch (error) {
    if (error instanceof RingcacheError) return error.code;
    throw error;
  }
}

describe('anti-entropy refuses bad requests, counted, never applied', () => {
  it('names the reason: stale (a vnode either side does not hold), malformed, oversized', async () => {
    const cluster = trio();
    const dropped = cluster.service('n1').stats.dropped;
    const depth = cluster.service('n1').trees.shape.depth;
    const root = { kind: 'ae-root' as const, from: 'n2', fanOut: 4, depth, width: 3 as const, salt: 7, roots: encodeRoots([{ vnode: 3, hi: 0, lo: 0 }, { vnode: 5, hi: 1, lo: 2 }]) };
    expect(await ask(cluster, root)).toBe('answered');
    expect(await ask(cluster, { ...root, from: 'n3' })).toBe('RC_ERR_STALE_TABLE');
    expect(await ask(cluster, { ...root, from: 'n1' })).toBe('RC_ERR_PROTOCOL');
    expect(await ask(cluster, { ...root, depth: depth + 1 })).toBe('RC_ERR_PROTOCOL');
    expect(await ask(cluster, { ...root, roots: encodeRoots([{ vnode: V, hi: 0, lo: 0 }]) })).toBe('RC_ERR_PROTOCOL');
    const nodes = { kind: 'ae-nodes' as const, from: 'n2', level: 1, width: 3 as const, salt: 9, nodes: encodeSections([{ vnode: 3, indexes: [0, 3] }]) };
    expect(await ask(cluster, nodes)).toBe('answered');
    expect(await ask(cluster, { ...nodes, level: depth })).toBe('RC_ERR_PROTOCOL');
    expect(await ask(cluster, { ...nodes, nodes: encodeSections([{ vnode: 3, indexes: [4] }]) })).toBe('RC_ERR_PROTOCOL');
    expect(await ask(cluster, { ...nodes, width: 8, salt: 1 })).toBe('RC_ERR_PROTOCOL');
    expect(await ask(cluster, { ...nodes, nodes: Buffer.from([1, 3, 2, 0, 0]) })).toBe('RC_ERR_PROTOCOL');
    expect(await ask(cluster, { ...nodes, nodes: Buffer.alloc(4096, 1) })).toBe('RC_ERR_PROTOCOL');
    const keys = { kind: 'ae-keys' as const, from: 'n2', width: 3 as const, salt: 3, leaves: encodeSections([{ vnode: 3, indexes: [0, 5] }, { vnode: 9, indexes: [1] }]) };
    expect(await ask(cluster, keys)).toBe('answered');
    expect(await ask(cluster, { ...keys, leaves: encodeSections([{ vnode: 3, indexes: [4 ** depth] }]) })).toBe('RC_ERR_PROTOCOL');
    expect(dropped).toEqual({ malformed: 8, oversized: 1, stale: 1 });
  });

  it('applies nothing from a sync with a bad state, an oversized one, or one from a server that does not keep the vnode', async () => {
    const cluster = trio();
    const engine = cluster.node('n1').engine;
    let changes = 0;
    engine.subscribe(() => { changes++; });
    const good = { key: keyOf(cluster, 3), versioned: stateOf('good') };
    const sync = { kind: 'ae-sync' as const, from: 'n2', width: 8 as const, salt: 0, wanted: encodeWanted([], 8) };
    expect(await ask(cluster, { ...sync, states: Buffer.concat([encodeStates([good]).subarray(0, 5), Buffer.from([9])]) })).toBe('RC_ERR_PROTOCOL');
    const many = Array.from({ length: 40 }, (_, i) => ({ key: keyOf(cluster, 3, `m${i}-`), versioned: stateOf('x'.repeat(60), 10 + i) }));
    expect(await ask(cluster, { ...sync, states: encodeStates(many) })).toBe('RC_ERR_PROTOCOL');
    expect(await ask(cluster, { ...sync, states: Buffer.from([1, 200]) })).toBe('RC_ERR_PROTOCOL');
    expect(changes).toBe(0);
    expect(engine.isEmpty()).toBe(true);
    expect(cluster.service('n1').stats.dropped).toEqual({ malformed: 2, oversized: 1, stale: 0 });
    // A member that keeps none of the vnodes cannot push into them.
    expect(await ask(cluster, { ...sync, from: 'n3', states: encodeStates([good]) })).toBe('RC_ERR_STALE_TABLE');
    expect(changes).toBe(0);
    expect(await ask(cluster, { ...sync, states: encodeStates([good]) })).toBe('answered');
    expect(changes).toBe(1);
  });

  it('survives random requests: only coded errors, and a refused request changes nothing', async () => {
    const cluster = trio();
    const engine = cluster.node('n1').engine;
    let changes = 0;
    engine.subscribe(() => { changes++; });
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }), fc.constant(encodeSections([{ vnode: 2, indexes: [0, 1, 2] }])), fc.constant(encodeRoots([{ vnode: 1, hi: 5, lo: 5 }])),
      fc.constant(encodeStates([{ key: keyOf(cluster, 0), versioned: stateOf('v') }])), fc.constant(encodeWanted([{ vnode: 4, leaf: 1, hi: 3, lo: 3 }], 8)),
    );
    const body = fc.record({
      kind: fc.constantFrom('ae-root' as const, 'ae-nodes' as const, 'ae-keys' as const, 'ae-sync' as const),
      from: fc.constantFrom('n1', 'n2', 'n3', 'zz'), fanOut: fc.constantFrom(2, 4), depth: fc.integer({ min: 1, max: 6 }),
      level: fc.integer({ min: 0, max: 6 }), width: fc.constantFrom(3 as const, 8 as const), salt: fc.nat(),
      roots: bytes, nodes: bytes, leaves: bytes, wanted: bytes, states: bytes,
    });
    return fc.assert(fc.asyncProperty(body, async (request) => {
      const before = changes;
      // A body of every kind's fields at once: each handler reads the fields of its kind.
      const outcome = await ask(cluster, request);
      if (outcome !== 'answered') {
        expect(['RC_ERR_PROTOCOL', 'RC_ERR_STALE_TABLE']).toContain(outcome);
        expect(changes).toBe(before);
      }
    }), { numRuns: 1500 });
  });
});

describe('anti-entropy refuses bad replies', () => {
  it('counts a reply that does not decode as malformed, applies nothing, and ends the round failed', async () => {
    const garble: Tamper = (server, request, reply): Envelope<PeerReply> => {
      if (server === 'n2' && request.body.kind === 'ae-sync' && reply.body.kind === 'ae-sync-reply') {
        return { ...reply, body: { ...reply.body, states: Buffer.from([3, 1, 9, 9]) } };
      }
      return reply;
    };
    const cluster = trio(garble);
    const key = keyOf(cluster, 5);
    cluster.node('n2').engine.put(key, 5, stateOf('only on n2'));
    let changes = 0;
    cluster.node('n1').engine.subscribe(() => { changes++; });
    await drive(cluster.clock, cluster.service('n1').visitNow(5));
    const stats = cluster.service('n1').stats;
    expect(stats.vnodeOutcomes.failed).toBe(1);
    expect(stats.dropped.malformed).toBe(1);
    expect(changes).toBe(0);
  });
});
