/**
 * The hint replayer on real NodeCores over the simulated network: it replays when the board shows
 * the owner up (at once, and on its periodic retry), deletes a hint only after the owner's ack,
 * keeps to hints.replayBytesPerSec and hints.replayConcurrency, drops expired hints, and forwards
 * hints of owners that left the table or no longer hold the vnode to its current replicas.
 */
import { describe, expect, it } from 'vitest';
import { coordinatedPut, covers } from '../../src/version/index.js';
import type { Dot } from '../../src/version/index.js';
import type { Envelope, InternodeHandler, PeerReply, PeerRequest } from '../../src/transport/index.js';
import type { ServerId } from '../../src/ring/index.js';
import { runClockUntil } from '../simulation/drive.js';
import { HintsCluster } from '../simulation/hints-cluster.js';

const encoder = new TextEncoder();

/** Up to `count` keys whose row holds `owner`, each with a hint at `holder` (a server outside the row). */
function plantHints(c: HintsCluster, owner: ServerId, count: number, valueBytes = 10): { holder: ServerId; keys: Uint8Array[]; dots: Dot[] } {
  const keys: Uint8Array[] = [];
  const dots: Dot[] = [];
  let holder: ServerId | undefined;
  for (let i = 0; keys.length < count && i < 100_000; i++) {
    const key = encoder.encode(`hinted:${String(i)}`);
    if (!c.rowOf(key).includes(owner)) continue;
    const fallback = c.fallbacksOf(key)[0] as ServerId;
    holder ??= fallback;
    if (fallback !== holder) continue;
    const dot = { actor: 'n0.test', counter: i + 1 };
    const state = coordinatedPut(undefined, { value: encoder.encode('v'.repeat(valueBytes)), context: null, dot, timestampMs: Math.floor(c.clock.nowMs()), expiresAtMs: null });
    expect(c.hints(holder).store.add(owner, key, c.table.vnodeOf(key), state, c.clock.nowMs())).toBe('stored');
    keys.push(key);
    dots.push(dot);
  }
  return { holder: holder ?? '', keys, dots };
}

/** Wraps a node's handler to watch (and hold back) the MERGEs it receives. */
function watchMerges(c: HintsCluster, server: ServerId, options: { holdMs?: number; dropReplies?: () => boolean } = {}) {
  const core = c.core(server);
  const seen: { atMs: number; bytes: number }[] = [];
  let inflight = 0;
  let inflightMax = 0;
  const handler: InternodeHandler = {
    handle: async (request: Envelope<PeerRequest>): Promise<Envelope<PeerReply>> => {
      if (request.body.kind !== 'merge') return core.handle(request);
      seen.push({ atMs: c.clock.nowMs(), bytes: request.body.key.length });
      inflight++;
      inflightMax = Math.max(inflightMax, inflight);
      try {
        if (options.holdMs !== undefined) await c.clock.sleep(options.holdMs);
        const reply = await core.handle(request);
        // Applied, but the ack never comes back: the replayer must keep the hint.
        if (options.dropReplies?.() === true) await new Promise(() => undefined);
        return reply;
      } finally {
        inflight--;
      }
    },
  };
  c.network.listen(server, handler);
  return { seen, inflightMax: () => inflightMax };
}

async function run(c: HintsCluster, ms: number): Promise<void> {
  await runClockUntil(c.clock, c.clock.nowMs() + ms, () => false);
}

