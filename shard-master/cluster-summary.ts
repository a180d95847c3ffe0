/**
 * What `GET /v1/cluster` answers and `ringcache status` prints: per server, the replicas it holds
 * against its capacity-weighted target (shares.ts), and the imbalance the rebalancer works on.
 *
 *   imbalance = max over servers with a target of (replicas / target) - 1
 *
 * 0 means every server holds exactly its share; 0.25 means the fullest holds 25% more than its
 * share (DESIGN.md section 6: the rebalancer acts above `imbalanceTolerance`). Draining servers
 * have target 0 and are left out of the maximum: what they still hold is shown as `replicas`.
 * Pure: a function of the table and, for each server's `liveness`, the gossip view the master
 * last pulled from a node (membership/view-puller.ts).
 */
import type { ServerId, Table } from '../src/ring/index.js';
import type { ClusterSummary, ServerSummary, ZoneSummary } from '../src/client/admin-api.js';
import type { MemberLiveness } from '../src/membership/index.js';

export type { ClusterSummary, ServerSummary, ZoneSummary };
import { compareIds, replicaCounts, targetCounts } from './shares.js';

/** The gossip view as the summary needs it: whose it is, how old, and each server's liveness. */
export interface GossipLiveness {
  readonly from: ServerId;
  readonly ageMs: number;
  of(server: ServerId): MemberLiveness | undefined;
}

export function clusterSummary(table: Table, gossip?: GossipLiveness): ClusterSummary {
  const total = table.vnodeCount * table.replicaCount;
  const held = replicaCounts(table);
  const targets = targetCounts(table.servers, table.vnodeCount, table.replicaCount);
  const leads = new Map<ServerId, number>();
  for (const row of table.rows) {
    const first = row.replicas[0];
    if (first !== undefined) leads.set(first, (leads.get(first) ?? 0) + 1);
  }
  const servers = [...table.servers]
    .sort((a, b) => compareIds(a.id, b.id))
    .map((server): ServerSummary => {
      const replicas = held.get(server.id) ?? 0;
      const liveness = gossip?.of(server.id);
      return {
        ...server, replicas, target: targets.get(server.id) ?? 0, share: replicas / total, leads: leads.get(server.id) ?? 0,
        ...(liveness === undefined ? {} : { liveness }),
      };
    });
  let fullest = 0;
  for (const server of servers) {
    if (server.target > 0) fullest = Math.max(fullest, server.replicas / server.target);
  }
  return {
    epoch: table.epoch,
    vnodeCount: table.vnodeCount,
    replicaCount: table.replicaCount,
    servers,
    imbalance: fullest - 1,
    zones: zoneSummaries(servers),
    ...(gossip === undefined ? {} : { gossip: { from: gossip.from, ageMs: gossip.ageMs } }),
  };
}

function zoneSummaries(servers: readonly ServerSummary[]): ZoneSummary[] {
  const zones = new Map<string, { servers: ServerId[]; replicas: number; target: number }>();
  for (const server of servers) {
    const zone = zones.get(server.zone) ?? { servers: [], replicas: 0, target: 0 };
    zone.servers.push(server.id);
    zone.replicas += server.replicas;
    zone.target += server.target;
    zones.set(server.zone, zone);
  }
  return [...zones.entries()]
    .sort(([a], [b]) => compareIds(a, b))
    .map(([zone, summary]) => ({ zone, ...summary }));
}
