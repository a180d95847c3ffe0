/**
 * Evening: move replicas from servers above their target to servers below it until every server
 * is within `slack` (0 or 1) of its target, never breaking a row (distinct servers, min(N, Z)
 * zones). A fresh table is evened exactly (slack 0: moves are free before any data exists); a
 * table derived from a previous one stops at +-1 (slack 1), since every extra move copies a vnode.
 *
 * A move is "useful" when it takes from a server at excess >= +1 and gives to one at excess <= -1,
 * and at least one of the two is beyond +-slack; each useful move cuts sum(|excess|) by 2, so at
 * most V*N of them are ever needed (the iteration cap). Excess sums to 0, so while some server is
 * beyond +-slack a useful pair exists.
 *
 * When no row allows a direct move (the zone rules forbid it), an augmenting path does:
 *
 *   A (over) --row 7--> B --row 40--> C (under)
 *   row 7 replaces A by B, row 40 replaces B by C: A -1, B +-0, C +1
 *
 * found by a search over servers (edge X -> Y when some row holds X and not Y and replacing X by
 * Y keeps the row valid), cheapest first in replicas copied. The rows of one path are distinct,
 * so its moves are independent and all valid together.
 *
 * Costs are counted against the previous table (placement after a join or drain): giving a
 * server back a row it held before is free, so the search can undo an earlier choice instead of
 * copying a second replica. That is how moves stay near the minimum (Dynamo 2007 section 6.2:
 * with equal partitions a joining node takes whole vnodes from the others, nothing else moves).
 */
import { assert } from '../src/runtime/index.js';
import type { WorkingTable } from './working-table.js';

interface Move {
  readonly vnode: number;
  readonly from: number;
  readonly to: number;
}

/**
 * Evens `work` in place. The targets are feasible, so a server left beyond +-1 is a bug (assert);
 * with slack 0, a last +-1 that no move can fix is accepted.
 */
export function evenCounts(work: WorkingTable, slack: 0 | 1): void {
  const cursor = { vnode: 0 };
  const stepsMax = work.vnodeCount * work.replicaCount + 1;
  for (let step = 0; ; step++) {
    assert(step < stepsMax, `evening did not converge within ${stepsMax} moves`);
    if (isEven(work, slack)) return;
    const moves = nextMoves(work, slack, cursor);
    if (moves === undefined) {
      assert(isEven(work, 1), `evening found no move; excess per server: ${describeExcess(work)}`);
      return;
    }
    for (const move of moves) work.replace(move.vnode, move.from, move.to);
    cursor.vnode = ((moves[moves.length - 1]?.vnode ?? 0) + 1) % work.vnodeCount;
  }
}

/**
 * The cheapest next step in replicas copied: a direct move that keeps zones balanced when it
 * copies nothing, else the cheaper of that move and the cheapest chain (a chain may hand back
 * previous replicas for free), else any direct move. A direct move that unbalances zones (band 0)
 * comes last: it costs a second move later.
 */
function nextMoves(work: WorkingTable, slack: number, cursor: { vnode: number }): readonly Move[] | undefined {
  const direct = findDirectMove(work, slack, cursor, 1);
  const directCost = direct === undefined ? Infinity : work.moveCost(direct.vnode, direct.from, direct.to);
  if (direct !== undefined && (directCost <= 0 || !work.mayMoveFree(direct.to))) return [direct];
  const path = findAugmentingPath(work, slack + 1, -1) ?? (slack > 0 ? findAugmentingPath(work, 1, -slack - 1) : undefined);
  if (path !== undefined && pathCost(work, path) < directCost) return path;
  if (direct !== undefined) return [direct];
  const any = findDirectMove(work, slack, cursor, 0);
  return any === undefined ? undefined : [any];
}

function pathCost(work: WorkingTable, path: readonly Move[]): number {
  return path.reduce((sum, move) => sum + Math.max(0, work.moveCost(move.vnode, move.from, move.to)), 0);
}

function isEven(work: WorkingTable, slack: number): boolean {
  for (let server = 0; server < work.serverCount; server++) {
    if (Math.abs(work.excess(server)) > slack) return false;
  }
  return true;
}

function describeExcess(work: WorkingTable): string {
  return work.serverIds.map((id, server) => `${id}:${work.excess(server)}`).join(' ');
}

/**
 * The most deficient server first; for it, the best row by rank, scanning from `cursor` so that
 * ties spread around the ring instead of piling onto low vnodes. Rank, compared in order:
 *
 *   1. copies avoided: a move that puts a server back where it was in the previous table costs
 *      nothing (work.moveCost), so evening after a join or drain stays near the minimum;
 *   2. zone balance: a move from an over-target zone to an under-target one (band 2), inside one
 *      zone (band 1, zone totals unchanged), or one that unbalances zones (band 0, costs a move
 *      back later);
 *   3. in band 2, the giving zone that most urgently must shed (work.giverUrgency);
 *   4. the giver's excess.
 */
