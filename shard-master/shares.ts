/**
 * How many replicas each server should hold: the capacity-weighted share of V*N, made feasible
 * for the zone rules, then rounded to integers that sum to exactly V*N.
 *
 * Zone rules (a row spans min(N, Z) zones, Z = zones among active servers; Dynamo 2007 section
 * 4.3: "the preference list ... spans data centers"):
 *
 *   Z >= N: a row has N distinct zones, so a zone holds at most one replica per row:
 *           0 <= zone total <= V
 *   Z <  N: a row holds every zone at least once, and a zone at most N - Z + 1 times (the other
 *           Z - 1 zones need one slot each) and at most |zone| times (distinct servers):
 *           V <= zone total <= V * min(|zone|, N - Z + 1)
 *   always: a server holds at most one replica per row: 0 <= server total <= V
 *
 * Water-filling: find the level L with sum(clamp(L * weight, lo, hi)) = total, first over zones
 * (weight = capacity of the zone), then over the servers of each zone. Example, 5 servers of
 * capacity 1 in zones a, a, b, b, c, N=3, V=1024: the plain shares 1228.8, 1228.8, 614.4 break
 * "at most V per zone", so every zone gets 1024: c's lone server 1024, the other four 512 each.
 *
 * Rounding is per level too (zones, then servers inside a zone), by largest remainder: each value
 * becomes its floor or ceiling, so integer bounds stay respected and the sums stay exact.
 */
import type { ServerId, ServerInfo, Table } from '../src/ring/index.js';
import { RingcacheError, assert } from '../src/runtime/index.js';

interface Bounded {
  readonly weight: number;
  readonly lo: number;
  readonly hi: number;
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

/** Shares x_i = clamp(L * w_i, lo_i, hi_i) summing to `total`; exact piecewise-linear solve. */
export function waterFill(items: readonly Bounded[], total: number): number[] {
  const loSum = items.reduce((sum, item) => sum + item.lo, 0);
  const hiSum = items.reduce((sum, item) => sum + item.hi, 0);
  assert(loSum <= total && total <= hiSum, `waterFill: total ${total} outside [${loSum}, ${hiSum}]`);
  const level = solveLevel(items, total);
  return items.map((item) => clamp(level * item.weight, item.lo, item.hi));
}

/**
 * The level L: fill(L) = sum(clamp(L * w_i, lo_i, hi_i)) is non-decreasing and linear between its
 * breakpoints (every lo_i / w_i and hi_i / w_i), so find the segment where it reaches `total` and
 * solve the line there.
 */
function solveLevel(items: readonly Bounded[], total: number): number {
  const fill = (level: number): number =>
    items.reduce((sum, item) => sum + clamp(level * item.weight, item.lo, item.hi), 0);
  const breakpoints = [...new Set(items.flatMap((item) => [item.lo / item.weight, item.hi / item.weight]))];
  breakpoints.sort((a, b) => a - b);
  let left = breakpoints[0] ?? 0;
  if (fill(left) >= total) return left; // every share at its lower bound
  for (const right of breakpoints.slice(1)) {
    if (fill(right) >= total) {
      const freeWeight = items
        .filter((item) => item.lo / item.weight <= left && item.hi / item.weight >= right)
        .reduce((sum, item) => sum + item.weight, 0);
      return freeWeight > 0 ? left + (total - fill(left)) / freeWeight : right;
    }
    left = right;
  }
  return left; // every share at its upper bound
}

/** Integers, each the floor or ceiling of its share, summing to `total`; ties go to lower index. */
export function largestRemainder(shares: readonly number[], total: number): number[] {
  // Snap float noise (511.9999999997) so an exact share is never rounded past an integer bound.
  const snapped = shares.map((share) => (Math.abs(share - Math.round(share)) < 1e-7 ? Math.round(share) : share));
  const result = snapped.map((share) => Math.floor(share));
  const units = total - result.reduce((sum, value) => sum + value, 0);
  assert(units >= 0 && units <= shares.length, `largestRemainder: ${units} units left for ${shares.length} shares`);
  const order = snapped.map((share, index) => ({ index, remainder: share - Math.floor(share) }));
  order.sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of order.slice(0, units)) result[index] = (result[index] ?? 0) + 1;
  return result;
}

