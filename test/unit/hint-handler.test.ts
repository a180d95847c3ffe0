/**
 * RC.HINT and RC.HINTREAD as a fallback answers them: validated before anything is kept, counted
 * by reason when refused, never acknowledged unless held.
 */
import { describe, expect, it } from 'vitest';
import { hintRequest } from '../../src/hinted-handoff/index.js';
import type { HintRequest } from '../../src/hinted-handoff/index.js';
import { RingcacheError } from '../../src/runtime/index.js';
import type { ErrorCode } from '../../src/runtime/index.js';
import type { Envelope, PeerReply } from '../../src/transport/index.js';
import { coordinatedPut, encodeVersioned, merge } from '../../src/version/index.js';
import type { Versioned } from '../../src/version/index.js';
import { HintsCluster } from '../simulation/hints-cluster.js';

const encoder = new TextEncoder();

function state(value: string, actor: string, counter = 1, bytes = 0): Versioned {
  return coordinatedPut(undefined, { value: encoder.encode(value.repeat(Math.max(1, bytes))), context: null, dot: { actor, counter }, timestampMs: 1_700_000_000_000, expiresAtMs: null });
}

/** States compared by their canonical encoding (decoded values are Buffer views, built ones Uint8Arrays). */
function wire(versioned: Versioned | null | undefined): string | null | undefined {
  return versioned === null || versioned === undefined ? versioned : Buffer.from(encodeVersioned(versioned)).toString('hex');
}

async function answer(c: HintsCluster, server: string, body: Envelope<HintRequest>['body'] | { kind: 'hint-read'; key: Uint8Array; vnode: number }): Promise<PeerReply> {
  return (await c.core(server).handle({ epoch: c.table.epoch, body })).body;
}

async function refusal(promise: Promise<unknown>): Promise<ErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RingcacheError) return error.code;
    throw error;
  }
  return expect.unreachable('expected a refusal');
}

/** A key whose row holds `owner` and does not hold `fallback`. */
function setup(c: HintsCluster): { key: Uint8Array; vnode: number; owner: string; fallback: string } {
  const key = c.keyWith('n2', 0);
  return { key, vnode: c.table.vnodeOf(key), owner: 'n2', fallback: c.fallbacksOf(key)[0] ?? '' };
}

describe('RC.HINT at a fallback', () => {
  it('acknowledges a valid hint once it holds it, and a sloppy read sees it merged with what the node stores', async () => {
    const c = await HintsCluster.started();
    const { key, vnode, owner, fallback } = setup(c);
    expect(await answer(c, fallback, hintRequest(owner, key, vnode, state('a', 'n1.x')))).toEqual({ kind: 'ack' });
    const service = c.hints(fallback);
    expect(wire(service.store.find(owner, key)?.versioned)).toBe(wire(state('a', 'n1.x')));
    expect(service.accepted).toBe(1);
    // The node also stores something of its own for the key (say, a replica of an older table).
    c.core(fallback).context.engine.merge(key, vnode, state('b', 'n3.y'));
    const read = await answer(c, fallback, { kind: 'hint-read', key, vnode });
    expect(read.kind === 'versioned' ? wire(read.versioned) : read).toBe(wire(merge(state('b', 'n3.y'), state('a', 'n1.x'))));
    expect(await answer(c, fallback, { kind: 'hint-read', key: encoder.encode('nothing'), vnode: c.table.vnodeOf(encoder.encode('nothing')) }))
      .toEqual({ kind: 'versioned', versioned: null });
  });

  it('says it is recovering in a sloppy read when it is (its hints died with its memory)', async () => {
    const c = await HintsCluster.started();
    const { key, vnode, fallback } = setup(c);
    c.crash(fallback);
    c.restart(fallback);
    expect(await answer(c, fallback, { kind: 'hint-read', key, vnode })).toEqual({ kind: 'versioned', versioned: null, recovering: true });
  });

  it('merges a hint naming itself into its own store: the coordinator thought it down', async () => {
    const c = await HintsCluster.started();
    const { key, vnode, owner } = setup(c);
    expect(await answer(c, owner, hintRequest(owner, key, vnode, state('a', 'n1.x')))).toEqual({ kind: 'ack' });
    expect(wire(c.stateAt(owner, key))).toBe(wire(state('a', 'n1.x')));
    expect(c.hints(owner).store.keys).toBe(0);
  });

  it('refuses and counts an owner outside the table, a vnode that is not the key\'s, an owner outside the row, a bad state', async () => {
    const c = await HintsCluster.started();
    const { key, vnode, owner, fallback } = setup(c);
    const good = hintRequest(owner, key, vnode, state('a', 'n1.x'));
    const notInRow = c.serverIds.find((s) => !c.rowOf(key).includes(s)) ?? '';
    const cases: HintRequest[] = [
      { ...good, owner: 'n99' },
      { ...good, vnode: (vnode + 1) % c.table.vnodeCount },
      { ...good, owner: notInRow },
      { ...good, state: encodeVersioned(state('a', 'n1.x')).subarray(0, 5) },
      { ...good, state: Uint8Array.of(9, 9, 9) },
    ];
    for (const body of cases) expect(await refusal(answer(c, fallback, body))).toBe('RC_ERR_PROTOCOL');
    const store = c.hints(fallback).store;
    expect(store.keys).toBe(0);
    expect(store.dropped().get('invalid')).toBe(3);
    expect(store.dropped().get('malformed')).toBe(2);
    expect(c.hints(fallback).accepted).toBe(0);
  });

  it('refuses with RC_ERR_HINTS_FULL past hints.bytesMax for that owner, so the write counts elsewhere', async () => {
    const c = await HintsCluster.started({ config: ['hints.bytesMax=4000'] });
    const { vnode, owner, fallback } = setup(c);
    const keys: Uint8Array[] = [];
    for (let i = 0; keys.length < 5 && i < 10_000; i++) {
      const key = encoder.encode(`full:${String(i)}`);
      if (c.table.vnodeOf(key) === vnode) keys.push(key);
    }
    let refused: ErrorCode | undefined;
    for (const key of keys) {
      try {
        await answer(c, fallback, hintRequest(owner, key, vnode, state('x', 'n1.x', 1, 900)));
      } catch (error) {
        refused = (error as RingcacheError).code;
        expect((error as RingcacheError).message).toMatch(/see hints\.bytesMax/);
        break;
      }
    }
    expect(refused).toBe('RC_ERR_HINTS_FULL');
    expect(c.hints(fallback).store.bytes).toBeLessThanOrEqual(4000);
    expect(c.hints(fallback).store.dropped().get('full')).toBe(1);
  });

  it('exports its figures as metric sources', async () => {
    const c = await HintsCluster.started();
    const { key, vnode, owner, fallback } = setup(c);
    await answer(c, fallback, hintRequest(owner, key, vnode, state('a', 'n1.x')));
    const figures = new Map(c.hints(fallback).metrics().map((source) => [source.name, source.read()]));
    expect(figures.get('hints_keys')).toBe(1);
    expect(figures.get('hints_bytes')).toBe(c.hints(fallback).store.bytes);
    expect(figures.get('hints_replayed_total')).toBe(0);
    expect(figures.get('hint_replay_bytes_total')).toBe(0);
    expect([...(figures.get('hints_dropped_total') as Iterable<readonly [string, number]>)].map(([reason]) => reason))
      .toEqual(['full', 'oversized', 'expired', 'malformed', 'invalid', 'owner-left', 'refused']);
  });
});
