import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ENTRY_OVERHEAD_BYTES, MEMORY_ENGINE_DEFAULTS, MemoryEngine, entryBytes } from '../../src/storage/index.js';
import type { MemoryEngineOptions } from '../../src/storage/index.js';
import { decodeVersioned, encodeVersioned, versionedBytes } from '../../src/version/index.js';
import { RingcacheError, isRingcacheError } from '../../src/runtime/index.js';
import { expectConsistentTotals, key, shape, storageContract, version } from './storage-contract.js';

storageContract('MemoryEngine', (options) => new MemoryEngine({ ...options, evictionPolicy: 'reject' }));

/** Recomputes the engine's bytes from scratch: accounting must be exact, not merely consistent. */
function expectExactBytes(engine: MemoryEngine): void {
  let total = 0;
  for (const vnode of engine.vnodes()) {
    let ofVnode = 0;
    for (const [k, versioned] of engine.entries(vnode)) ofVnode += entryBytes(k.byteLength, versioned);
    expect(engine.vnodeStats(vnode).bytes).toBe(ofVnode);
    total += ofVnode;
  }
  expect(engine.stats().bytes).toBe(total);
  expect(total).toBeLessThanOrEqual(engine.stats().bytesMax);
  expectConsistentTotals(engine);
}

function storageFull(attempt: () => unknown): string {
  try {
    attempt();
  } catch (error) {
    expect(isRingcacheError(error, 'RC_ERR_STORAGE_FULL')).toBe(true);
    return (error as Error).message;
  }
  return expect.unreachable('over budget');
}

/** Key i costs the same for every i < 10 (same key length, same shape of versions). */
const PER_KEY = entryBytes(2, version('n1', 1, 'x'.repeat(100)));
const fourKeys = (options: Partial<MemoryEngineOptions> = {}): MemoryEngine => {
  const engine = new MemoryEngine({ bytesMax: 4 * PER_KEY + 10, evictionPolicy: 'lru', ...options });
  for (let i = 0; i < 4; i++) engine.put(key(`k${i}`), i, version('n1', i + 1, 'x'.repeat(100)));
  return engine;
};
const held = (engine: MemoryEngine): string[] =>
  engine.vnodes().flatMap((vnode) => [...engine.entries(vnode)].map(([k]) => Buffer.from(k).toString())).sort();

describe('MemoryEngine options', () => {
  it('defaults to 256 MiB, reject and 64 siblings, frozen', () => {
    expect(MEMORY_ENGINE_DEFAULTS).toEqual({ bytesMax: 256 * 1024 * 1024, evictionPolicy: 'reject', siblingsMax: 64 });
    expect(Object.isFrozen(MEMORY_ENGINE_DEFAULTS)).toBe(true);
    expect(new MemoryEngine().stats().bytesMax).toBe(256 * 1024 * 1024);
  });

  it('rejects unknown keys and bad values with RC_ERR_CONFIG naming the key', () => {
    const bad: [object, RegExp][] = [
      [{ bytesMax: 0 }, /storage.bytesMax/],
      [{ bytesMax: 1.5 }, /storage.bytesMax/],
      [{ evictionPolicy: 'fifo' }, /storage.evictionPolicy is "fifo"/],
      [{ siblingsMax: 0 }, /storage.siblingsMax/],
      [{ bytesMaxx: 10 }, /storage.bytesMaxx is not a memory engine option/],
    ];
    for (const [options, message] of bad) {
      expect(() => new MemoryEngine(options as Partial<MemoryEngineOptions>)).toThrow(message);
      expect(() => new MemoryEngine(options as Partial<MemoryEngineOptions>)).toThrow(RingcacheError);
    }
  });
});

