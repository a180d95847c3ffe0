import { isRingcacheError } from '../../src/runtime/index.js';
import type { Coordinator } from '../../src/replication/index.js';
import type { VersionVector } from '../../src/version/types.js';
import type { SimCluster } from './cluster.js';
import type { ReadOperation, WriteOperation } from './history.js';

const encoder = new TextEncoder();

/** Exponential pause with the given mean: bursts and lulls, like real clients. */
export function pauseMs(cluster: SimCluster, meanMs: number): number {
  return -Math.log(1 - cluster.random.next()) * meanMs;
}

/**
 * One client: reads, read-modify-writes with the context it read (the shopping-cart pattern),
 * blind writes (plain Redis SET) and deletes over a small key set, so operations collide.
 */
export async function runClient(cluster: SimCluster, name: string): Promise<void> {
  const coordinator = cluster.coordinator(name);
  const { operationsPerClient, keys, thinkMsMean } = cluster.options;
  const contexts = new Map<string, VersionVector>();
  for (let i = 0; i < operationsPerClient; i++) {
    await cluster.clock.sleep(pauseMs(cluster, thinkMsMean));
    const key = `k${String(cluster.random.int(keys))}`;
    const roll = cluster.random.next();
    if (roll < 0.35) {
      await read(cluster, coordinator, name, key, contexts);
    } else if (roll < 0.65) {
      const ok = await read(cluster, coordinator, name, key, contexts);
      if (ok) await write(cluster, coordinator, name, key, `${name}:${String(i)}`, contexts.get(key) ?? null);
    } else if (roll < 0.92) {
      await write(cluster, coordinator, name, key, `${name}:${String(i)}`, null);
    } else {
      await write(cluster, coordinator, name, key, null, contexts.get(key) ?? null);
    }
  }
}

async function read(
  cluster: SimCluster, coordinator: Coordinator, client: string, key: string, contexts: Map<string, VersionVector>,
): Promise<boolean> {
  const operation: ReadOperation = { type: 'read', client, key, invokedMs: cluster.clock.nowMs(), completedMs: 0, outcome: 'pending' };
  cluster.history.operations.push(operation);
  try {
    const result = await coordinator.get(encoder.encode(key));
    operation.result = result.versioned;
    operation.sloppy = result.quorum !== 'strict';
    operation.outcome = 'ok';
    if (result.versioned === null) contexts.delete(key);
    else contexts.set(key, result.versioned.context);
    return true;
  } catch (error) {
    operation.outcome = 'failed';
    operation.errorCode = isRingcacheError(error) ? error.code : String(error);
    return false;
  } finally {
    operation.completedMs = cluster.clock.nowMs();
  }
}

async function write(
  cluster: SimCluster, coordinator: Coordinator, client: string, key: string,
  value: string | null, context: VersionVector | null,
): Promise<void> {
  const operation: WriteOperation = {
    type: 'write', client, key, value, context, invokedMs: cluster.clock.nowMs(), completedMs: 0, outcome: 'pending',
  };
  cluster.history.operations.push(operation);
  try {
    const result = await coordinator.put(encoder.encode(key), value === null ? null : encoder.encode(value), { context });
    operation.dot = result.dot;
    operation.stored = result.versioned;
    operation.hintedBy = result.hintedBy;
    operation.outcome = 'ok';
  } catch (error) {
    operation.outcome = 'failed';
    operation.errorCode = isRingcacheError(error) ? error.code : String(error);
  } finally {
    operation.completedMs = cluster.clock.nowMs();
  }
}

/**
 * The nemesis (Jepsen's word): crashes that lose memory, restarts, partitions that cut nodes and
 * clients into two sides, lossy and duplicating links, slow nodes (up to a paused process). Stops when `done()` says the clients are.
 */