function findDirectMove(work: WorkingTable, slack: number, cursor: { vnode: number }, bandMin: number): Move | undefined {
  const receivers: number[] = [];
  for (let server = 0; server < work.serverCount; server++) {
    if (work.excess(server) <= -1) receivers.push(server);
  }
  receivers.sort((a, b) => work.excess(a) - work.excess(b) || a - b);
  const zoneExcess = Array.from({ length: work.zoneCount }, (_, zone) => work.zoneExcess(zone));
  const urgency = zoneExcess.map((_, zone) => work.giverUrgency(zone));
  for (const to of receivers) {
    const toZone = work.zone(to);
    const toZoneUnder = (zoneExcess[toZone] ?? 0) < 0;
    const giverExcessMin = work.excess(to) < -slack ? 1 : slack + 1;
    // The best so far, ranked by (-3 * copies + band, giving zone's urgency in band 2, excess).
    const best = { vnode: -1, from: -1, primary: -Infinity, urgency: 0, excess: 0 };
    for (let step = 0; step < work.vnodeCount; step++) {
      const vnode = (cursor.vnode + step) % work.vnodeCount;
      const row = work.row(vnode);
      if (row.includes(to)) continue;
      for (const from of row) {
        const excess = work.excess(from);
        if (excess < giverExcessMin) continue;
        const fromZone = work.zone(from);
        const band = fromZone === toZone ? 1 : toZoneUnder && (zoneExcess[fromZone] ?? 0) > 0 ? 2 : 0;
        if (band < bandMin) continue;
        const primary = -3 * work.moveCost(vnode, from, to) + band;
        const fromUrgency = band === 2 ? (urgency[fromZone] ?? 0) : 0;
        const better =
          primary !== best.primary
            ? primary > best.primary
            : fromUrgency !== best.urgency
              ? fromUrgency > best.urgency
              : excess > best.excess;
        if (better && work.canReplace(vnode, from, to)) {
          Object.assign(best, { vnode, from, primary, urgency: fromUrgency, excess });
        }
      }
    }
    if (best.vnode >= 0) return { vnode: best.vnode, from: best.from, to };
  }
  return undefined;
}

/**
 * Cheapest chain of moves from a server at excess >= giverExcessMin to one at excess <=
 * receiverExcessMax, or undefined. Edge cost = replicas copied (work.moveCost, floored at 0), so
 * a chain may reshuffle rows where servers trade back their previous replicas for free: 0-1 BFS
 * (a deque; Dijkstra for weights 0 and 1). Each server is expanded at most once, so the search is
 * bounded by S expansions of O(V * N / S * S) edge checks.
 */
function findAugmentingPath(work: WorkingTable, giverExcessMin: number, receiverExcessMax: number): Move[] | undefined {
  const serverCount = work.serverCount;
  const parent = new Int32Array(serverCount).fill(-1); // -1: a source or not reached yet
  const parentRow = new Int32Array(serverCount).fill(-1);
  const cost = new Float64Array(serverCount).fill(Infinity);
  const done = new Uint8Array(serverCount);
  const deque: number[] = [];
  for (let server = 0; server < serverCount; server++) {
    if (work.excess(server) >= giverExcessMin) {
      cost[server] = 0;
      deque.push(server);
    }
  }
  // Every push follows a strict cost decrease of a server not yet expanded: bounded by 2 * S^2.
  for (let pops = 0; deque.length > 0; pops++) {
    assert(pops <= 2 * serverCount * serverCount + serverCount, 'augmenting path search did not terminate');
    const from = deque.shift() ?? -1;
    if (done[from] === 1) continue;
    done[from] = 1;
    if (work.excess(from) <= receiverExcessMax) return pathTo(parent, parentRow, from);
    for (const vnode of work.rowsHeldBy(from)) {
      if (pathUsesRow(parent, parentRow, from, vnode)) continue;
      for (let to = 0; to < serverCount; to++) {
        if (done[to] === 1) continue;
        const step = Math.max(0, work.moveCost(vnode, from, to));
        const through = (cost[from] ?? 0) + step;
        if (through >= (cost[to] ?? 0) || !work.canReplace(vnode, from, to)) continue;
        cost[to] = through;
        parent[to] = from;
        parentRow[to] = vnode;
        if (step === 0) deque.unshift(to);
        else deque.push(to);
      }
    }
  }
  return undefined;
}

function pathUsesRow(parent: Int32Array, parentRow: Int32Array, end: number, vnode: number): boolean {
  for (let server = end, hops = 0; (parent[server] ?? -1) >= 0; server = parent[server] ?? -1, hops++) {
    assert(hops <= parent.length, 'augmenting path has a cycle');
    if (parentRow[server] === vnode) return true;
  }
  return false;
}

function pathTo(parent: Int32Array, parentRow: Int32Array, end: number): Move[] {
  const moves: Move[] = [];
  for (let to = end; (parent[to] ?? -1) >= 0; to = parent[to] ?? -1) {
    assert(moves.length <= parent.length, 'augmenting path has a cycle');
    moves.push({ vnode: parentRow[to] ?? -1, from: parent[to] ?? -1, to });
  }
  return moves.reverse();
}
