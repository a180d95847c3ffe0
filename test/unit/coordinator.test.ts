import { describe, expect, it } from 'vitest';
import { RingcacheError } from '../../src/runtime/index.js';
import { RoutingTable } from '../../src/ring/index.js';
import { Coordinator, fixedTableView } from '../../src/replication/index.js';
import { liveSiblings, resolve } from '../../src/version/index.js';
import { SimCluster } from '../simulation/cluster.js';
import { SIMULATION_DEFAULTS } from '../simulation/options.js';
import { drive } from '../simulation/drive.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const key = encoder.encode('user:42');

function cluster(): SimCluster {
  return new SimCluster(11, { ...SIMULATION_DEFAULTS, servers: 5, zones: 3 });
}

async function rejection(c: SimCluster, promise: Promise<unknown>): Promise<RingcacheError> {
  try {
    await drive(c.clock, promise);
  } catch (error) {
    expect(error).toBeInstanceOf(RingcacheError);
    return error as RingcacheError;
  }
  throw new Error('expected a rejection');
}

function valueOf(c: SimCluster, versioned: Parameters<typeof resolve>[0] | null): string | undefined {
  if (versioned === null) return undefined;
  const winner = resolve(versioned, c.clock.nowMs());
  return winner?.value === null || winner === undefined ? undefined : decoder.decode(winner.value);
}

