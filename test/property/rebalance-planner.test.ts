import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { placeTable } from '../../shard-master/placement.js';
import { planRebalance } from '../../shard-master/rebalance/planner.js';
import type { Plan } from '../../shard-master/rebalance/planner.js';
import { maxOverMean, serverLoads } from '../../shard-master/rebalance/load-model.js';
import type { VnodeLoads } from '../../shard-master/rebalance/load-model.js';
import { validateTable } from '../../src/ring/index.js';
import type { ServerInfo, Table } from '../../src/ring/index.js';

const RUNS = 40;

function server(index: number, zone: number, capacity: number): ServerInfo {
  return { id: `n${index}`, zone: `z${zone}`, capacity, host: '127.0.0.1', port: 7100 + index, httpPort: 7200 + index, state: 'active' };
}

interface Case {
  readonly table: Table;
  readonly loads: VnodeLoads;
  readonly budget: number;
  readonly tolerance: number;
}

/** A placed table (S 3..10, 1..4 zones, capacities 1..3, N 1..3), Zipf-like loads with a few hot vnodes. */
const caseArb: fc.Arbitrary<Case> = fc
  .record({ serverCount: fc.integer({ min: 3, max: 10 }), zoneCount: fc.integer({ min: 1, max: 4 }), vnodeCount: fc.constantFrom(16, 64, 256) })
  .chain(({ serverCount, zoneCount, vnodeCount }) => fc.record({
    specs: fc.array(fc.tuple(fc.integer({ min: 0, max: zoneCount - 1 }), fc.integer({ min: 1, max: 3 })), { minLength: serverCount, maxLength: serverCount }),
    replicaCount: fc.integer({ min: 1, max: Math.min(3, serverCount) }),
    ops: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: vnodeCount, maxLength: vnodeCount }),
    skew: fc.double({ min: 0, max: 3, noNaN: true }),
    leaderShare: fc.constantFrom(0, 0.2, 1),
    bytes: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: vnodeCount, maxLength: vnodeCount }),
    budget: fc.constantFrom(0, 500, 5_000, 1e9),
    tolerance: fc.constantFrom(0, 0.05, 0.5),
    vnodeCount: fc.constant(vnodeCount),
  }))
  .map(({ specs, replicaCount, ops, skew, leaderShare, bytes, budget, tolerance, vnodeCount }) => {
    const servers = specs.map(([zone, capacity], index) => server(index, zone, capacity));
    const table = placeTable({ servers, vnodeCount, replicaCount, epoch: 1 });
    // ops^(1+skew*4) concentrates the load on a few vnodes, as Zipf keys do.
    const replicaOps = ops.map((value) => value ** (1 + skew * 4) * 1000);
    return { table, loads: { replicaOps, leaderOps: replicaOps.map((value) => value * leaderShare), storedBytes: bytes }, budget, tolerance };
  });

function zoneCount(table: Table, replicas: readonly string[]): number {
  return new Set(replicas.map((id) => table.servers.find((s) => s.id === id)?.zone)).size;
}

function checkInvariants({ table, loads, budget }: Case, plan: Plan): void {
  const after: Table = { ...table, epoch: table.epoch + 1, rows: plan.rows };
  validateTable(after);
  const moved = new Set<number>();
  for (const move of plan.moves) {
    expect(moved.has(move.vnode), 'a vnode moves once a plan').toBe(false);
    moved.add(move.vnode);
    const before = table.rows[move.vnode]?.replicas ?? [];
    expect(before).toContain(move.from);
    expect(before).not.toContain(move.to);
    expect(plan.rows[move.vnode]?.replicas).toContain(move.to);
  }
  table.rows.forEach((row, vnode) => {
    const next = plan.rows[vnode]?.replicas ?? [];
    // Holders change only by this plan's moves; the order only by leader changes.
    const move = plan.moves.find((m) => m.vnode === vnode);
    const expected = new Set(row.replicas.map((id) => (id === move?.from ? move.to : id)));
    expect(new Set(next)).toEqual(expected);
    expect(zoneCount(table, next)).toBeGreaterThanOrEqual(zoneCount(table, row.replicas));
  });
  expect(plan.bytesToMove).toBeLessThanOrEqual(budget);
  expect(plan.bytesToMove).toBe(plan.moves.reduce((sum, move) => sum + move.bytes, 0));
  expect(plan.before.maxOverMean).toBeCloseTo(maxOverMean(serverLoads(table, loads)), 9);
  expect(plan.after.maxOverMean).toBeCloseTo(maxOverMean(serverLoads(after, loads)), 9);
}

describe('rebalance planner (property)', () => {
  it('keeps rows distinct, zone spread, the budget, one move a vnode; max/mean never grows', () => {
    fc.assert(fc.property(caseArb, (input) => {
      const plan = planRebalance({ table: input.table, loads: input.loads, moveBudgetBytes: input.budget, imbalanceTolerance: input.tolerance });
      checkInvariants(input, plan);
      expect(plan.after.maxOverMean).toBeLessThanOrEqual(plan.before.maxOverMean + 1e-9);
    }), { numRuns: RUNS });
  });

  it('does nothing when the cluster is within tolerance', () => {
    fc.assert(fc.property(caseArb, (input) => {
      const plan = planRebalance({ table: input.table, loads: input.loads, moveBudgetBytes: input.budget, imbalanceTolerance: input.tolerance });
      const again = planRebalance({ table: { ...input.table, rows: plan.rows }, loads: input.loads, moveBudgetBytes: input.budget, imbalanceTolerance: Math.max(input.tolerance, plan.after.maxOverMean - 1 + 1e-6) });
      expect(again.moves).toEqual([]);
      expect(again.leaderChanges).toEqual([]);
    }), { numRuns: RUNS });
  });
});
