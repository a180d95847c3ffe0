/**
 * The coordinator's sloppy quorum (Dynamo 2007 section 4.6): a down replica's copy goes to a
 * fallback with a hint and counts toward W; PW demands primaries; sloppy reads ask fallbacks; a
 * recovering replica's "absent" does not count toward R. Real NodeCores on the simulated network.
 */
import { describe, expect, it } from 'vitest';
import { RingcacheError } from '../../src/runtime/index.js';
import { covers, resolve } from '../../src/version/index.js';
import type { Dot, Versioned } from '../../src/version/index.js';
import { drive } from '../simulation/drive.js';
import { HintsCluster } from '../simulation/hints-cluster.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function valueOf(c: HintsCluster, versioned: Versioned | null | undefined): string | undefined {
  if (versioned === null || versioned === undefined) return undefined;
  const winner = resolve(versioned, c.clock.nowMs());
  return winner?.value === null || winner === undefined ? undefined : decoder.decode(winner.value);
}

function holds(state: Versioned | null | undefined, dot: Dot): boolean {
  return state !== null && state !== undefined && covers(state.context, dot);
}

async function rejection(c: HintsCluster, promise: Promise<unknown>): Promise<RingcacheError> {
  try {
    await drive(c.clock, promise);
  } catch (error) {
    expect(error).toBeInstanceOf(RingcacheError);
    return error as RingcacheError;
  }
  return expect.unreachable('expected a rejection');
}