describe('Coordinator', () => {
  it('writes through the first live replica and reads the value back with R replicas', async () => {
    const c = cluster();
    const coordinator = c.coordinator('t');
    const row = c.rowOf(key);
    const written = await drive(c.clock, coordinator.put(key, encoder.encode('v1')));
    expect(written.coordinator).toBe(row[0]);
    expect(written.acks).toBeGreaterThanOrEqual(2);
    expect(written.dot.actor.startsWith(`${row[0] ?? ''}.`)).toBe(true);
    const read = await drive(c.clock, coordinator.get(key));
    expect(read.replies).toBeGreaterThanOrEqual(2);
    expect(valueOf(c, read.versioned)).toBe('v1');
  });

  it('fails over to the next replica as coordinator when the first is down', async () => {
    const c = cluster();
    const row = c.rowOf(key);
    c.crash(row[0] ?? '');
    const written = await drive(c.clock, c.coordinator('t').put(key, encoder.encode('v')));
    expect(written.coordinator).toBe(row[1]);
    expect(written.acks).toBe(2);
  });

  it('reports how many replicas answered when a quorum is impossible, fallbacks included', async () => {
    const c = cluster();
    const row = c.rowOf(key);
    // Two replicas and every fallback down (5 servers: the walk past the row has two).
    const fallbacks = c.table.fallbacks(c.table.vnodeOf(key));
    expect(fallbacks).toHaveLength(2);
    for (const server of [row[1], row[2], ...fallbacks]) c.crash(server ?? '');
    const coordinator = c.coordinator('t');
    const write = await rejection(c, coordinator.put(key, encoder.encode('v')));
    expect(write.code).toBe('RC_ERR_QUORUM_WRITE');
    expect(write.message).toMatch(/acknowledged by 1 of 2 required replicas \(w=2, 4 of 5 failed\); see replication\.w/);
    const read = await rejection(c, coordinator.get(key));
    expect(read.code).toBe('RC_ERR_QUORUM_READ');
    // The fallbacks failed the write a moment ago: the read skips them (local failure detection).
    // It fails as soon as R cannot be met, so the one live replica's answer may not be in yet.
    expect(read.message).toMatch(/answered by [01] of 2 required replicas \(r=2, 2 of 3 failed\); see replication\.r/);
    // W=1 and R=1 per request still work on the one replica left.
    await drive(c.clock, coordinator.put(key, encoder.encode('w1'), { w: 1 }));
    expect(valueOf(c, (await drive(c.clock, coordinator.get(key, { r: 1 }))).versioned)).toBe('w1');
  });

  it('hedges a read past speculativeRetryMs instead of waiting for a silent replica', async () => {
    const c = cluster();
    const coordinator = c.coordinator('t');
    await drive(c.clock, coordinator.put(key, encoder.encode('v'), { w: 3 }));
    const row = c.rowOf(key);
    c.network.partition(['t'], [row[0] ?? '']);
    const durations: number[] = [];
    for (let i = 0; i < 6; i++) {
      const started = c.clock.nowMs();
      expect(valueOf(c, (await drive(c.clock, coordinator.get(key))).versioned)).toBe('v');
      durations.push(c.clock.nowMs() - started);
    }
    expect(coordinator.stats.hedgedReads).toBeGreaterThan(0);
    expect(Math.max(...durations)).toBeLessThan(c.options.requestTimeoutMs);
  });

  it('read-repairs a replica that lost its memory', async () => {
    const c = cluster();
    const coordinator = c.coordinator('t');
    await drive(c.clock, coordinator.put(key, encoder.encode('v'), { w: 3 }));
    const row = c.rowOf(key);
    c.crash(row[2] ?? '');
    c.restart(row[2] ?? '');
    expect(c.stateAt(row[2] ?? '', key)).toBeUndefined();
    await drive(c.clock, coordinator.get(key, { r: 3 }));
    await drive(c.clock, c.clock.sleep(100));
    expect(coordinator.stats.readRepairs).toBeGreaterThan(0);
    const repaired = c.stateAt(row[2] ?? '', key);
    expect(repaired === undefined ? undefined : valueOf(c, repaired)).toBe('v');
  });

  it('supersedes with a context, keeps concurrent writes as siblings', async () => {
    const c = cluster();
    const a = c.coordinator('a');
    await drive(c.clock, a.put(key, encoder.encode('v1')));
    const read = await drive(c.clock, a.get(key));
    const context = read.versioned?.context ?? null;
    // Two writers that both read v1 write concurrently through different coordinating replicas.
    const row = c.rowOf(key);
    await drive(c.clock, a.put(key, encoder.encode('left'), { context }));
    c.crash(row[0] ?? '');
    await drive(c.clock, c.coordinator('b').put(key, encoder.encode('right'), { context, w: 2 }));
    c.restart(row[0] ?? '');
    const merged = await drive(c.clock, c.coordinator('c').get(key, { r: 3 }));
    const values = liveSiblings(merged.versioned ?? { context: [], siblings: [] }, c.clock.nowMs())
      .map((s) => decoder.decode(s.value ?? new Uint8Array())).sort();
    expect(values).toContain('right');
    // A write with the merged context resolves them into one value.
    await drive(c.clock, a.put(key, encoder.encode('resolved'), { context: merged.versioned?.context ?? null, w: 3 }));
    const final = await drive(c.clock, a.get(key, { r: 3 }));
    expect(final.versioned?.siblings.map((s) => decoder.decode(s.value ?? new Uint8Array()))).toEqual(['resolved']);
  });

  it('rejects bad quorums, keys and values without storing anything', async () => {
    const c = cluster();
    const coordinator = c.coordinator('t');
    const codes = async (promise: Promise<unknown>): Promise<string> => (await rejection(c, promise)).code;
    expect(await codes(coordinator.get(key, { r: 4 }))).toBe('RC_ERR_BAD_QUORUM');
    expect(await codes(coordinator.put(key, encoder.encode('v'), { w: 0 }))).toBe('RC_ERR_BAD_QUORUM');
    expect(await codes(coordinator.put(new Uint8Array(0), encoder.encode('v')))).toBe('RC_ERR_KEY_TOO_LARGE');
    expect(await codes(coordinator.put(new Uint8Array(1025), encoder.encode('v')))).toBe('RC_ERR_KEY_TOO_LARGE');
    expect(await codes(coordinator.put(key, new Uint8Array(1024 * 1024 + 1)))).toBe('RC_ERR_VALUE_TOO_LARGE');
    for (const server of c.rowOf(key)) expect(c.stateAt(server, key)).toBeUndefined();
  });

  /** The key's row with a move pending from its third replica to a server outside it. */
  function moving(c: SimCluster): { coordinator: Coordinator; row: readonly string[]; from: string; target: string; others: string[] } {
    const vnode = c.table.vnodeOf(key);
    const row = c.table.row(vnode);
    const outsiders = c.serverIds.filter((s) => !row.replicas.includes(s));
    const target = outsiders[0] ?? '';
    const from = row.replicas[2] ?? '';
    const rows = c.table.table.rows.map((r, v) => (v === vnode ? { replicas: r.replicas, pending: { from, to: target } } : r));
    const table = new RoutingTable({ ...c.table.table, epoch: 2, rows });
    const coordinator = new Coordinator({
      name: 'mover', transport: c.network.transport('mover'), clock: c.clock, random: c.random, table: fixedTableView(table),
    });
    return { coordinator, row: row.replicas, from, target, others: outsiders.slice(1) };
  }

  it('sends writes to a pending move target and counts it for the row the move will make', async () => {
    const c = cluster();
    const { coordinator, target } = moving(c);
    const written = await drive(c.clock, coordinator.put(key, encoder.encode('v'), { w: 3 }));
    expect(written.hinted).toBe(0);
    expect(written.acks).toBe(4);
    const atTarget = c.stateAt(target, key);
    expect(atTarget === undefined ? undefined : valueOf(c, atTarget)).toBe('v');
  });

  it('does not acknowledge a W=N write that the row of a pending move would lack (joint quorum)', async () => {
    // The old row alone [A B C] acks W=3; after the swap, [A B T] would hold it on 2, and an R=1
    // read at T would miss it. With the target and every fallback down, the write fails.
    const c = cluster();
    const { coordinator, target, others } = moving(c);
    c.crash(target);
    for (const server of others) c.crash(server);
    const error = await rejection(c, coordinator.put(key, encoder.encode('v'), { w: 3 }));
    expect(error.code).toBe('RC_ERR_QUORUM_WRITE');
  });

  it('counts a fallback\'s hint for a pending target that is down, as for any replica', async () => {
    const c = cluster();
    const { coordinator, target, others } = moving(c);
    c.crash(target);
    const written = await drive(c.clock, coordinator.put(key, encoder.encode('v'), { w: 3 }));
    expect(written.hinted).toBe(1);
    expect(others).toContain(written.hintedBy[0]);
  });

  it('still acknowledges at W of each row when the leaving replica is down (W below N)', async () => {
    const c = cluster();
    const { coordinator, from } = moving(c);
    c.crash(from);
    const written = await drive(c.clock, coordinator.put(key, encoder.encode('v'), { w: 2 }));
    expect(written.acks).toBeGreaterThanOrEqual(2);
  });
});
