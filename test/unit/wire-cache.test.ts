/**
 * The memory engine's cached wire forms (getEncoded) and the node's encoded read: the bytes are
 * always encodeVersioned of the stored state, a change of the state is never answered with stale
 * bytes, and the cache only borrows the budget's free room (the data accounting is unchanged).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ENTRY_OVERHEAD_BYTES, MemoryEngine, WIRE_OVERHEAD_BYTES } from '../../src/storage/index.js';
import { encodeVersioned, versionedBytes } from '../../src/version/index.js';
import { isRingcacheError, VirtualClock } from '../../src/runtime/index.js';
import { NodeService } from '../../src/node/service.js';
import { encodeEncodedReadReply, encodeInternodeReply } from '../../src/transport/internode-codec.js';
import { encodeReply } from '../../src/resp/index.js';
import { key, version } from './storage-contract.js';

function expectFresh(engine: MemoryEngine, k: Uint8Array): void {
  const stored = engine.get(k);
  const encoded = engine.getEncoded(k);
  if (stored === undefined) expect(encoded).toBeUndefined();
  else expect(Buffer.from(encoded!).equals(encodeVersioned(stored))).toBe(true);
}

describe('MemoryEngine.getEncoded', () => {
  it('answers encodeVersioned of the stored state through puts, merges, deletes and sweeps', () => {
    const op = fc.record({ kind: fc.constantFrom('put', 'merge', 'delete', 'sweep', 'read'), key: fc.nat(5), size: fc.nat(200), tombstone: fc.boolean() });
    fc.assert(fc.property(fc.constantFrom('reject', 'lru'), fc.array(op, { maxLength: 60 }), (policy, ops) => {
      const perKey = 2 + ENTRY_OVERHEAD_BYTES + versionedBytes(version('n1', 1, 'v'.repeat(200)));
      const engine = new MemoryEngine({ bytesMax: 4 * perKey, evictionPolicy: policy, siblingsMax: 3 });
      ops.forEach((o, i) => {
        const k = key(`k${o.key}`);
        const next = version(`n${i % 3}`, i + 1, o.tombstone ? null : 'v'.repeat(o.size), { timestampMs: i });
        try {
          if (o.kind === 'put') engine.put(k, o.key % 3, next);
          else if (o.kind === 'merge') engine.merge(k, o.key % 3, next);
          else if (o.kind === 'delete') engine.delete(k);
          else if (o.kind === 'sweep') engine.sweep(i, 5, 2);
        } catch (error) {
          if (!isRingcacheError(error, 'RC_ERR_STORAGE_FULL')) throw error;
        }
        for (let other = 0; other < 6; other++) expectFresh(engine, key(`k${other}`));
      });
    }), { numRuns: 150 });
  });

  it('caches only in free room, gives it back to data, and never counts it as data', () => {
    const value = 'x'.repeat(100);
    const perKey = 2 + ENTRY_OVERHEAD_BYTES + versionedBytes(version('n1', 1, value));
    const wireCost = WIRE_OVERHEAD_BYTES + encodeVersioned(version('n1', 1, value)).length;
    const engine = new MemoryEngine({ bytesMax: 3 * perKey + wireCost + 10, evictionPolicy: 'reject' });
    engine.put(key('k0'), 0, version('n1', 1, value));
    engine.put(key('k1'), 0, version('n1', 2, value));
    const first = engine.getEncoded(key('k0'));
    const second = engine.getEncoded(key('k1'));
    expect(engine.getEncoded(key('k0'))).toBe(first);
    expect(engine.getEncoded(key('k1'))).toBe(second);
    expect(engine.stats().bytes).toBe(2 * perKey);
    // The third key needs room the wires borrowed: it is stored, the oldest wire is dropped.
    engine.put(key('k2'), 0, version('n1', 3, value));
    expect(engine.stats().bytes).toBe(3 * perKey);
    expect(engine.getEncoded(key('k0'))).not.toBe(first);
    expect(engine.getEncoded(key('k1'))).toBe(second);
    // No free room left for another wire: encoded each time, never kept.
    const third = engine.getEncoded(key('k2'));
    expect(engine.getEncoded(key('k2'))).not.toBe(third);
    for (const name of ['k0', 'k1', 'k2']) expectFresh(engine, key(name));
  });
});

describe('NodeService.handleEncodedRead', () => {
  it('answers the same bytes as handle() of the read, on the wire', () => {
    const storage = new MemoryEngine();
    const service = new NodeService({ serverId: 'n1', actor: 'n1.a', storage, clock: new VirtualClock(5), epoch: () => 3 });
    const read = { epoch: 2, body: { kind: 'read' as const, key: key('k'), vnode: 1 } };
    for (const state of [undefined, version('n1', 1, 'v'), version('n2', 4, null)]) {
      if (state !== undefined) storage.put(key('k'), 1, state);
      const expected = encodeReply(encodeInternodeReply(service.handle(read)));
      expect(encodeReply(encodeEncodedReadReply(service.handleEncodedRead(read))).equals(expected)).toBe(true);
    }
    expect(service.stats.reads).toBe(6);
  });
});
