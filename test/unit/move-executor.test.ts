/**
 * The move executor's scheduling (shard-master/moves/move-executor.ts) on a virtual clock: moves
 * start a few at a time within the byte budget, a synced target is swapped into its source's
 * position, a move that no longer fits its row is dropped, and the queue is what the store keeps.
 * The targets' progress is scripted here; the HTTP probe of real nodes runs in
 * test/integration/moves-processes.test.ts and the simulator's over real node cores.
 */
import { describe, expect, it } from 'vitest';
import { MoveExecutor } from '../../shard-master/moves/move-executor.js';
import type { MoveStore, TransferProgress } from '../../shard-master/moves/move-executor.js';
import type { Move } from '../../shard-master/moves/move-plan.js';
import { placeTable } from '../../shard-master/placement.js';
import type { ServerInfo, Table } from '../../src/ring/index.js';
import { VirtualClock, silentLogger } from '../../src/runtime/index.js';

const servers: ServerInfo[] = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map((id, i) => ({ id, zone: String.fromCharCode(97 + (i % 3)), capacity: 1, host: '127.0.0.1', port: 0, httpPort: 0, state: 'active' }));

function setup(budgetBytesPerMin: number, concurrencyMax: number): { clock: VirtualClock; store: MoveStore & { table(): Table }; executor: MoveExecutor; synced: Set<number>; commits: Table[] } {
  const clock = new VirtualClock();
  let table = placeTable({ servers, vnodeCount: 16, replicaCount: 3, epoch: 1 });
  let queue: Move[] = [];
  const commits: Table[] = [];
  const store = {
    table: () => table,
    queued: () => queue,
    commit: (next: Table | undefined, queued: readonly Move[]) => {
      if (next !== undefined) { table = next; commits.push(next); }
      queue = [...queued];
      return Promise.resolve();
    },
  };
  const synced = new Set<number>();
  const executor = new MoveExecutor({
    store, clock, logger: silentLogger, options: { concurrencyMax, budgetBytesPerMin, checkIntervalMs: 100 },
    probe: { progress: (_target, vnode): Promise<TransferProgress> => Promise.resolve({ synced: synced.has(vnode), keys: 10, bytes: 600 }) },
  });
  return { clock, store, executor, synced, commits };
}

/** A move of each of the first vnodes: its first replica to a server outside the row in the same zone. */
function movesFor(table: Table, count: number, bytes?: number): Move[] {
  const moves: Move[] = [];
  for (let vnode = 0; moves.length < count && vnode < table.vnodeCount; vnode++) {
    const row = table.rows[vnode]?.replicas ?? [];
    const from = row[0] ?? '';
    const zone = servers.find((server) => server.id === from)?.zone;
    const to = servers.find((server) => server.zone === zone && !row.includes(server.id));
    if (to !== undefined) moves.push({ vnode, from, to: to.id, ...(bytes === undefined ? {} : { bytes }) });
  }
  return moves;
}

describe('move executor', () => {
  it('starts moves within the byte budget, one always, and swaps each synced target into its source position', async () => {
    const { clock, store, executor, synced, commits } = setup(1000, 4);
    const moves = movesFor(store.table(), 4, 600);
    await executor.enqueue(moves);
    await executor.step();
    // 600 leaves 400 in the bucket: a second starts, the bucket is then below zero.
    expect(store.table().rows.filter((row) => row.pending !== undefined)).toHaveLength(2);
    expect(store.queued()).toHaveLength(2);
    expect(store.table().epoch).toBe(2);
    await executor.step();
    expect(store.queued()).toHaveLength(2);
    clock.runUntil(clock.nowMs() + 30_000);
    await executor.step();
    // Half a minute refills 500: the bucket is positive again, one more starts.
    expect(store.queued()).toHaveLength(1);
    const first = moves[0] as Move;
    const before = store.table().rows[first.vnode]?.replicas ?? [];
    synced.add(first.vnode);
    await executor.step();
    const after = store.table().rows[first.vnode];
    expect(after?.pending).toBeUndefined();
    expect(after?.replicas).toEqual(before.map((server) => (server === first.from ? first.to : server)));
    expect(executor.report()).toMatchObject({ completed: 1, keysMoved: 10, bytesMoved: 600 });
    expect(commits.every((table, index) => table.epoch === 2 + index)).toBe(true);
  });

  it('keeps at most concurrencyMax in flight, one move per vnode, and drops a move that no longer fits', async () => {
    const { store, executor, synced } = setup(1 << 30, 2);
    const [a, b, c] = movesFor(store.table(), 3) as [Move, Move, Move];
    const again: Move = { vnode: a.vnode, from: a.to, to: a.from };
    const stale: Move = { vnode: b.vnode, from: b.to, to: b.from };
    await executor.enqueue([a, again, b, c, stale]);
    await executor.step();
    expect(executor.report().inFlight.map((move) => move.vnode).sort()).toEqual([a.vnode, b.vnode].sort());
    synced.add(a.vnode);
    synced.add(b.vnode);
    await executor.step();
    // a done: its reverse fits now and starts; b done: stale (b.to -> b.from) fits as well, c too,
    // but only two may run.
    expect(executor.report().inFlight).toHaveLength(2);
    expect(executor.report().completed).toBe(2);
    expect(store.queued()).toHaveLength(1);
    const busy = new Set([...executor.report().inFlight, ...store.queued()].map((move) => move.vnode));
    const free = store.table().rows.findIndex((_row, vnode) => !busy.has(vnode));
    const wrong: Move = { vnode: free, from: 'n9', to: c.to };
    await executor.enqueue([wrong]);
    synced.clear();
    await executor.step();
    expect(store.queued().some((move) => move.from === 'n9')).toBe(false);
  });
});
