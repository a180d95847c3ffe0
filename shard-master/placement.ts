/**
 * The initial placement and the placement after a server joins or drains: pure and deterministic
 * (same servers in any order, same table), so the master can recompute and check it.
 *
 *   no previous table: consistent hashing (Dynamo 2007 section 4.2)
 *
 *        n3#12      vnode v at v * 2^64 / V
 *     .----*----.----|----------------.
 *     |  ring 2^64   walk clockwise:   |      n2#5 (zone a)  taken
 *     *  n1#40       distinct servers, *      n4#9 (zone a)  skipped: zone a used
 *     |              unused zones      |      n1#40 (zone b) taken
 *     '----*----*------------*---------'      ... until N, then skipped ones fill up
 *
 *   with a previous table: keep every replica on a server still active, fill the holes (removed
 *   or draining servers) with the servers furthest below target: a join or drain moves about the
 *   minimum, like Dynamo's strategy 3 where a joining node steals whole partitions.
 *
 *   then evening (evening.ts) to the capacity-weighted, zone-feasible targets (shares.ts), and
 *   last the order within rows (leaders.ts): the first replica coordinates writes.
 */
import { checkVnodeCount, serverTokens } from '../src/ring/index.js';
import type { ServerInfo, Table } from '../src/ring/index.js';
import { RingcacheError, assert } from '../src/runtime/index.js';
import { evenCounts } from './evening.js';
import { balanceLeaders } from './leaders.js';
import { compareIds, targetCounts } from './shares.js';
import { HOLE, WorkingTable } from './working-table.js';

export { replicaCounts, targetCounts } from './shares.js';

export interface PlacementInput {
  /** Every member; 'draining' servers end with no replicas. Ids must be unique. */
  readonly servers: readonly ServerInfo[];
  /** V, a power of two; must equal previous.vnodeCount when a previous table is given. */
  readonly vnodeCount: number;
  /** N, replicas per vnode. */
  readonly replicaCount: number;
  /** Epoch of the new table (the caller bumps it). */
  readonly epoch: number;
  /**
   * The table in force: its assignments to active servers are kept. Pending moves in it are
   * ignored; the result is where the table should converge, and moves are planned by diffing.
   */
  readonly previous?: Table;
  /** Ring tokens per server for the initial placement; more tokens, smaller arcs. @default 64 */
  readonly tokensPerServer?: number;
}

export const TOKENS_PER_SERVER_DEFAULT = 64;

export function placeTable(input: PlacementInput): Table {
  const { servers, vnodeCount, replicaCount, epoch, previous } = input;
  checkVnodeCount(vnodeCount);
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new RingcacheError('RC_ERR_PLACEMENT', `epoch=${String(epoch)} must be a non-negative integer`);
  }
  const targets = targetCounts(servers, vnodeCount, replicaCount);
  const work = new WorkingTable(servers, vnodeCount, replicaCount, targets);
  if (previous === undefined) {
    seedFromRing(work, servers, input.tokensPerServer ?? TOKENS_PER_SERVER_DEFAULT);
  } else {
    if (previous.vnodeCount !== vnodeCount) {
      throw new RingcacheError(
        'RC_ERR_PLACEMENT',
        `previous table has V=${previous.vnodeCount} but V=${vnodeCount} was asked; V is fixed for the life of a cluster (cluster.vnodeCount)`,
      );
    }
    keepPrevious(work, previous);
  }
  // A fresh table is evened exactly; a derived one only to +-1, as each extra move copies data.
  evenCounts(work, previous === undefined ? 0 : 1);
  work.assertValid();
  for (let server = 0; server < work.serverCount; server++) {
    assert(Math.abs(work.excess(server)) <= 1, `placement left ${work.serverIds[server] ?? ''} off target`);
  }
  const sorted = [...servers].sort((a, b) => compareIds(a.id, b.id));
  return { epoch, vnodeCount, replicaCount, servers: sorted, rows: balanceLeaders(work.toRows(), replicaCount) };
}

/** (vnode, server) assignments present in `after` but not in `before`: replicas to copy. */
export function movedReplicas(before: Table, after: Table): number {
  assert(before.vnodeCount === after.vnodeCount, 'movedReplicas: tables of different V');
  let moved = 0;
  after.rows.forEach((row, vnode) => {
    const old = before.rows[vnode]?.replicas ?? [];
    for (const server of row.replicas) if (!old.includes(server)) moved++;
  });
  return moved;
}

interface Token {
  readonly position: bigint;
  readonly server: number;
}

function ringOf(work: WorkingTable, servers: readonly ServerInfo[], tokensPerServer: number): Token[] {
  if (!Number.isInteger(tokensPerServer) || tokensPerServer < 1) {
    throw new RingcacheError('RC_ERR_PLACEMENT', `tokensPerServer=${tokensPerServer} must be a positive integer`);
  }
  const tokens: Token[] = [];
  for (const server of servers) {
    const index = work.indexOf(server.id);
    if (index === undefined) continue; // draining: not on the ring
    for (const position of serverTokens(server.id, tokensPerServer)) tokens.push({ position, server: index });
  }
  tokens.sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : a.server - b.server));
  return tokens;
}

