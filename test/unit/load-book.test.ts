import { describe, expect, it } from 'vitest';
import { placeTable } from '../../shard-master/placement.js';
import { LoadBook } from '../../shard-master/load/load-book.js';
import { Rebalancer } from '../../shard-master/rebalance/rebalancer.js';
import type { MoveHandOff } from '../../shard-master/rebalance/rebalancer.js';
import type { LoadReport } from '../../src/load/index.js';
import type { ServerInfo, Table } from '../../src/ring/index.js';
import { VirtualClock, silentLogger } from '../../src/runtime/index.js';
import { recordingLogger } from '../support/master-fixtures.js';

const V = 16;

function report(reporter: string, touches: number, vnode = 3, intervalMs = 1000): LoadReport {
  return { reporter, epoch: 1, vnodeCount: V, intervalMs, vnodes: [{ vnode, requests: touches, writes: 0, touches, bytes: touches * 10 }], hotKeys: [{ key: Buffer.from('hot'), count: touches, error: 0 }] };
}

describe('LoadBook: EWMA per reporter, summed over reporters', () => {
  it('starts at the first rate, moves by alpha = 1 - 2^(-interval / half-life), and sums reporters', () => {
    const clock = new VirtualClock();
    const book = new LoadBook(clock, { vnodeCount: V, halfLifeMs: 1000, reportersMax: 8, hotKeysMax: 8 });
    book.record(report('a', 100));
    expect(book.rates().touches[3]).toBe(100);
    clock.runUntil(clock.nowMs() + 1000);
    book.record(report('a', 0));
    // One half-life later with a rate of 0: halfway down.
    expect(book.rates().touches[3]).toBeCloseTo(50, 9);
    book.record(report('b', 30));
    expect(book.rates().touches[3]).toBeCloseTo(80, 9);
    expect(book.hotKeys(5)).toEqual([{ key: 'hot', opsPerSec: 30, errorPerSec: 0, reporters: 2 }]);
  });

  it('lets a silent reporter fade after two intervals and forgets it, so memory stays bounded', () => {
    const clock = new VirtualClock();
    const book = new LoadBook(clock, { vnodeCount: V, halfLifeMs: 1000, reportersMax: 1, hotKeysMax: 8 });
    book.record(report('a', 100));
    clock.runUntil(clock.nowMs() + 2000);
    expect(book.rates().touches[3]).toBe(100);
    clock.runUntil(clock.nowMs() + 1000);
    expect(book.rates().touches[3]).toBeCloseTo(50, 9);
    expect(() => { book.record(report('b', 1)); }).toThrow(/reportersMax=1/);
    clock.runUntil(clock.nowMs() + 10_001);
    expect(book.reporterCount).toBe(0);
    book.record(report('b', 1));
    expect(book.reporterCount).toBe(1);
  });
});

function server(index: number, zone: string): ServerInfo {
  return { id: `n${index}`, zone, capacity: 1, host: '127.0.0.1', port: 1, httpPort: 1, state: 'active' };
}

describe('Rebalancer: automatic mode', () => {
  function setUp(handOff?: MoveHandOff, autoRequestsPerSecMin = 0): { rebalancer: Rebalancer; table: () => Table; logger: ReturnType<typeof recordingLogger> } {
    const clock = new VirtualClock();
    let current = placeTable({ servers: ['a', 'b', 'c', 'a', 'b', 'c'].map((zone, i) => server(i + 1, zone)), vnodeCount: V, replicaCount: 2, epoch: 1 });
    const book = new LoadBook(clock, { vnodeCount: V, halfLifeMs: 1000, reportersMax: 8, hotKeysMax: 8 });
    const hot = current.rows.flatMap((row, vnode) => (row.replicas.includes('n1') ? [vnode] : []));
    book.record({ reporter: 'p', epoch: 1, vnodeCount: V, intervalMs: 1000, hotKeys: [], vnodes: current.rows.map((_, vnode) => ({ vnode, requests: 1, writes: 0, touches: hot.includes(vnode) ? 50 : 2, bytes: 0 })) });
    const logger = recordingLogger();
    const rebalancer = new Rebalancer({
      clock, logger, table: () => current, commit: (next) => { current = next; return Promise.resolve(next); }, book,
      storedBytes: () => Promise.resolve(new Float64Array(V).fill(100)),
      ...(handOff === undefined ? {} : { handOff }),
      options: { auto: true, imbalanceTolerance: 0.05, moveBudgetBytesPerMin: 1e9, checkIntervalMs: 1000, autoRequestsPerSecMin },
    });
    return { rebalancer, table: () => current, logger };
  }

  it('without an executor, applies nothing that moves data and says why', async () => {
    const { rebalancer, table, logger } = setUp();
    await rebalancer.autoRound();
    expect(rebalancer.stats.autoMovesUnavailable).toBe(1);
    expect(logger.lines.some((line) => line.level === 'warn' && /no move executor/.test(line.message))).toBe(true);
    // Only leader changes could have been committed: every row keeps its holders.
    const holders = placeTable({ servers: ['a', 'b', 'c', 'a', 'b', 'c'].map((zone, i) => server(i + 1, zone)), vnodeCount: V, replicaCount: 2, epoch: 1 }).rows.map((row) => [...row.replicas].sort());
    expect(table().rows.map((row) => [...row.replicas].sort())).toEqual(holders);
  });

  it('hands the moves to the executor when there is one', async () => {
    const submitted: unknown[] = [];
    const { rebalancer } = setUp({ submit: (moves, epoch) => { submitted.push({ moves, epoch }); return Promise.resolve(); } });
    await rebalancer.autoRound();
    expect(rebalancer.stats.autoApplied).toBe(1);
    expect(submitted).toHaveLength(1);
    const [{ moves }] = submitted as [{ moves: { from: string }[] }];
    expect(moves[0]?.from).toBe('n1');
  });

  it('leaves an imbalanced table alone while the load is below rebalance.autoRequestsPerSecMin', async () => {
    const submitted: unknown[] = [];
    const { rebalancer, table } = setUp({ submit: (moves) => { submitted.push(moves); return Promise.resolve(); } }, 1e9);
    const before = table();
    await rebalancer.autoRound();
    expect(submitted).toEqual([]);
    expect(table()).toBe(before);
    expect(rebalancer.stats).toMatchObject({ autoRounds: 1, autoApplied: 0 });
  });

  it('is silent with no load', async () => {
    const rebalancer = new Rebalancer({
      clock: new VirtualClock(), logger: silentLogger, table: () => placeTable({ servers: ['a', 'b', 'c'].map((zone, i) => server(i + 1, zone)), vnodeCount: V, replicaCount: 2, epoch: 1 }),
      commit: () => Promise.reject(new Error('no commit expected')), book: new LoadBook(new VirtualClock(), { vnodeCount: V, halfLifeMs: 1000, reportersMax: 1, hotKeysMax: 1 }),
      storedBytes: () => Promise.resolve(new Float64Array(V)), options: { auto: true, imbalanceTolerance: 0.05, moveBudgetBytesPerMin: 1e9, checkIntervalMs: 1000 },
    });
    await rebalancer.autoRound();
    expect(rebalancer.stats).toMatchObject({ autoRounds: 1, autoApplied: 0, autoFailures: 0 });
  });
});