describe('hint replay', () => {
  it('replays at once when the board shows the owner up, then deletes each acknowledged hint', async () => {
    const c = await HintsCluster.started({ config: ['hints.replayIntervalMs=60000'] });
    c.markDown('n2');
    const { holder, keys, dots } = plantHints(c, 'n2', 20);
    await run(c, 5_000);
    expect(c.hints(holder).replayer?.stats.sent).toBe(0);
    c.markUp('n2');
    await run(c, 200);
    expect(c.hints(holder).store.keys).toBe(0);
    expect(c.hints(holder).replayer?.stats.replayed).toBe(20);
    keys.forEach((key, i) => { expect(covers(c.stateAt('n2', key)?.context ?? [], dots[i] as Dot)).toBe(true); });
  });

  it('keeps every hint while the owner cannot be reached, and retries on its interval until it can', async () => {
    const c = await HintsCluster.started({ config: ['hints.replayIntervalMs=500'] });
    const { holder, keys } = plantHints(c, 'n3', 10);
    c.crash('n3');
    await run(c, 2_000);
    const replayer = c.hints(holder).replayer;
    expect(replayer?.stats.sent).toBeGreaterThan(0);
    expect(replayer?.stats.failedPasses).toBeGreaterThan(0);
    expect(c.hints(holder).store.keys).toBe(10);
    c.restart('n3');
    await run(c, 1_000);
    expect(c.hints(holder).store.keys).toBe(0);
    for (const key of keys) expect(c.stateAt('n3', key)).toBeDefined();
  });

  it('an owner that applied a MERGE but whose ack was lost gets it again: the hint goes only after an ack', async () => {
    const c = await HintsCluster.started({ config: ['hints.replayIntervalMs=500'] });
    const { holder } = plantHints(c, 'n4', 5);
    let drop = true;
    watchMerges(c, 'n4', { dropReplies: () => drop });
    await run(c, 1_200);
    expect(c.hints(holder).store.keys).toBe(5);
    drop = false;
    await run(c, 1_000);
    expect(c.hints(holder).store.keys).toBe(0);
    expect(c.hints(holder).replayer?.stats.sent).toBeGreaterThan(5);
  });

  it('keeps to hints.replayBytesPerSec (a one-second burst, then the rate)', async () => {
    const rate = 20_000;
    const c = await HintsCluster.started({ config: [`hints.replayBytesPerSec=${String(rate)}`, 'hints.replayIntervalMs=60000'] });
    c.markDown('n5');
    const { holder } = plantHints(c, 'n5', 100, 1000);
    const total = c.hints(holder).store.bytes;
    const watch = watchMerges(c, 'n5');
    const started = c.clock.nowMs();
    c.markUp('n5');
    await run(c, 20_000);
    expect(c.hints(holder).store.keys).toBe(0);
    const seconds = ((watch.seen.at(-1)?.atMs ?? started) - started) / 1000;
    // All but the first second's burst at the rate; the last hint may ride on a little debt.
    expect(seconds).toBeGreaterThan(((total - rate) / rate) * 0.9);
    expect(seconds).toBeLessThan(((total - rate) / rate) * 1.1 + 0.5);
    expect(c.hints(holder).replayer?.stats.replayedBytes).toBe(total);
  });

  it('has at most hints.replayConcurrency MERGEs in flight', async () => {
    const c = await HintsCluster.started({ config: ['hints.replayConcurrency=3', 'hints.replayIntervalMs=60000'] });
    c.markDown('n1');
    const { holder } = plantHints(c, 'n1', 30);
    const watch = watchMerges(c, 'n1', { holdMs: 30 });
    c.markUp('n1');
    await run(c, 2_000);
    expect(c.hints(holder).store.keys).toBe(0);
    expect(watch.inflightMax()).toBe(3);
  });

  it('a hint that a newer write merged into while its replay was in flight stays for the next pass', async () => {
    const c = await HintsCluster.started({ config: ['hints.replayIntervalMs=500'] });
    c.markDown('n6');
    const { holder, keys } = plantHints(c, 'n6', 1);
    const key = keys[0] as Uint8Array;
    watchMerges(c, 'n6', { holdMs: 50 });
    c.markUp('n6');
    await run(c, 10);
    const newer = coordinatedPut(undefined, { value: encoder.encode('newer'), context: null, dot: { actor: 'n0.other', counter: 1 }, timestampMs: Math.floor(c.clock.nowMs()), expiresAtMs: null });
    c.hints(holder).store.add('n6', key, c.table.vnodeOf(key), newer, c.clock.nowMs());
    await run(c, 100);
    expect(c.hints(holder).store.keys).toBe(1);
    await run(c, 1_000);
    expect(c.hints(holder).store.keys).toBe(0);
    expect(covers(c.stateAt('n6', key)?.context ?? [], { actor: 'n0.other', counter: 1 })).toBe(true);
  });

  it('drops hints past hints.ageMsMax, counted by reason', async () => {
    const c = await HintsCluster.started({ config: ['hints.ageMsMax=1000', 'hints.replayIntervalMs=300'] });
    c.markDown('n2');
    const { holder } = plantHints(c, 'n2', 4);
    const store = c.hints(holder).store;
    await run(c, 1_400);
    expect(store.keys).toBe(0);
    expect(store.dropped().get('expired')).toBe(4);
  });

  it('forwards a hint whose owner left the table, or no longer holds its vnode, to the row\'s replicas instead of dropping it', async () => {
    const c = await HintsCluster.started({ config: ['hints.replayIntervalMs=300'] });
    const key = encoder.encode('forwarded');
    const row = c.rowOf(key);
    const vnode = c.table.vnodeOf(key);
    // A holder outside the row, and a server in the table but outside the row as the stale owner.
    const holder = c.fallbacksOf(key)[0] as ServerId;
    const outside = c.fallbacksOf(key).find((server) => server !== holder) as ServerId;
    const stateOf = (counter: number) => coordinatedPut(undefined, { value: encoder.encode('x'), context: null, dot: { actor: 'n0.t', counter }, timestampMs: Math.floor(c.clock.nowMs()), expiresAtMs: null });
    const store = c.hints(holder).store;
    // The owner refuses (RC_ERR_NOT_OWNER: the table moved the vnode away from it) ...
    expect(store.add(outside, key, vnode, stateOf(1), c.clock.nowMs())).toBe('stored');
    // ... or is gone from the table altogether.
    const other = encoder.encode('forwarded-2');
    expect(store.add('n99', other, c.table.vnodeOf(other), stateOf(2), c.clock.nowMs())).toBe('stored');
    await run(c, 1_000);
    expect(store.keys).toBe(0);
    expect(store.dropped().get('refused') ?? 0).toBe(0);
    expect(store.dropped().get('owner-left') ?? 0).toBe(0);
    expect(c.hints(holder).replayer?.stats.forwarded).toBe(2);
    expect(row.some((server) => covers(c.stateAt(server, key)?.context ?? [], { actor: 'n0.t', counter: 1 }))).toBe(true);
    expect(c.rowOf(other).some((server) => covers(c.stateAt(server, other)?.context ?? [], { actor: 'n0.t', counter: 2 }))).toBe(true);
    expect(c.stateAt(outside, key)).toBeUndefined();
  });
});
