/**
 * Replica moves as pure table steps (DESIGN.md section 6), so the executor, the admin API and the
 * simulator compute the same tables:
 *
 *   epoch e     row v [A B C]
 *   start       row v [A B C] pending {from: A, to: D}    writes to A B C and D; reads A B C
 *   finish      row v [D B C]                             D takes A's position (its leader slot)
 *   A drops v after transferGraceMs (node/vnode-release.ts)
 *
 * A move is checked against the row it applies to when it starts, not when it was planned: moves
 * queued behind others for the same vnode, or planned before a server was drained, may no longer
 * fit, and are then dropped (`fits`), never forced.
 */
import type { ServerId, Table, TableRow } from '../../src/ring/index.js';
import { assert } from '../../src/runtime/index.js';

/** One replica of one vnode going from one server to another (the planner adds its estimate of bytes). */
export interface Move {
  readonly vnode: number;
  readonly from: ServerId;
  readonly to: ServerId;
  /** Bytes the planner expects to copy; the executor's budget counts it (0 when unknown). */
  readonly bytes?: number;
}

/** Whether `move` can start on `table`: its row has no move in flight, holds `from` and not `to`, and `to` is active. */
export function fits(table: Table, move: Move): boolean {
  const row = table.rows[move.vnode];
  if (row?.pending !== undefined || row === undefined) return false;
  const target = table.servers.find((server) => server.id === move.to);
  return row.replicas.includes(move.from) && !row.replicas.includes(move.to) && target?.state === 'active';
}

/** Epoch + 1 with each move's row marked pending; every move must fit and name a distinct vnode. */
export function startMoves(table: Table, moves: readonly Move[]): Table {
  const rows: TableRow[] = [...table.rows];
  const seen = new Set<number>();
  for (const move of moves) {
    assert(fits(table, move) && !seen.has(move.vnode), `startMoves: move of vnode ${move.vnode} does not fit`);
    seen.add(move.vnode);
    rows[move.vnode] = { replicas: (rows[move.vnode] as TableRow).replicas, pending: { from: move.from, to: move.to } };
  }
  return { ...table, epoch: table.epoch + 1, rows };
}

/** Epoch + 1 with the pending target of each listed vnode swapped in for its source. */
export function finishMoves(table: Table, vnodes: readonly number[]): Table {
  const rows: TableRow[] = [...table.rows];
  for (const vnode of vnodes) {
    const row = rows[vnode];
    assert(row?.pending !== undefined, `finishMoves: vnode ${vnode} has no move in flight`);
    const { from, to } = row.pending;
    rows[vnode] = { replicas: row.replicas.map((server) => (server === from ? to : server)) };
  }
  return { ...table, epoch: table.epoch + 1, rows };
}

/** The table every move in flight leads to (pending targets swapped in), at the same epoch. */
export function settledTable(table: Table): Table {
  const inFlight = table.rows.flatMap((row, vnode) => (row.pending === undefined ? [] : [vnode]));
  return { ...finishMoves(table, inFlight), epoch: table.epoch };
}

/** `settledTable` with the queued moves applied in order too (those that still fit). */
export function projectedTable(table: Table, queued: readonly Move[]): Table {
  let projected = settledTable(table);
  for (const move of queued) {
    if (!fits(projected, move)) continue;
    projected = { ...finishMoves(startMoves(projected, [move]), [move.vnode]), epoch: table.epoch };
  }
  return projected;
}

/**
 * The moves that turn `before`'s rows into `after`'s: per row, each server that leaves is paired
 * with one that arrives, in row order. Rows that differ by two servers give two moves of the
 * same vnode, which the executor runs one after the other.
 */
export function movesBetween(before: Table, after: Table): Move[] {
  assert(before.vnodeCount === after.vnodeCount, 'movesBetween: tables of different V');
  const moves: Move[] = [];
  after.rows.forEach((row, vnode) => {
    const old = before.rows[vnode]?.replicas ?? [];
    const leaving = old.filter((server) => !row.replicas.includes(server));
    const arriving = row.replicas.filter((server) => !old.includes(server));
    assert(leaving.length === arriving.length, `movesBetween: row ${vnode} changes size`);
    leaving.forEach((from, index) => { moves.push({ vnode, from, to: arriving[index] as ServerId }); });
  });
  return moves;
}
