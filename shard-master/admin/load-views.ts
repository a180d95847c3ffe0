/** The JSON shapes of the load API (admin/load.ts); the CLI reads them (src/client/admin-load-api.ts). */
import type { AdminLoad, AdminRebalance } from '../../src/client/admin-load-api.js';
import type { Table } from '../../src/ring/index.js';
import type { VnodeRates } from '../load/load-book.js';
import type { ServerLoad } from '../rebalance/load-model.js';
import type { Plan } from '../rebalance/planner.js';

export interface LoadViewExtras {
  readonly reporters: number;
  readonly reportsAccepted: number;
  readonly auto: boolean;
  readonly imbalanceTolerance: number;
}

export function loadView(table: Table, rates: VnodeRates, servers: readonly ServerLoad[], ratio: number, extras: LoadViewExtras): AdminLoad {
  const bytesByServer = new Map<string, number>();
  table.rows.forEach((row, vnode) => {
    const perReplica = (rates.bytes[vnode] ?? 0) / table.replicaCount;
    for (const server of row.replicas) bytesByServer.set(server, (bytesByServer.get(server) ?? 0) + perReplica);
  });
  const totalOps = servers.reduce((sum, server) => sum + server.ops, 0);
  const zones = new Map(table.servers.map((server) => [server.id, server.zone]));
  return {
    epoch: table.epoch,
    servers: servers.map((server) => ({
      id: server.id, zone: zones.get(server.id) ?? '', capacity: server.capacity, opsPerSec: server.ops, bytesPerSec: bytesByServer.get(server.id) ?? 0,
      share: totalOps > 0 ? server.ops / totalOps : 0,
    })),
    maxOverMean: ratio,
    requestsPerSec: rates.requests.reduce((sum, value) => sum + value, 0),
    vnodes: Array.from(rates.touches, (value) => Math.round(value * 1000) / 1000),
    ...extras,
  };
}

export function planView(epoch: number, plan: Plan, flags: { dryRun: boolean; applied: boolean; executor: boolean }): AdminRebalance {
  return {
    epoch,
    ...flags,
    moves: plan.moves,
    leaderChanges: plan.leaderChanges,
    before: plan.before,
    after: plan.after,
    bytesToMove: plan.bytesToMove,
  };
}

/** A key as text when it is printable UTF-8, and always as base64. */
export function describeKey(key: Buffer): { key: string; keyBase64: string } {
  const text = key.toString('utf8');
  // Control bytes are single bytes in UTF-8: checking the bytes is checking the text.
  const printable = Buffer.from(text, 'utf8').equals(key) && !key.some((byte) => byte < 0x20 || byte === 0x7f);
  return { key: printable ? text : key.toString('base64'), keyBase64: key.toString('base64') };
}
