import { describe, expect, it } from 'vitest';
import { RingcacheError, VirtualClock } from '../../src/runtime/index.js';
import { MemoryEngine } from '../../src/storage/index.js';
import { NodeService } from '../../src/node/service.js';
import type { CoordinatedPutRequest, Envelope, InternodeRequest } from '../../src/transport/messages.js';

const encoder = new TextEncoder();
const key = encoder.encode('k');

function setup(bytesMax = 1024 * 1024) {
  const clock = new VirtualClock(1_000_000.5);
  const storage = new MemoryEngine({ bytesMax });
  const seenEpochs: number[] = [];
  const service = new NodeService({
    serverId: 'n1', actor: 'n1.a', storage, clock, epoch: () => 5,
    onNewerEpoch: (epoch) => seenEpochs.push(epoch),
    options: { keyBytesMax: 8, valueBytesMax: 16, dedupeEntriesMax: 2 },
  });
  return { clock, storage, service, seenEpochs };
}

function put(requestId: string, value: string | null, overrides: Partial<CoordinatedPutRequest> = {}): Envelope<InternodeRequest> {
  return {
    epoch: 5,
    body: { kind: 'coord-put', requestId, key, vnode: 3, value: value === null ? null : encoder.encode(value), context: null, expiresAtMs: null, ...overrides },
  };
}

function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof RingcacheError) return error.code;
    throw error;
  }
  return 'none';
}

describe('NodeService', () => {
  it('mints one dot per write from a single counter, with integer timestamps', () => {
    const { service } = setup();
    const first = service.handle(put('r1', 'a'));
    const second = service.handle(put('r2', 'b', { key: encoder.encode('other') }));
    expect(first.body.kind === 'put-result' && first.body.dot).toEqual({ actor: 'n1.a', counter: 1 });
    expect(second.body.kind === 'put-result' && second.body.dot).toEqual({ actor: 'n1.a', counter: 2 });
    expect(first.body.kind === 'put-result' && first.body.versioned.siblings[0]?.timestampMs).toBe(1_000_000);
    expect(first.epoch).toBe(5);
  });

  it('applies a resent request once', () => {
    const { service, storage } = setup();
    const a = service.handle(put('same', 'x'));
    const b = service.handle(put('same', 'x'));
    expect(b).toEqual(a);
    expect(storage.get(key)?.siblings).toHaveLength(1);
    expect(service.stats.duplicatesIgnored).toBe(1);
  });

  it('refuses oversized keys and values and leaves storage and the counter untouched', () => {
    const { service, storage } = setup();
    expect(codeOf(() => service.handle(put('r1', 'v', { key: encoder.encode('123456789') })))).toBe('RC_ERR_KEY_TOO_LARGE');
    expect(codeOf(() => service.handle(put('r2', 'x'.repeat(17))))).toBe('RC_ERR_VALUE_TOO_LARGE');
    expect(codeOf(() => service.handle({ epoch: 5, body: { kind: 'read', key: new Uint8Array(0), vnode: 0 } }))).toBe('RC_ERR_KEY_TOO_LARGE');
    expect(storage.isEmpty()).toBe(true);
    const ok = service.handle(put('r3', 'v'));
    expect(ok.body.kind === 'put-result' && ok.body.dot.counter).toBe(1);
  });

  it('does not spend a dot on a write the engine refuses', () => {
    const probe = setup();
    probe.service.handle(put('r0', 'v'));
    const entryBytes = probe.storage.stats().bytes;
    const { service } = setup(2 * entryBytes + 8);
    service.handle(put('r1', 'v'));
    expect(codeOf(() => service.handle(put('r2', 'w', { key: encoder.encode('k2') })))).toBe('none');
    expect(codeOf(() => service.handle(put('r3', 'x', { key: encoder.encode('k3') })))).toBe('RC_ERR_STORAGE_FULL');
    const next = service.handle(put('r4', 'y'));
    expect(next.body.kind === 'put-result' && next.body.dot.counter).toBe(3);
  });

  it('merges, reads raw versions, answers pings and reports newer epochs', () => {
    const { service, seenEpochs } = setup();
    const written = service.handle(put('r1', 'v'));
    if (written.body.kind !== 'put-result') throw new Error('expected a put-result');
    const ack = service.handle({ epoch: 9, body: { kind: 'merge', key: encoder.encode('copy'), vnode: 1, versioned: written.body.versioned } });
    expect(ack.body).toEqual({ kind: 'ack' });
    expect(seenEpochs).toEqual([9]);
    const read = service.handle({ epoch: 5, body: { kind: 'read', key: encoder.encode('copy'), vnode: 1 } });
    expect(read.body.kind === 'versioned' && read.body.versioned).toEqual(written.body.versioned);
    const missing = service.handle({ epoch: 5, body: { kind: 'read', key: encoder.encode('none'), vnode: 1 } });
    expect(missing.body).toEqual({ kind: 'versioned', versioned: null });
    expect(service.handle({ epoch: 5, body: { kind: 'ping' } }).body).toEqual({ kind: 'pong', serverId: 'n1' });
  });
});
