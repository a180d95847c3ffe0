/**
 * Anti-entropy between two real StorageNodes over TCP (RESP, the node catalogue): a replica that
 * missed writes is repaired in steady state, and a node restarted empty on the same port is
 * refilled with no client read while its /health says recovering, then not.
 */
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { SeededRandom, SystemClock, silentLogger } from '../../src/runtime/index.js';
import { loadConfig } from '../../src/config/index.js';
import { RoutingTable } from '../../src/ring/index.js';
import type { ServerId, Table } from '../../src/ring/index.js';
import { StorageNode } from '../../src/node/index.js';
import type { NodeTableView } from '../../src/node/index.js';
import { coordinatedPut } from '../../src/version/index.js';
import type { AntiEntropyService } from '../../src/anti-entropy/index.js';

const clock = new SystemClock();
const V = 16;
const KEYS = 400;
const encoder = new TextEncoder();
const config = loadConfig({
  file: {
    cluster: { vnodeCount: V, replicaCount: 2 },
    replication: { r: 1, w: 1 },
    antiEntropy: { intervalMs: 50, exchangesMax: 4, keysPerRoundMax: 100, messageBytesMax: 8192, leavesPerNode: 1024, requestTimeoutMs: 2000 },
    nodes: [{ id: 'n1', zone: 'a', port: 0, httpPort: 0 }, { id: 'n2', zone: 'b', port: 0, httpPort: 0 }],
  },
});

let table: RoutingTable | undefined;
const view: NodeTableView = { current: () => table, epoch: () => table?.epoch ?? 0, observeEpoch: () => undefined };
const nodes = new Map<ServerId, StorageNode>();
afterAll(async () => {
  for (const node of nodes.values()) await node.stop();
});

async function boot(id: ServerId, port = 0, httpPort = 0): Promise<StorageNode> {
  const node = new StorageNode({
    serverId: id, config, clock, random: new SeededRandom(id === 'n1' ? 1 : 2), logger: silentLogger, registry: new Registry(),
    table: view, listen: { host: '127.0.0.1', port, httpPort },
  });
  await node.start();
  nodes.set(id, node);
  return node;
}

function tableOf(ports: ReadonlyMap<ServerId, [number, number]>): Table {
  return {
    epoch: 1, vnodeCount: V, replicaCount: 2,
    servers: [...ports].map(([id, [port, httpPort]], i) => ({ id, zone: String.fromCharCode(97 + i), capacity: 1, host: '127.0.0.1', port, httpPort, state: 'active' })),
    rows: Array.from({ length: V }, () => ({ replicas: ['n1', 'n2'] })),
  };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  for (let waited = 0; waited < timeoutMs; waited += 20) {
    if (await condition()) return true;
    await clock.sleep(20);
  }
  return condition();
}

/** GET over a connection of its own: a pooled one may still point at the node stopped on the same port. */
function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => { resolve(body); });
    }).on('error', reject);
  });
}

async function health(node: StorageNode): Promise<{ recovering: boolean; pendingVnodes: number }> {
  return JSON.parse(await get(node.httpPort, '/health')) as { recovering: boolean; pendingVnodes: number };
}

describe('anti-entropy over TCP between two StorageNodes', () => {
  it('repairs a replica that missed writes, and refills a node restarted empty, with no client read', async () => {
    const n1 = await boot('n1');
    let n2 = await boot('n2');
    table = new RoutingTable(tableOf(new Map([['n1', [n1.respPort, n1.httpPort]], ['n2', [n2.respPort, n2.httpPort]]])));
    // Both started empty: each syncs every vnode with the other, then neither is recovering.
    expect(await until(async () => !(await health(n1)).recovering && !(await health(n2)).recovering, 10_000)).toBe(true);

    for (let i = 0; i < KEYS; i++) {
      const key = encoder.encode(`key:${i}`);
      const state = coordinatedPut(undefined, { value: encoder.encode(`value ${i}`), context: null, dot: { actor: n1.actor, counter: i + 1 }, timestampMs: Math.floor(clock.nowMs()), expiresAtMs: null });
      n1.engine.put(key, table.vnodeOf(key), state);
    }
    expect(await until(() => n2.engine.stats().keys === KEYS, 10_000)).toBe(true);

    const [port, httpPort] = [n2.respPort, n2.httpPort];
    await n2.stop();
    n2 = await boot('n2', port, httpPort);
    expect(n2.engine.isEmpty()).toBe(true);
    const seen = await health(n2);
    expect(seen.recovering).toBe(true);
    expect(await until(async () => !(await health(n2)).recovering, 10_000)).toBe(true);
    expect(n2.engine.stats().keys).toBe(KEYS);
    expect(n2.core.data.stats.reads).toBe(0);
    const service = n2.core.service('anti-entropy') as AntiEntropyService;
    expect(service.stats.keysRepaired).toBeGreaterThanOrEqual(KEYS);
    expect(service.stats.dropped).toEqual({ malformed: 0, oversized: 0, stale: 0 });
    const metrics = await get(n2.httpPort, '/metrics');
    expect(metrics).toMatch(/ringcache_node_anti_entropy_keys_repaired_total \d+/);
    expect(metrics).toMatch(/ringcache_node_anti_entropy_recovering_vnodes 0/);
  }, 30_000);
});