export async function runNemesis(cluster: SimCluster, clients: readonly string[], done: () => boolean): Promise<void> {
  const { faultIntervalMsMean, crashedMax, dropRateMax, duplicateRateMax } = cluster.options;
  if (!Number.isFinite(faultIntervalMsMean)) return;
  const servers = cluster.serverIds;
  for (let round = 0; round < 10_000 && !done(); round++) {
    await cluster.clock.sleep(pauseMs(cluster, faultIntervalMsMean));
    if (done()) return;
    const roll = cluster.random.next();
    const down = servers.filter((s) => !cluster.isUp(s));
    if (roll < 0.25 && down.length < crashedMax) {
      const up = servers.filter((s) => cluster.isUp(s));
      const victim = up[cluster.random.int(up.length)];
      if (victim !== undefined) {
        cluster.crash(victim);
        cluster.clock.schedule(200 + pauseMs(cluster, 800), () => { cluster.restart(victim); });
      }
    } else if (roll < 0.45) {
      const everyone = [...servers, ...clients];
      const side = everyone.filter(() => cluster.random.next() < 0.5);
      cluster.partition(side, everyone.filter((x) => !side.includes(x)));
      cluster.clock.schedule(100 + pauseMs(cluster, 500), () => { cluster.heal(); });
    } else if (roll < 0.65) {
      cluster.network.configure({
        dropRate: cluster.random.next() * dropRateMax,
        duplicateRate: cluster.random.next() * duplicateRateMax,
      });
    } else if (roll < 0.8) {
      cluster.network.configure({ dropRate: 0, duplicateRate: 0 });
      cluster.heal();
    } else if (roll < 0.9) {
      const victim = servers[cluster.random.int(servers.length)];
      if (victim !== undefined) {
        cluster.slow(victim, 2 + cluster.random.next() * cluster.options.slowFactorMax);
        cluster.clock.schedule(200 + pauseMs(cluster, 1000), () => { cluster.slow(victim, 1); });
      }
    }
  }
}

/**
 * The table in motion beside the faults (options.tableChanges): replica moves within a zone, a
 * server added, one drained and then removed once empty, and master restarts, all through the
 * real move executor and membership plans (sim-master.ts).
 */
export async function runTableChanges(cluster: SimCluster, done: () => boolean): Promise<void> {
  const { master } = cluster;
  let added = 0;
  let drained: string | undefined;
  for (let round = 0; round < 10_000 && !done(); round++) {
    await cluster.clock.sleep(pauseMs(cluster, 300));
    if (done()) return;
    if (drained !== undefined && master.remove(drained)) drained = undefined;
    const roll = cluster.random.next();
    // The master plans on its own table (after a restart it may be behind the one the nodes follow).
    const table = master.liveTable.table;
    if (roll < 0.5) {
      const vnode = cluster.random.int(table.vnodeCount);
      const row = table.rows[vnode];
      const from = row?.replicas[cluster.random.int(row.replicas.length)];
      const zoneOf = new Map(table.servers.map((server) => [server.id, server]));
      const candidates = table.servers.filter((server) => server.state === 'active' && row?.replicas.includes(server.id) === false && server.zone === zoneOf.get(from ?? '')?.zone);
      const to = candidates[cluster.random.int(Math.max(1, candidates.length))];
      if (from !== undefined && to !== undefined) master.move(vnode, from, to.id);
    } else if (roll < 0.65 && added < 2 && !master.isDown) {
      added++;
      const zones = [...new Set(table.servers.map((server) => server.zone))];
      cluster.addServer(zones[cluster.random.int(zones.length)] ?? 'a');
    } else if (roll < 0.8 && drained === undefined) {
      const active = table.servers.filter((server) => server.state === 'active');
      const victim = active[cluster.random.int(active.length)];
      if (victim !== undefined && master.drain(victim.id)) drained = victim.id;
    } else if (roll < 0.85) {
      master.restartExecutor();
    } else if (roll < 0.95 && !master.isDown) {
      // The whole master process: down for a while (followers keep their table), then back
      // from its persisted state, with whatever moves were in flight.
      master.crash();
      cluster.clock.schedule(50 + pauseMs(cluster, 400), () => { master.recover(); });
    }
  }
}