/** Index of the first token at or after `position`, wrapping to 0 past the end. */
function firstAtOrAfter(tokens: readonly Token[], position: bigint): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((tokens[mid]?.position ?? 0n) < position) lo = mid + 1;
    else hi = mid;
  }
  return lo === tokens.length ? 0 : lo;
}

function seedFromRing(work: WorkingTable, servers: readonly ServerInfo[], tokensPerServer: number): void {
  const tokens = ringOf(work, servers, tokensPerServer);
  const shift = BigInt(64 - Math.log2(work.vnodeCount));
  const seenInRow = new Int32Array(work.serverCount).fill(-1);
  for (let vnode = 0; vnode < work.vnodeCount; vnode++) {
    const start = firstAtOrAfter(tokens, BigInt(vnode) << shift);
    const chosen: number[] = [];
    const skipped: number[] = [];
    const zones = new Set<number>();
    // One lap at most: every active server, hence every zone, has tokens on the ring.
    for (let step = 0; step < tokens.length && chosen.length < work.replicaCount; step++) {
      const server = tokens[(start + step) % tokens.length]?.server ?? HOLE;
      if (seenInRow[server] === vnode) continue;
      seenInRow[server] = vnode;
      if (zones.size === work.span) {
        chosen.push(server);
      } else if (zones.has(work.zone(server))) {
        skipped.push(server); // Dynamo: prefer servers whose zone the row does not use yet
      } else {
        chosen.push(server);
        zones.add(work.zone(server));
        if (zones.size === work.span) chosen.push(...skipped.splice(0, work.replicaCount - chosen.length));
      }
    }
    assert(chosen.length === work.replicaCount, `ring walk found ${chosen.length} servers for row ${vnode}`);
    chosen.forEach((server, position) => work.set(vnode, position, server));
  }
}

/**
 * Keeps previous assignments to active servers (positions too, so the coordinator of a row only
 * changes when it left), drops members when the row must span more zones than before (a new
 * zone), then fills holes with the most-under-target server that keeps the row completable.
 */
function keepPrevious(work: WorkingTable, previous: Table): void {
  previous.rows.forEach((row, vnode) => {
    const held = row.replicas.map((id) => work.indexOf(id));
    work.rememberPrevious(vnode, held.filter((server) => server !== undefined));
    held.forEach((server, position) => {
      if (server !== undefined && position < work.replicaCount && !work.row(vnode).includes(server)) {
        work.set(vnode, position, server);
      }
    });
  });
  for (let vnode = 0; vnode < work.vnodeCount; vnode++) {
    const row = work.row(vnode);
    while (work.span - work.zoneSpan(vnode) > row.filter((server) => server === HOLE).length) {
      dropCrowdedMember(work, vnode);
    }
    for (let position = 0; position < row.length; position++) {
      if (row[position] === HOLE) work.set(vnode, position, bestFiller(work, vnode));
    }
  }
}

/**
 * Removes a member sharing its zone with another member: from the zone that most urgently must
 * shed replicas (WorkingTable.giverUrgency), then the server most over target.
 */
function dropCrowdedMember(work: WorkingTable, vnode: number): void {
  const row = work.row(vnode);
  let victim = -1;
  let victimRank: readonly [number, number] = [-Infinity, -Infinity];
  row.forEach((server, position) => {
    if (server === HOLE) return;
    const crowded = row.some((other) => other !== HOLE && other !== server && work.zone(other) === work.zone(server));
    const rank = [work.giverUrgency(work.zone(server)), work.excess(server)] as const;
    if (crowded && (rank[0] > victimRank[0] || (rank[0] === victimRank[0] && rank[1] > victimRank[1]))) {
      victim = position;
      victimRank = rank;
    }
  });
  assert(victim >= 0, `row ${vnode} lacks zones but has no crowded member`);
  work.set(vnode, victim, HOLE);
}

/**
 * The server to put into a hole of row `vnode`: not in the row, from a zone the row lacks when
 * the remaining holes are all needed for missing zones. Best first: the zone that most urgently
 * needs rows like this one (WorkingTable.receiverUrgency), then the server furthest below target,
 * then a rotation with the vnode so equal servers share the holes.
 */
function bestFiller(work: WorkingTable, vnode: number): number {
  const row = work.row(vnode);
  const holes = row.filter((server) => server === HOLE).length;
  const mustAddZone = work.span - work.zoneSpan(vnode) >= holes;
  const present = new Set(row.filter((server) => server !== HOLE).map((server) => work.zone(server)));
  let best = HOLE;
  let bestRank: readonly number[] = [-Infinity];
  for (let server = 0; server < work.serverCount; server++) {
    if (row.includes(server) || (mustAddZone && present.has(work.zone(server)))) continue;
    const rotation = (server - vnode + work.vnodeCount * work.serverCount) % work.serverCount;
    const rank = [work.receiverUrgency(work.zone(server)), -work.excess(server), -rotation];
    if (isAhead(rank, bestRank)) {
      best = server;
      bestRank = rank;
    }
  }
  assert(best !== HOLE, `no server can fill row ${vnode}`);
  return best;
}

/** Lexicographic "greater than" on rank tuples. */
function isAhead(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? -Infinity;
    const y = b[i] ?? -Infinity;
    if (x !== y) return x > y;
  }
  return false;
}
