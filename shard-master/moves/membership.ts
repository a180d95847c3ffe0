/**
 * Adding, draining and removing servers as plans over the move mechanism (DESIGN.md section 6):
 * pure functions from the master's state to the servers, the table to commit and the moves to
 * queue, riak_core's stage -> plan -> commit. Nothing is committed here; an invariant a change
 * would break is refused with a coded error and the state is left as it was.
 *
 *   add     servers + S (active); table e+1 knows S (rows unchanged); moves: the join placement
 *           (placement.ts: keep what stays, move about S's share) diffed against the table the
 *           moves already planned lead to
 *   drain   S draining; table e+1 says so; moves: every replica of S to the placement's choice
 *   remove  only once S holds nothing and no queued move names it: table e+1 without S
 */
import type { ServerId, ServerInfo, Table } from '../../src/ring/index.js';
import { RingcacheError } from '../../src/runtime/index.js';
import { placeTable } from '../placement.js';
import { compareIds } from '../shares.js';
import { movesBetween, projectedTable } from './move-plan.js';
import type { Move } from './move-plan.js';

export interface MembershipState {
  readonly servers: readonly ServerInfo[];
  readonly table: Table;
  readonly queued: readonly Move[];
}

export interface MembershipPlan {
  readonly servers: readonly ServerInfo[];
  /** The table to commit (epoch + 1): its servers change, its rows do not. */
  readonly table: Table;
  /** Moves to append to the queue, in order. */
  readonly moves: readonly Move[];
}

export function planAdd(state: MembershipState, server: ServerInfo, tokensPerServer?: number): MembershipPlan {
  if (state.servers.some((known) => known.id === server.id)) {
    throw new RingcacheError('RC_ERR_SERVER_EXISTS', `server ${server.id} is already a member; pick another id, or drain and remove the old one first`, { server: server.id });
  }
  // Port 0 (a test's "pick a free one") clashes with nothing.
  const clash = state.servers.find((known) => known.host === server.host && ((server.port !== 0 && known.port === server.port) || (server.httpPort !== 0 && known.httpPort === server.httpPort)));
  if (clash !== undefined) {
    throw new RingcacheError('RC_ERR_SERVER_EXISTS', `server ${clash.id} already listens at ${server.host} on port ${String(server.port)} or ${String(server.httpPort)}`, { server: clash.id });
  }
  const servers = sorted([...state.servers, { ...server, state: 'active' }]);
  return plan(state, servers, tokensPerServer);
}

export function planDrain(state: MembershipState, id: ServerId, tokensPerServer?: number): MembershipPlan {
  const server = member(state, id);
  if (server.state === 'draining') return { servers: state.servers, table: state.table, moves: [] };
  const active = state.servers.filter((known) => known.state === 'active');
  const remaining = active.filter((known) => known.id !== id);
  const { replicaCount } = state.table;
  if (remaining.length < replicaCount) {
    throw new RingcacheError('RC_ERR_MEMBERSHIP', `draining ${id} would leave ${String(remaining.length)} active servers for N=${String(replicaCount)} replicas per vnode; add a server first`, { server: id, activeServers: remaining.length, replicaCount });
  }
  const zonesBefore = new Set(active.map((known) => known.zone)).size;
  const zonesAfter = new Set(remaining.map((known) => known.zone)).size;
  if (zonesAfter < Math.min(replicaCount, zonesBefore)) {
    throw new RingcacheError(
      'RC_ERR_MEMBERSHIP',
      `draining ${id} would leave ${String(zonesAfter)} zones where rows span ${String(Math.min(replicaCount, zonesBefore))}: it is the last active server of zone ${server.zone}; add a server there first`,
      { server: id, zone: server.zone },
    );
  }
  const servers = state.servers.map((known): ServerInfo => (known.id === id ? { ...known, state: 'draining' } : known));
  return plan(state, servers, tokensPerServer);
}

/** The servers and table without `id`; refused while it holds a replica, receives one or a queued move names it. */
export function planRemove(state: MembershipState, id: ServerId): MembershipPlan {
  member(state, id);
  const held = state.table.rows.filter((row) => row.replicas.includes(id) || row.pending?.to === id).length;
  if (held > 0) {
    throw new RingcacheError('RC_ERR_MEMBERSHIP', `${id} still holds ${String(held)} replicas; drain it (POST /v1/servers/${id}/drain) and wait for GET /v1/moves to finish before removing it`, { server: id, replicas: held });
  }
  if (state.queued.some((move) => move.from === id || move.to === id)) {
    throw new RingcacheError('RC_ERR_MEMBERSHIP', `queued moves still name ${id}; wait for GET /v1/moves to finish`, { server: id });
  }
  const servers = state.servers.filter((known) => known.id !== id);
  if (servers.filter((known) => known.state === 'active').length < state.table.replicaCount) {
    throw new RingcacheError('RC_ERR_MEMBERSHIP', `removing ${id} would leave fewer servers than N=${String(state.table.replicaCount)}`, { server: id });
  }
  return { servers, table: { ...state.table, epoch: state.table.epoch + 1, servers }, moves: [] };
}

function plan(state: MembershipState, servers: readonly ServerInfo[], tokensPerServer: number | undefined): MembershipPlan {
  const { table } = state;
  const projected = projectedTable(table, state.queued);
  const target = placeTable({
    servers, vnodeCount: table.vnodeCount, replicaCount: table.replicaCount, epoch: table.epoch + 1, previous: projected,
    ...(tokensPerServer === undefined ? {} : { tokensPerServer }),
  });
  return { servers, table: { ...table, epoch: table.epoch + 1, servers }, moves: movesBetween(projected, target) };
}

function member(state: MembershipState, id: ServerId): ServerInfo {
  const server = state.servers.find((known) => known.id === id);
  if (server === undefined) throw new RingcacheError('RC_ERR_NOT_FOUND', `no server ${JSON.stringify(id)} in the cluster; GET /v1/servers lists them`, { server: id });
  return server;
}

function sorted(servers: readonly ServerInfo[]): ServerInfo[] {
  return [...servers].sort((a, b) => compareIds(a.id, b.id));
}