describe('MemoryEngine accounting', () => {
  it('charges key bytes + entry overhead + versionedBytes, exactly', () => {
    const engine = new MemoryEngine();
    const versioned = version('n1', 1, 'hello');
    engine.put(key('abc'), 0, versioned);
    expect(engine.stats().bytes).toBe(3 + ENTRY_OVERHEAD_BYTES + versionedBytes(versioned));
  });

  it('stays exact through random puts, merges, deletes, sweeps and evictions', () => {
    const op = fc.record({ kind: fc.constantFrom('put', 'merge', 'delete', 'sweep', 'get'), key: fc.nat(7), size: fc.nat(300), tombstone: fc.boolean() });
    fc.assert(fc.property(fc.constantFrom('reject', 'lru'), fc.array(op, { maxLength: 60 }), (policy, ops) => {
      const engine = new MemoryEngine({ bytesMax: 6 * PER_KEY, evictionPolicy: policy, siblingsMax: 3 });
      ops.forEach((o, i) => {
        const k = key(`k${o.key}`);
        const next = version(`n${i % 4}`, i + 1, o.tombstone ? null : 'v'.repeat(o.size), { timestampMs: i });
        try {
          if (o.kind === 'put') engine.put(k, o.key % 3, next);
          else if (o.kind === 'merge') engine.merge(k, o.key % 3, next);
          else if (o.kind === 'delete') engine.delete(k);
          else if (o.kind === 'get') engine.get(k);
          else engine.sweep(i, 5, 2);
        } catch (error) {
          if (!isRingcacheError(error, 'RC_ERR_STORAGE_FULL')) throw error;
        }
        expectExactBytes(engine);
      });
    }), { numRuns: 150 });
  });

  it('copies values that are views into a larger buffer, so a frame is not pinned', () => {
    const frame = encodeVersioned(version('n1', 1, 'value'));
    const decoded = decodeVersioned(frame);
    const engine = new MemoryEngine();
    const stored = engine.put(key('k'), 0, decoded);
    const value = stored.siblings[0]!.value!;
    expect(value.buffer).not.toBe(frame.buffer);
    expect(value.byteLength).toBe(value.buffer.byteLength);
    frame.fill(0);
    expect(Buffer.from(engine.get(key('k'))!.siblings[0]!.value!).toString()).toBe('value');
    expect(engine.put(key('k'), 0, stored)).toBe(stored);
  });

  it('yields keys from entries() in buffers of their own', () => {
    const engine = new MemoryEngine();
    engine.put(key('k1'), 0, version('n1', 1, 'x'));
    for (const [k] of engine.entries(0)) expect(k.buffer.byteLength).toBe(k.byteLength);
  });
});

describe('MemoryEngine with evictionPolicy reject', () => {
  it('says what is used, needed and allowed, and names the options to tune', () => {
    const engine = fourKeys({ evictionPolicy: 'reject' });
    const message = storageFull(() => engine.put(key('k9'), 9, version('n1', 9, 'x'.repeat(100))));
    expect(message).toContain(`${4 * PER_KEY} of ${4 * PER_KEY + 10} bytes used`);
    expect(message).toContain(`needs ${PER_KEY} more`);
    expect(message).toMatch(/storage\.bytesMax/);
    expect(message).toMatch(/storage\.evictionPolicy/);
  });
});

describe('MemoryEngine with evictionPolicy lru', () => {
  it('evicts the least recently used key; get and put count as use', () => {
    const engine = fourKeys();
    engine.get(key('k0'));
    engine.put(key('k4'), 4, version('n1', 5, 'x'.repeat(100)));
    expect(held(engine)).toEqual(['k0', 'k2', 'k3', 'k4']);
    engine.put(key('k2'), 2, version('n1', 6, 'x'.repeat(100)));
    engine.merge(key('k5'), 5, version('n1', 7, 'x'.repeat(100)));
    expect(held(engine)).toEqual(['k0', 'k2', 'k4', 'k5']);
    expect(engine.stats().evictions).toBe(2);
    expectExactBytes(engine);
  });

  it('reports each eviction on the change feed before the write that needed the room', () => {
    const engine = fourKeys();
    const heard: string[] = [];
    engine.subscribe((cause, vnode, changed, _before, after) => { heard.push(`${cause} ${String(vnode)} ${Buffer.from(changed).toString()} ${after === undefined ? 'gone' : 'held'}`); });
    engine.put(key('k4'), 4, version('n1', 5, 'x'.repeat(100)));
    expect(heard).toEqual(['evict 0 k0 gone', 'put 4 k4 held']);
  });

  it('never evicts the key being written to make room for its own growth', () => {
    const engine = fourKeys();
    engine.put(key('k0'), 0, version('n1', 9, 'x'.repeat(100 + PER_KEY + 20)));
    expect(held(engine)).toEqual(['k0', 'k3']);
    expect(engine.stats().evictions).toBe(2);
    expectExactBytes(engine);
  });

  it('rejects a single entry larger than bytesMax and evicts nothing for it', () => {
    const engine = fourKeys();
    const message = storageFull(() => engine.put(key('k9'), 9, version('n1', 9, 'x'.repeat(5 * PER_KEY))));
    expect(message).toMatch(/more than storage\.bytesMax/);
    expect(held(engine)).toEqual(['k0', 'k1', 'k2', 'k3']);
    expect(engine.stats()).toMatchObject({ evictions: 0, rejections: 1 });
  });

  it('keeps its sweep cursor valid while reads reorder keys, reaching every dead key', () => {
    const engine = new MemoryEngine({ evictionPolicy: 'lru' });
    for (let i = 0; i < 10; i++) engine.put(key(`k${i}`), i % 2, version('n1', i + 1, i < 5 ? null : 'x'));
    let calls = 0;
    while (engine.stats().keys > 5) {
      engine.sweep(10, 0, 1);
      engine.get(key(`k${calls % 10}`));
      calls++;
      expect(calls).toBeLessThanOrEqual(30);
    }
    expect(held(engine)).toEqual(['k5', 'k6', 'k7', 'k8', 'k9']);
    expect(shape(engine.get(key('k5')))).toEqual(shape(version('n1', 6, 'x')));
  });
});
