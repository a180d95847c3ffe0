/**
 * Fencing (node/fencing.ts) and the coordinator's one retry: real NodeCores on the simulated
 * network whose table is a move ahead of the coordinator's.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { NodeCore, fence } from '../../src/node/index.js';
import { Coordinator, TableHolder, fencedEpoch } from '../../src/replication/index.js';
import { RoutingTable } from '../../src/ring/index.js';
import type { ServerInfo, Table } from '../../src/ring/index.js';
import { RingcacheError, SeededRandom, VirtualClock, silentLogger } from '../../src/runtime/index.js';
import { MemoryEngine } from '../../src/storage/index.js';
import { SimNetwork } from '../../src/transport/sim-network.js';
import { placeTable } from '../../shard-master/placement.js';
import { finishMoves, startMoves } from '../../shard-master/moves/move-plan.js';
import { drive } from '../simulation/drive.js';

const encoder = new TextEncoder();
const servers: ServerInfo[] = ['n1', 'n2', 'n3', 'n4'].map((id, i) => ({ id, zone: String.fromCharCode(97 + (i % 2)), capacity: 1, host: '127.0.0.1', port: 0, httpPort: 0, state: 'active' }));
const base = placeTable({ servers, vnodeCount: 8, replicaCount: 3, epoch: 1 });

/** The vnode of `key`, one of its replicas and the server outside its row. */
function moveOf(table: Table, key: Uint8Array): { vnode: number; from: string; to: string } {
  const vnode = new RoutingTable(table).vnodeOf(key);
  const row = table.rows[vnode]?.replicas ?? [];
  const to = servers.find((server) => !row.includes(server.id))?.id ?? '';
  return { vnode, from: row[0] ?? '', to };
}

function cluster(nodeTable: Table, tables = new Map<string, RoutingTable>()): { clock: VirtualClock; network: SimNetwork; engines: Map<string, MemoryEngine> } {
  const clock = new VirtualClock();
  const random = new SeededRandom(3);
  const network = new SimNetwork(clock, random);
  const config = loadConfig({ file: { cluster: { vnodeCount: 8, replicaCount: 3 }, nodes: servers.map((s) => ({ id: s.id, zone: s.zone, port: 0, httpPort: 0 })) } });
  const routing = new RoutingTable(nodeTable);
  const engines = new Map<string, MemoryEngine>();
  for (const server of servers) {
    const engine = new MemoryEngine({ bytesMax: 1 << 20, evictionPolicy: 'reject' });
    engines.set(server.id, engine);
    const core = new NodeCore({
      serverId: server.id, clock, random, transport: network.transport(server.id), engine, logger: silentLogger, config, services: [], startsInSync: true,
      // `tables` gives a node its own table (and a test may step it); the rest share `nodeTable`.
      table: { current: () => tables.get(server.id) ?? routing, epoch: () => (tables.get(server.id) ?? routing).epoch, observeEpoch: () => undefined },
    });
    network.listen(server.id, core);
  }
  return { clock, network, engines };
}

function coordinatorOn(env: ReturnType<typeof cluster>, holder: TableHolder): Coordinator {
  return new Coordinator({ name: 'c', transport: env.network.transport('c'), clock: env.clock, random: new SeededRandom(9), table: holder, options: { r: 2, w: 2, requestTimeoutMs: 100 } });
}

