import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { ProcessCluster } from '../support/process-cluster.js';
import { TestNetwork } from '../support/netns.js';
import { SystemClock } from '../../src/runtime/index.js';
import { RoutingTable, vnodeOf } from '../../src/ring/index.js';
import type { Table } from '../../src/ring/index.js';
import { TcpTransport } from '../../src/transport/index.js';

/**
 * Real processes under the faults of DESIGN.md section 5, with a workload running: a node killed
 * with SIGKILL and restarted empty, a node paused with SIGSTOP (slow), a node cut off the network
 * (its veth taken down: network namespaces, when this runs as root), and a rolling restart.
 * Every acknowledged write must be readable afterwards, and the restarted node must hold every key
 * of its rows again, through hints and anti-entropy, with no client read in between.
 */
const clock = new SystemClock();
const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const network = TestNetwork.create(NODES);
const FAULT_KIND = network === undefined ? 'SIGSTOP in place of a network cut (no network namespaces here)' : 'network namespaces with veth';

interface Workload {
  readonly acked: Map<string, string>;
  readonly failures: string[];
  stop(): Promise<void>;
}

/** Writes unique keys one after another until stopped (bounded: 20,000 writes at most). */
function startWrites(redis: Redis, prefix: string): Workload {
  const acked = new Map<string, string>();
  const failures: string[] = [];
  const state = { stopping: false };
  const done = (async () => {
    for (let i = 0; i < 20_000 && !state.stopping; i++) {
      const key = `${prefix}:${String(i)}`;
      const value = `v${String(i)}`;
      try {
        await redis.set(key, value);
        acked.set(key, value);
      } catch (error) {
        failures.push(`${key}: ${(error as Error).message}`);
      }
    }
  })();
  return { acked, failures, stop: async () => { state.stopping = true; await done; } };
}

async function health(cluster: ProcessCluster, id: string): Promise<{ recovering?: boolean } | undefined> {
  try {
    const response = await fetch(`${cluster.nodeUrl(id)}/health`, { signal: AbortSignal.timeout(1000) });
    return await response.json() as { recovering?: boolean };
  } catch {
    return undefined;
  }
}

/** Waits until the node answers /health and says it is not recovering; returns how long it took. */
async function waitInSync(cluster: ProcessCluster, id: string, deadlineMs: number): Promise<number> {
  const began = clock.nowMs();
  while (clock.nowMs() - began < deadlineMs) {
    const seen = await health(cluster, id);
    if (seen !== undefined && seen.recovering === false) return clock.nowMs() - began;
    await clock.sleep(100);
  }
  throw new Error(`${id} still recovering after ${String(deadlineMs)} ms`);
}

async function tableOf(cluster: ProcessCluster): Promise<RoutingTable> {
  const response = await fetch(`http://${network?.bridgeAddress ?? '127.0.0.1'}:${String(cluster.masterPort)}/v1/table`, { headers: cluster.authorization });
  return new RoutingTable(await response.json() as Table);
}

/** Keys of `acked` whose row holds `server` but that `server` does not store. */
async function missingAt(cluster: ProcessCluster, server: string, acked: ReadonlyMap<string, string>): Promise<string[]> {
  const table = await tableOf(cluster);
  const node = (cluster.config.nodes as { id: string; host: string; port: number }[]).find((entry) => entry.id === server);
  if (node === undefined) throw new Error(`no node ${server}`);
  const transport = new TcpTransport({ resolve: () => ({ host: node.host, port: node.port }), clock, token: cluster.token });
  const missing: string[] = [];
  try {
    for (const key of acked.keys()) {
      const bytes = Buffer.from(key);
      const vnode = vnodeOf(bytes, table.vnodeCount);
      if (!table.row(vnode).replicas.includes(server)) continue;
      const reply = await transport.send(server, { epoch: table.epoch, body: { kind: 'read', key: bytes, vnode } }, 2000);
      if (reply.body.kind !== 'versioned' || reply.body.versioned === null) missing.push(key);
    }
  } finally {
    await transport.close();
  }
  return missing;
}

async function expectReadable(redis: Redis, acked: ReadonlyMap<string, string>): Promise<void> {
  const wrong: string[] = [];
  for (const [key, value] of acked) {
    const seen = await redis.get(key);
    if (seen !== value) wrong.push(`${key}: ${String(seen)} instead of ${value}`);
  }
  expect(wrong.slice(0, 10)).toEqual([]);
}

describe(`a cluster of real processes under faults (${FAULT_KIND})`, () => {
  const cluster = new ProcessCluster({
    nodes: NODES.length,
    ...(network === undefined ? {} : { network }),
    overrides: {
      antiEntropy: { intervalMs: 200 },
      hints: { ageMsMax: 60_000 },
      storage: { tombstoneGraceMs: 600_000 },
    },
  });
  let redis: Redis;

  beforeAll(async () => {
    await cluster.start();
    redis = new Redis({ port: cluster.respPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
  }, 60_000);

  afterAll(async () => {
    redis.disconnect();
    await cluster.stop();
    network?.destroy();
  }, 60_000);

  it('keeps every acknowledged write through kill -9, a paused node and a cut-off node, and refills the empty node', async () => {
    const load = startWrites(redis, 'f');
    await clock.sleep(800);
    await cluster.kill('n3');
    await clock.sleep(800);
    await cluster.startRole('n3', ['node', '--id', 'n3']);
    await clock.sleep(500);
    cluster.pause('n4');
    await clock.sleep(1500);
    cluster.resume('n4');
    await clock.sleep(500);
    if (network === undefined) cluster.pause('n2');
    else network.cut('n2');
    await clock.sleep(2000);
    if (network === undefined) cluster.resume('n2');
    else network.heal('n2');
    await clock.sleep(500);
    await load.stop();
    expect(load.acked.size).toBeGreaterThan(200);
    const refillMs = await waitInSync(cluster, 'n3', 30_000);
    expect(await missingAt(cluster, 'n3', load.acked)).toEqual([]);
    await expectReadable(redis, load.acked);
    console.log(`faults: ${String(load.acked.size)} writes acknowledged, ${String(load.failures.length)} refused; n3 in sync ${String(refillMs)} ms after the load ended (${FAULT_KIND})`);
  }, 120_000);

  it('accepts W=3 writes with one replica down, through a fallback', async () => {
    await cluster.kill('n1');
    await clock.sleep(2500);
    const failures: string[] = [];
    for (let i = 0; i < 200; i++) {
      try {
        await redis.call('RC.SETV', `w3:${String(i)}`, `x${String(i)}`, '', 'W', '3');
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    await cluster.startRole('n1', ['node', '--id', 'n1']);
    await waitInSync(cluster, 'n1', 30_000);
  }, 120_000);

  it('loses no acknowledged write in a rolling restart of every node under load', async () => {
    const load = startWrites(redis, 'roll');
    for (const id of NODES) {
      await cluster.kill(id);
      await clock.sleep(300);
      await cluster.startRole(id, ['node', '--id', id]);
      await waitInSync(cluster, id, 30_000);
    }
    await load.stop();
    expect(load.acked.size).toBeGreaterThan(200);
    await expectReadable(redis, load.acked);
    for (const id of NODES) expect(await missingAt(cluster, id, load.acked)).toEqual([]);
  }, 240_000);
});
