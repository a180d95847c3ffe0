import { describe, it, expect } from 'vitest';
import { placeTable } from '../../shard-master/placement.js';
import { planRebalance } from '../../shard-master/rebalance/planner.js';
import type { ServerInfo, Table } from '../../src/ring/index.js';

function server(index: number, zone: string): ServerInfo {
  return { id: `n${index}`, zone, capacity: 1, host: '127.0.0.1', port: 7100 + index, httpPort: 7200 + index, state: 'active' };
}

const V = 64;

function table(zones: readonly string[], replicaCount: number): Table {
  return placeTable({ servers: zones.map((zone, index) => server(index + 1, zone)), vnodeCount: V, replicaCount, epoch: 1 });
}

function uniform(value: number): number[] {
  return new Array<number>(V).fill(value);
}

describe('rebalance planner', () => {
  it('moves the replica of a hot vnode off the hottest server, within the budget', () => {
    const placed = table(['a', 'b', 'c', 'a', 'b', 'c'], 2);
    const replicaOps = uniform(10);
    replicaOps[7] = 200;
    const hotServers = placed.rows[7]?.replicas ?? [];
    const plan = planRebalance({ table: placed, loads: { replicaOps, leaderOps: uniform(0), storedBytes: uniform(100) }, moveBudgetBytes: 10_000, imbalanceTolerance: 0.05 });
    expect(plan.before.maxOverMean).toBeGreaterThan(1.2);
    expect(plan.after.maxOverMean).toBeLessThan(plan.before.maxOverMean);
    expect(plan.moves.length).toBeGreaterThan(0);
    // The hot vnode's own servers shed other vnodes: vnode 7 itself would only carry its load elsewhere.
    expect(plan.moves.every((move) => move.vnode !== 7)).toBe(true);
    expect(hotServers).toContain(plan.moves[0]?.from);
    expect(plan.bytesToMove).toBe(plan.moves.length * 100);
    expect(plan.bytesToMove).toBeLessThanOrEqual(10_000);
  });

  it('reorders leaders when that suffices: no data moves', () => {
    const placed = table(['a', 'b', 'c'], 3);
    // Every server holds every vnode; only leadership differs. Make n1 lead everything.
    const rows = placed.rows.map((row) => ({ replicas: ['n1', ...row.replicas.filter((id) => id !== 'n1')] }));
    const skewed: Table = { ...placed, rows };
    const plan = planRebalance({ table: skewed, loads: { replicaOps: uniform(10), leaderOps: uniform(5), storedBytes: uniform(100) }, moveBudgetBytes: 1e9, imbalanceTolerance: 0.01 });
    expect(plan.moves).toEqual([]);
    expect(plan.leaderChanges.length).toBeGreaterThan(0);
    expect(plan.after.maxOverMean).toBeLessThanOrEqual(1.01);
    expect(plan.bytesToMove).toBe(0);
  });

  it('moves nothing past a zero budget and nothing under no load', () => {
    const placed = table(['a', 'b', 'c', 'a'], 2);
    const replicaOps = uniform(1);
    replicaOps[3] = 100;
    expect(planRebalance({ table: placed, loads: { replicaOps, leaderOps: uniform(0), storedBytes: uniform(1) }, moveBudgetBytes: 0, imbalanceTolerance: 0 }).moves).toEqual([]);
    const idle = planRebalance({ table: placed, loads: { replicaOps: uniform(0), leaderOps: uniform(0), storedBytes: uniform(1) }, moveBudgetBytes: 1e9, imbalanceTolerance: 0 });
    expect(idle.moves).toEqual([]);
    expect(idle.before.maxOverMean).toBe(1);
  });

  it('never moves a row with a move in flight, nor to a draining server', () => {
    const placed = table(['a', 'b', 'c', 'a', 'b', 'c'], 2);
    const servers = placed.servers.map((s) => (s.id === 'n6' ? { ...s, state: 'draining' as const } : s));
    const rows = placed.rows.map((row, vnode) => (vnode === 0 ? { ...row, pending: { from: row.replicas[0] ?? '', to: 'n6' === row.replicas[1] ? 'n5' : 'n6' } } : row));
    const replicaOps = uniform(1);
    replicaOps[0] = 500;
    replicaOps[1] = 50;
    const plan = planRebalance({ table: { ...placed, servers, rows }, loads: { replicaOps, leaderOps: uniform(0), storedBytes: uniform(1) }, moveBudgetBytes: 1e9, imbalanceTolerance: 0 });
    expect(plan.moves.every((move) => move.vnode !== 0 && move.to !== 'n6')).toBe(true);
    expect(plan.rows[0]).toEqual(rows[0]);
  });
});