/** Throws RC_ERR_PLACEMENT unless the servers can hold V rows of N replicas. */
export function checkServers(servers: readonly ServerInfo[], replicaCount: number): void {
  if (!Number.isInteger(replicaCount) || replicaCount < 1) {
    throw new RingcacheError('RC_ERR_PLACEMENT', `N=${String(replicaCount)} must be a positive integer; see cluster.replicaCount`);
  }
  if (servers.length === 0) {
    throw new RingcacheError('RC_ERR_PLACEMENT', 'no servers to place the table on; add servers first');
  }
  const ids = new Set<ServerId>();
  for (const server of servers) {
    if (ids.has(server.id)) {
      throw new RingcacheError('RC_ERR_PLACEMENT', `server id ${server.id} is used twice`, { server: server.id });
    }
    ids.add(server.id);
    if (!Number.isFinite(server.capacity) || server.capacity <= 0) {
      throw new RingcacheError(
        'RC_ERR_PLACEMENT',
        `server ${server.id} has capacity ${String(server.capacity)}; capacity must be a positive number`,
        { server: server.id },
      );
    }
  }
  const active = servers.filter((server) => server.state === 'active').length;
  if (active < replicaCount) {
    throw new RingcacheError(
      'RC_ERR_PLACEMENT',
      `${active} active servers cannot hold N=${replicaCount} distinct replicas per vnode` +
        ` (${servers.length - active} draining); add servers or lower cluster.replicaCount`,
      { activeServers: active, replicaCount },
    );
  }
}

/** Active servers grouped by zone; zones sorted by name, servers by id (input order never matters). */
export function zonesOf(servers: readonly ServerInfo[]): ServerInfo[][] {
  const byZone = new Map<string, ServerInfo[]>();
  const active = servers.filter((server) => server.state === 'active');
  active.sort((a, b) => compareIds(a.id, b.id));
  for (const server of active) {
    const members = byZone.get(server.zone) ?? [];
    members.push(server);
    byZone.set(server.zone, members);
  }
  return [...byZone.entries()].sort(([a], [b]) => compareIds(a, b)).map(([, members]) => members);
}

/** Code-unit order: locale-independent, so every process sorts the same way. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The integer replica count each server should hold (draining servers 0), summing to V*N. Used by
 * the placement, the rebalancer and `ringcache status`.
 */
export function targetCounts(
  servers: readonly ServerInfo[],
  vnodeCount: number,
  replicaCount: number,
): Map<ServerId, number> {
  checkServers(servers, replicaCount);
  const zones = zonesOf(servers);
  const zoneCount = zones.length;
  const total = vnodeCount * replicaCount;
  const zoneItems = zones.map((members) => {
    const weight = members.reduce((sum, server) => sum + server.capacity, 0);
    if (zoneCount >= replicaCount) return { weight, lo: 0, hi: vnodeCount };
    const perRowMax = Math.min(members.length, replicaCount - zoneCount + 1);
    return { weight, lo: vnodeCount, hi: vnodeCount * perRowMax };
  });
  const zoneTotals = largestRemainder(waterFill(zoneItems, total), total);
  const targets = new Map<ServerId, number>();
  for (const server of servers) targets.set(server.id, 0);
  zones.forEach((members, zone) => {
    const zoneTotal = zoneTotals[zone] ?? 0;
    const items = members.map((server) => ({ weight: server.capacity, lo: 0, hi: vnodeCount }));
    const counts = largestRemainder(waterFill(items, zoneTotal), zoneTotal);
    members.forEach((server, index) => targets.set(server.id, counts[index] ?? 0));
  });
  return targets;
}

/** Replicas each server of the table holds (servers listed in the table but holding none: 0). */
export function replicaCounts(table: Table): Map<ServerId, number> {
  const counts = new Map<ServerId, number>();
  for (const server of table.servers) counts.set(server.id, 0);
  for (const row of table.rows) {
    for (const server of row.replicas) counts.set(server, (counts.get(server) ?? 0) + 1);
  }
  return counts;
}
