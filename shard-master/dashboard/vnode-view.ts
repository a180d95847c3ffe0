/**
 * `GET /v1/dashboard/vnodes`: the table as the heat map draws it, one cell per vnode. Pure.
 *
 *   servers: ['n1', 'n2', 'n3', ...]       rows[v]: indices into servers, the row's replicas in order
 *   keys[v]: the most keys any replica of v reports holding (null: none of them reported)
 *
 * The page colours cells by load once the master reports load per vnode (GET /v1/load); until
 * then by keys. Server ids go by index so V=65536 rows stay a few hundred KB.
 */
import type { ServerId, Table } from '../../src/ring/index.js';
import type { VnodeView } from '../../src/client/dashboard-api.js';
import type { StatsSample } from './stats-sampler.js';

export function vnodeView(table: Table, sample: StatsSample): VnodeView {
  const servers = table.servers.map((server) => server.id);
  const index = new Map(servers.map((id, i) => [id, i]));
  const pending: { vnode: number; from: ServerId; to: ServerId }[] = [];
  const rows = table.rows.map((row, vnode) => {
    if (row.pending !== undefined) pending.push({ vnode, ...row.pending });
    return row.replicas.map((id) => index.get(id) ?? -1);
  });
  const keys = table.rows.map((row, vnode) => {
    let most: number | null = null;
    for (const replica of row.replicas) {
      const report = sample.servers.get(replica)?.report;
      if (report === undefined) continue;
      most = Math.max(most ?? 0, report.vnodeKeys.get(vnode) ?? 0);
    }
    return most;
  });
  return { epoch: table.epoch, vnodeCount: table.vnodeCount, replicaCount: table.replicaCount, servers, rows, pending, keys };
}