describe('fencing at the node', () => {
  const key = encoder.encode('k1');
  const move = moveOf(base, key);
  const pending = startMoves(base, [move]);
  const swapped = finishMoves(pending, [move.vnode]);
  const table = new RoutingTable(swapped);

  it('refuses an older epoch with the node epoch in the message, and a vnode not held at the same epoch', () => {
    expect(() => { fence(move.from, table, 'coord-put', 2, move.vnode); }).toThrow(/node epoch 3/);
    expect(() => { fence(move.from, table, 'read', 3, move.vnode); }).toThrow(RingcacheError);
    let code: string | undefined;
    try { fence(move.from, table, 'merge', 3, move.vnode); } catch (error) { code = (error as RingcacheError).code; expect(fencedEpoch(error)).toBe(3); }
    expect(code).toBe('RC_ERR_NOT_OWNER');
    // The new replica, a newer epoch, a fallback's hint, a ping and a node without a table pass.
    expect(() => { fence(move.to, table, 'coord-put', 3, move.vnode); }).not.toThrow();
    expect(() => { fence(move.from, table, 'coord-put', 4, move.vnode); }).not.toThrow();
    expect(() => { fence(move.from, table, 'hint', 3, move.vnode); }).not.toThrow();
    expect(() => { fence(move.from, table, 'ping', 1, undefined); }).not.toThrow();
    expect(() => { fence(move.from, undefined, 'read', 1, move.vnode); }).not.toThrow();
  });

  it('a pending target takes MERGEs at its epoch but does not coordinate', () => {
    const during = new RoutingTable(pending);
    expect(() => { fence(move.to, during, 'merge', 2, move.vnode); }).not.toThrow();
    expect(() => { fence(move.to, during, 'coord-put', 2, move.vnode); }).toThrow(/does not hold vnode/);
  });

  it('a coordinator behind the nodes is refused, fetches the table and retries once: the write lands on the new row', async () => {
    const env = cluster(swapped);
    const holder: TableHolder = new TableHolder(new RoutingTable(base), () => { env.clock.schedule(5, () => { holder.set(table); }); });
    const coordinator = coordinatorOn(env, holder);
    const written = await drive(env.clock, coordinator.put(key, encoder.encode('v')));
    expect(written.acks).toBeGreaterThanOrEqual(2);
    expect(coordinator.stats.fencingRetries).toBeGreaterThanOrEqual(1);
    expect(holder.current().epoch).toBe(3);
    await drive(env.clock, new Promise<void>((resolve) => { env.clock.schedule(50, resolve); }));
    for (const server of swapped.rows[move.vnode]?.replicas ?? []) expect(env.engines.get(server)?.get(key)).toBeDefined();
    expect(env.engines.get(move.from)?.get(key)).toBeUndefined();
    const read = await drive(env.clock, coordinator.get(key));
    expect(read.versioned).not.toBeNull();
  });

  it('reads behind the nodes retry too, and a coordinator that cannot get the table fails with the coded refusal', async () => {
    const env = cluster(swapped);
    const stuck = coordinatorOn(env, new TableHolder(new RoutingTable(base)));
    const failure = await drive(env.clock, stuck.put(key, encoder.encode('v'))).then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(RingcacheError);
    expect((failure as RingcacheError).code).toBe('RC_ERR_STALE_EPOCH');
    const holder: TableHolder = new TableHolder(new RoutingTable(base), () => { env.clock.schedule(5, () => { holder.set(table); }); });
    const reader = coordinatorOn(env, holder);
    const read = await drive(env.clock, reader.get(key));
    expect(read.versioned).toBeNull();
    expect(reader.stats.fencingRetries).toBe(1);
  });

  it('MERGEs refused while moves advance the table are all resent, through more than one epoch: the write is acknowledged', async () => {
    // Another vnode's move takes the nodes from epoch 1 to 3 while this write runs; its own row stays.
    const other = moveOf(base, encoder.encode('k2'));
    expect(other.vnode).not.toBe(move.vnode);
    const e2 = new RoutingTable(startMoves(base, [other]));
    const e3 = new RoutingTable(finishMoves(e2.table, [other.vnode]));
    const row = base.rows[move.vnode]?.replicas ?? [];
    // The coordinating replica is still at epoch 1; the other two already at 2, so both refuse its MERGE.
    const tables = new Map<string, RoutingTable>(servers.map((server) => [server.id, server.id === row[0] ? new RoutingTable(base) : e2]));
    const env = cluster(base, tables);
    const holder: TableHolder = new TableHolder(new RoutingTable(base), (epoch) => {
      env.clock.schedule(5, () => {
        holder.set(epoch >= 3 ? e3 : e2);
        // The nodes move on as the coordinator catches up: its resend at epoch 2 is refused again.
        for (const server of servers) tables.set(server.id, e3);
      });
    });
    const coordinator = coordinatorOn(env, holder);
    const written = await drive(env.clock, coordinator.put(key, encoder.encode('v')));
    expect(written.acks).toBeGreaterThanOrEqual(2);
    expect(coordinator.stats.fencingRetries).toBe(2);
    await drive(env.clock, new Promise<void>((resolve) => { env.clock.schedule(50, resolve); }));
    for (const server of row) expect(env.engines.get(server)?.get(key)).toBeDefined();
  });
});
