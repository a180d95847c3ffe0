/**
 * The rebalance planner (DESIGN.md section 6): pure, so the master, the dry run, the benchmark and
 * the property tests all run the same function over plain data.
 *
 *   table x loads x zones x capacities x move budget  ->  leader changes + replica moves
 *
 *   while the hottest server (per unit of capacity) is above (1 + tolerance) x the mean:
 *     1. a leader change, if one lowers it: the row's first replica hands the coordination of
 *        the vnode's writes to another replica of the row (no data moves);
 *     2. else the replica move that cuts it most per byte copied: a vnode of the hottest server
 *        to an active server outside the row that ends below the old maximum, keeping the row's
 *        servers distinct and its zone spread;
 *     3. else stop: nothing lowers the maximum (one vnode, or one key, hotter than the gap).
 *
 * Each step lowers the hottest server and leaves the receiver below the old maximum, and the
 * total load never changes, so max/mean never grows (property-tested). A vnode moves at most once
 * a plan, so every move's `from` is a replica of the row in force (what the move executor takes).
 */
import type { ServerId, Table, TableRow } from '../../src/ring/index.js';
import { assert } from '../../src/runtime/index.js';
import { maxOverMean, replicaCost, serverLoads } from './load-model.js';
import type { VnodeLoads } from './load-model.js';

export interface PlanInput {
  readonly table: Table;
  readonly loads: VnodeLoads;
  /** Replica bytes the plan may copy; leader changes copy none. */
  readonly moveBudgetBytes: number;
  /** Acts while max/mean > 1 + imbalanceTolerance (0.05: 5%). */
  readonly imbalanceTolerance: number;
  /** Replica moves in one plan, at most. @default V */
  readonly movesMax?: number;
}

/** One replica of `vnode` copied from `from` to `to` (the shape the move executor takes). */
export interface PlannedMove {
  readonly vnode: number;
  readonly from: ServerId;
  readonly to: ServerId;
  readonly bytes: number;
}

/** The row's first replica becomes `to` (already a replica); `from` was first. */
export interface LeaderChange {
  readonly vnode: number;
  readonly from: ServerId;
  readonly to: ServerId;
}

export interface Plan {
  readonly moves: readonly PlannedMove[];
  readonly leaderChanges: readonly LeaderChange[];
  /** Every row once the plan is carried out (pending moves of the input kept as they were). */
  readonly rows: readonly TableRow[];
  readonly before: { readonly maxOverMean: number };
  readonly after: { readonly maxOverMean: number };
  readonly bytesToMove: number;
}

export function planRebalance(input: PlanInput): Plan {
  const { table, loads } = input;
  assert(input.imbalanceTolerance >= 0 && input.moveBudgetBytes >= 0, 'planRebalance: tolerance and budget are not negative');
  const state = new PlanState(table, loads);
  const movesMax = input.movesMax ?? table.vnodeCount;
  const moves: PlannedMove[] = [];
  const leaderChanges: LeaderChange[] = [];
  let budget = input.moveBudgetBytes;
  // Bounded: every row's leader can change at most N times per replica move around it, and
  // there are at most movesMax moves; each step strictly lowers the hottest server.
  const stepsMax = movesMax + table.vnodeCount * table.replicaCount * (movesMax + 1);
  for (let step = 0; step < stepsMax; step++) {
    const hot = state.hottest();
    if (state.utilization(hot) <= (1 + input.imbalanceTolerance) * state.meanUtilization()) break;
    const leader = state.bestLeaderChange(hot);
    if (leader !== undefined) {
      leaderChanges.push(state.applyLeaderChange(leader.vnode, leader.position));
      continue;
    }
    if (moves.length >= movesMax) break;
    const move = state.bestMove(hot, budget);
    if (move === undefined) break;
    const planned = state.applyMove(move.vnode, move.position, move.target);
    budget -= planned.bytes;
    moves.push(planned);
  }
  const rows = state.rows();
  const after = { ...table, rows };
  return {
    moves,
    leaderChanges,
    rows,
    before: { maxOverMean: maxOverMean(serverLoads(table, loads)) },
    after: { maxOverMean: maxOverMean(serverLoads(after, loads)) },
    bytesToMove: moves.reduce((sum, move) => sum + move.bytes, 0),
  };
}

interface Candidate {
  readonly vnode: number;
  /** Position in the row of the replica that changes (the new leader, or the one moving out). */
  readonly position: number;
  readonly target: number;
  readonly gain: number;
  readonly score: number;
}

/** The plan's working copy: servers by index, rows as index arrays, modeled ops per server. */
class PlanState {
  private readonly ids: ServerId[];
  private readonly capacity: number[];
  private readonly active: boolean[];
  private readonly zone: number[];
  private readonly ops: Float64Array;
  private readonly replicas: number[][];
  private readonly frozen: boolean[];
  private readonly totalCapacity: number;
  private readonly totalOps: number;
  /** A gain below this is rounding noise, not progress. */
  private readonly epsilon: number;