describe('sloppy quorum writes', () => {
  it('N=3, W=3 with a replica down succeeds through the first fallback, which holds a hint naming it', async () => {
    const c = await HintsCluster.started();
    const key = c.keyWith('n2', 1);
    const [first, owner, third] = c.rowOf(key) as [string, string, string];
    const fallback = c.fallbacksOf(key)[0] ?? '';
    c.crash(owner);
    c.markDown(owner);
    const coordinator = c.coordinator('t', { w: 3 });
    const written = await drive(c.clock, coordinator.put(key, encoder.encode('v')));
    expect(written).toMatchObject({ coordinator: first, acks: 3, hinted: 1, hintedBy: [fallback] });
    expect(holds(c.stateAt(third, key), written.dot)).toBe(true);
    // The fallback keeps it as a hint for the owner, not in its own store.
    expect(c.stateAt(fallback, key)).toBeUndefined();
    const hint = c.hints(fallback).store.find(owner, key);
    expect(holds(hint?.versioned, written.dot)).toBe(true);
    expect(coordinator.stats).toMatchObject({ hintsSent: 1, hintedWrites: 1 });
  });

  it('a MERGE that fails at send time goes to a fallback too, before the view knows the replica is down', async () => {
    const c = await HintsCluster.started();
    const key = c.keyWith('n3', 2);
    const owner = c.rowOf(key)[2] ?? '';
    c.crash(owner);
    const coordinator = c.coordinator('t', { w: 3 });
    const written = await drive(c.clock, coordinator.put(key, encoder.encode('v')));
    expect(written.acks).toBe(3);
    expect(written.hintedBy).toEqual([c.fallbacksOf(key)[0]]);
    expect(c.hints(c.fallbacksOf(key)[0] ?? '').store.find(owner, key)).toBeDefined();
  });

  it('two replicas down: each hint on its own fallback, so W acks are W distinct nodes', async () => {
    const c = await HintsCluster.started();
    const key = c.keyWith('n1', 0);
    const [, a, b] = c.rowOf(key) as [string, string, string];
    const [f1, f2] = c.fallbacksOf(key) as [string, string];
    c.crash(a);
    c.crash(b);
    c.markDown(a);
    c.markDown(b);
    const written = await drive(c.clock, c.coordinator('t', { w: 3 }).put(key, encoder.encode('v')));
    expect(written.hintedBy.slice().sort()).toEqual([f1, f2].sort());
    expect(c.hints(f1).store.find(a, key)).toBeDefined();
    expect(c.hints(f2).store.find(b, key)).toBeDefined();
  });

  it('skips a fallback it believes down and one that fails, taking the next', async () => {
    const c = await HintsCluster.started();
    const key = c.keyWith('n4', 1);
    const owner = c.rowOf(key)[1] ?? '';
    const [f1, f2, f3] = c.fallbacksOf(key) as [string, string, string];
    c.crash(owner);
    c.markDown(owner);
    c.markDown(f1);
    c.crash(f2);
    const written = await drive(c.clock, c.coordinator('t', { w: 3 }).put(key, encoder.encode('v')));
    expect(written.hintedBy).toEqual([f3]);
  });

  it('PW counts primaries only: a fallback ack does not make pw=3, and pw out of 0..N is refused naming the option', async () => {
    const c = await HintsCluster.started();
    const key = c.keyWith('n2', 1);
    c.crash('n2');
    c.markDown('n2');
    const coordinator = c.coordinator('t', { w: 2 });
    const error = await rejection(c, coordinator.put(key, encoder.encode('v'), { w: 3, pw: 3 }));
    expect(error.code).toBe('RC_ERR_QUORUM_WRITE');
    expect(error.message).toMatch(/acknowledged by 1 of 3 required primaries \(pw=3.*see replication\.pw/);
    // pw=2 is met by the two live replicas, with the fallback's hint as the third ack.
    const written = await drive(c.clock, coordinator.put(key, encoder.encode('v2'), { w: 3, pw: 2 }));
    expect(written).toMatchObject({ acks: 3, hinted: 1 });
    for (const pw of [4, -1, 1.5]) {
      expect(() => { coordinator.write(key, encoder.encode('x'), { pw }, { onWriteDone: () => undefined, onWriteFailed: () => undefined }); })
        .toThrow(expect.objectContaining({ code: 'RC_ERR_BAD_QUORUM', message: expect.stringMatching(/pw=.* is outside 0\.\.N=3.*replication\.pw/) as unknown }));
    }
  });

  it('fails with the counts when neither replicas nor fallbacks can take the write, and no fallback coordinates', async () => {
    const c = await HintsCluster.started({ servers: 5 });
    const key = c.keyWith('n1', 0);
    const row = c.rowOf(key);
    const fallbacks = c.fallbacksOf(key);
    for (const server of [row[1], row[2], ...fallbacks]) c.crash(server ?? '');
    const coordinator = c.coordinator('t');
    const write = await rejection(c, coordinator.put(key, encoder.encode('v')));
    expect(write.message).toMatch(/acknowledged by 1 of 2 required replicas \(w=2, 4 of 5 failed\); see replication\.w/);
    // Every replica down: the write fails; the dot is never minted on a fallback.
    c.crash(row[0] ?? '');
    const none = await rejection(c, c.coordinator('u').put(key, encoder.encode('v')));
    expect(none.message).toMatch(/acknowledged by 0 of 2 required replicas/);
  });
});

describe('sloppy reads', () => {
  it('asks fallbacks when fewer than R replicas can answer: the hint answers', async () => {
    const c = await HintsCluster.started();
    const key = c.keyWith('n1', 0);
    const [a, b, d] = c.rowOf(key) as [string, string, string];
    c.crash(b);
    c.crash(d);
    c.markDown(b);
    c.markDown(d);
    const coordinator = c.coordinator('t');
    const written = await drive(c.clock, coordinator.put(key, encoder.encode('v')));
    expect(written.hinted).toBe(1);
    // Now the replica that coordinated is gone too: only the hints hold the write.
    c.crash(a);
    c.markDown(a);
    const read = await drive(c.clock, coordinator.get(key, { r: 1 }));
    expect(valueOf(c, read.versioned)).toBe('v');
    expect(read.quorum).toBe('sloppy');
    expect(coordinator.stats.fallbackReads).toBeGreaterThan(0);
  });

  it("does not count a recovering replica's absent toward R, and asks another", async () => {
    const c = await HintsCluster.started();
    const key = c.keyWith('n1', 0);
    const coordinator = c.coordinator('t');
    await drive(c.clock, coordinator.put(key, encoder.encode('v'), { w: 3 }));
    const [a, b] = c.rowOf(key) as [string, string, string];
    c.crash(a);
    c.restart(a);
    c.crash(b);
    c.restart(b);
    // Two of three replicas came back empty and recovering: their "absent" is no answer, so R=2
    // is the third replica's value and a fallback's (it holds no hint): a sloppy read that sees 'v'.
    const reader = c.coordinator('u');
    const read = await drive(c.clock, reader.get(key));
    expect(valueOf(c, read.versioned)).toBe('v');
    expect(read).toMatchObject({ replies: 4, quorum: 'sloppy' });
    expect(reader.stats.fallbackReads).toBe(1);
  });

  it("fails rather than answering absent when no replica replies and the fallbacks hold no hint", async () => {
    const c = await HintsCluster.started();
    const key = c.keyWith('n1', 0);
    const coordinator = c.coordinator('t');
    await drive(c.clock, coordinator.put(key, encoder.encode('v'), { w: 3 }));
    // Every replica fails its read, yet none is believed down (slow under a burst, say): the
    // fallbacks asked hold no hint for a key written before, so their "absent" is no answer.
    for (const server of c.rowOf(key) as string[]) c.crash(server);
    const reader = c.coordinator('u');
    await expect(drive(c.clock, reader.get(key))).rejects.toMatchObject({ code: 'RC_ERR_QUORUM_READ' });
    expect(reader.stats.fallbackReads).toBeGreaterThan(0);
  });

  it('answers absent rather than failing when every replica and fallback is recovering and empty', async () => {
    const c = await HintsCluster.started({ servers: 4 });
    for (const server of c.serverIds) {
      c.crash(server);
      c.restart(server);
    }
    const read = await drive(c.clock, c.coordinator('t').get(encoder.encode('never-written')));
    expect(read).toMatchObject({ versioned: null, quorum: 'partial' });
  });
});

describe('read repair of writes still in flight', () => {
  it('leaves a replica missing only a just-minted sibling to its MERGE, and repairs one that is behind for longer', async () => {
    const c = await HintsCluster.started();
    const key = c.keyWith('n1', 0);
    const third = c.rowOf(key)[2] ?? '';
    const coordinator = c.coordinator('t', { readRepairDelayMs: 100 });
    // The third replica does not get the MERGE: a write whose replication is still on its way
    // (its timeout, at 200 ms, would send a hint: both reads happen before that).
    c.network.partition(['t'], [third]);
    await drive(c.clock, coordinator.put(key, encoder.encode('v')));
    // Past the longest hop (40 ms): the MERGE to the third replica is lost, not just late.
    await drive(c.clock, c.clock.sleep(45));
    c.network.heal();
    await drive(c.clock, coordinator.get(key, { r: 3 }));
    await drive(c.clock, c.clock.sleep(5));
    expect(coordinator.stats.readRepairs).toBe(0);
    expect(coordinator.stats.readRepairsSkipped).toBe(1);
    expect(c.stateAt(third, key)).toBeUndefined();
    // Past readRepairDelayMs the same difference is a replica that missed the write: repair it.
    await drive(c.clock, c.clock.sleep(60));
    await drive(c.clock, coordinator.get(key, { r: 3 }));
    await drive(c.clock, c.clock.sleep(41));
    expect(coordinator.stats.readRepairs).toBe(1);
    expect(valueOf(c, c.stateAt(third, key))).toBe('v');
  });

  it('repairs every replica that is behind when readRepairDelayMs is 0, as before', async () => {
    const c = await HintsCluster.started();
    const key = c.keyWith('n1', 0);
    const third = c.rowOf(key)[2] ?? '';
    const coordinator = c.coordinator('t', { readRepairDelayMs: 0 });
    c.network.partition(['t'], [third]);
    await drive(c.clock, coordinator.put(key, encoder.encode('v')));
    await drive(c.clock, c.clock.sleep(45));
    c.network.heal();
    await drive(c.clock, coordinator.get(key, { r: 3 }));
    await drive(c.clock, c.clock.sleep(41));
    expect(coordinator.stats.readRepairs).toBe(1);
    expect(valueOf(c, c.stateAt(third, key))).toBe('v');
  });
});