  constructor(private readonly table: Table, private readonly loads: VnodeLoads) {
    this.ids = table.servers.map((server) => server.id);
    const index = new Map(this.ids.map((id, at) => [id, at]));
    const zones = new Map<string, number>();
    this.capacity = table.servers.map((server) => server.capacity);
    this.active = table.servers.map((server) => server.state === 'active');
    this.zone = table.servers.map((server) => {
      if (!zones.has(server.zone)) zones.set(server.zone, zones.size);
      return zones.get(server.zone) ?? 0;
    });
    this.ops = new Float64Array(this.ids.length);
    this.replicas = table.rows.map((row) => row.replicas.map((id) => {
      const at = index.get(id);
      assert(at !== undefined, `planRebalance: row names unknown server ${id}`);
      return at;
    }));
    // A row with a move in flight is left alone, and so is a vnode once this plan moved it.
    this.frozen = table.rows.map((row) => row.pending !== undefined);
    this.replicas.forEach((row, vnode) => {
      row.forEach((server, position) => { this.ops[server] = (this.ops[server] ?? 0) + replicaCost(loads, vnode, position === 0); });
    });
    this.totalCapacity = table.servers.reduce((sum, server, at) => sum + (this.active[at] === true ? server.capacity : 0), 0);
    this.totalOps = this.ops.reduce((sum, value) => sum + value, 0);
    this.epsilon = 1e-9 * Math.max(this.meanUtilization(), Number.MIN_VALUE);
  }

  utilization(server: number): number {
    return (this.ops[server] ?? 0) / (this.capacity[server] ?? 1);
  }

  meanUtilization(): number {
    return this.totalCapacity > 0 ? this.totalOps / this.totalCapacity : 0;
  }

  /** The active server with the highest utilization (the lowest index among equals). */
  hottest(): number {
    let hot = -1;
    for (let server = 0; server < this.ids.length; server++) {
      if (this.active[server] !== true) continue;
      if (hot < 0 || this.utilization(server) > this.utilization(hot)) hot = server;
    }
    assert(hot >= 0, 'planRebalance: the table has an active server');
    return hot;
  }

  bestLeaderChange(hot: number): Candidate | undefined {
    let best: Candidate | undefined;
    const hotUtilization = this.utilization(hot);
    this.replicas.forEach((row, vnode) => {
      const shift = this.loads.leaderOps[vnode] ?? 0;
      if (row[0] !== hot || shift <= 0 || this.frozen[vnode] === true) return;
      for (let position = 1; position < row.length; position++) {
        const target = row[position] as number;
        if (this.active[target] !== true) continue;
        const gain = hotUtilization - this.pairMax(hot, target, shift);
        if (gain > this.epsilon && (best === undefined || gain > best.gain)) best = { vnode, position, target, gain, score: gain };
      }
    });
    return best;
  }

  bestMove(hot: number, budgetBytes: number): Candidate | undefined {
    let best: Candidate | undefined;
    const hotUtilization = this.utilization(hot);
    this.replicas.forEach((row, vnode) => {
      const position = row.indexOf(hot);
      if (position < 0 || this.frozen[vnode] === true) return;
      const bytes = Math.max(0, this.loads.storedBytes[vnode] ?? 0);
      const cost = replicaCost(this.loads, vnode, position === 0);
      if (cost <= 0 || bytes > budgetBytes) return;
      const zonesBefore = distinctZones(row.map((server) => this.zone[server] ?? 0));
      for (let target = 0; target < this.ids.length; target++) {
        if (this.active[target] !== true || row.includes(target)) continue;
        const zonesAfter = distinctZones(row.map((server) => this.zone[server === hot ? target : server] ?? 0));
        if (zonesAfter < zonesBefore) continue;
        const gain = hotUtilization - this.pairMax(hot, target, cost);
        if (gain <= this.epsilon) continue;
        // Per byte copied; an empty vnode still costs a move, so it counts as one byte.
        const score = gain / Math.max(bytes, 1);
        if (best === undefined || score > best.score || (score === best.score && gain > best.gain)) best = { vnode, position, target, gain, score };
      }
    });
    return best;
  }

  applyLeaderChange(vnode: number, position: number): LeaderChange {
    const row = this.row(vnode);
    const from = row[0] as number;
    const to = row[position] as number;
    const shift = this.loads.leaderOps[vnode] ?? 0;
    row[0] = to;
    row[position] = from;
    this.ops[from] = (this.ops[from] ?? 0) - shift;
    this.ops[to] = (this.ops[to] ?? 0) + shift;
    return { vnode, from: this.ids[from] ?? '', to: this.ids[to] ?? '' };
  }

  applyMove(vnode: number, position: number, target: number): PlannedMove {
    const row = this.row(vnode);
    const from = row[position] as number;
    const cost = replicaCost(this.loads, vnode, position === 0);
    row[position] = target;
    this.ops[from] = (this.ops[from] ?? 0) - cost;
    this.ops[target] = (this.ops[target] ?? 0) + cost;
    this.frozen[vnode] = true;
    return { vnode, from: this.ids[from] ?? '', to: this.ids[target] ?? '', bytes: Math.max(0, this.loads.storedBytes[vnode] ?? 0) };
  }

  rows(): TableRow[] {
    return this.replicas.map((row, vnode) => {
      const pending = this.table.rows[vnode]?.pending;
      const replicas = row.map((server) => this.ids[server] ?? '');
      return pending === undefined ? { replicas } : { replicas, pending };
    });
  }

  /** The higher utilization of `from` and `to` once `shift` ops go from one to the other. */
  private pairMax(from: number, to: number, shift: number): number {
    const fromAfter = ((this.ops[from] ?? 0) - shift) / (this.capacity[from] ?? 1);
    const toAfter = ((this.ops[to] ?? 0) + shift) / (this.capacity[to] ?? 1);
    return Math.max(fromAfter, toAfter);
  }

  private row(vnode: number): number[] {
    const row = this.replicas[vnode];
    assert(row !== undefined, `planRebalance: vnode ${vnode} in range`);
    return row;
  }
}

function distinctZones(zones: readonly number[]): number {
  return new Set(zones).size;
}
