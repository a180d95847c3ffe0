/**
 * The in-memory StorageEngine: a byte budget, optional LRU eviction, per-vnode indexes.
 *
 *   entriesByKey  Map<latin1(key), Entry>     every key; under 'lru' its order is recency
 *                 [least recent ... most recent]  (a Map keeps insertion order; an access
 *                                                  deletes and re-inserts the key)
 *   vnodeIndexes  Map<vnode, { entries: Map<latin1(key), Entry>, bytes }>
 *                 so entries(v) and vnodeStats(v) cost O(keys of v), not O(all keys)
 *   Entry         { keyText, vnode, versioned, bytes, wire }   bytes = key + overhead + versionedBytes
 *   wire          encodeVersioned(versioned), kept after the first getEncoded() until the state
 *                 changes; its bytes (WIRE_OVERHEAD_BYTES + length each) live in the budget's free
 *                 room only: a write that needs the room drops cached wires first, oldest first
 *
 * latin1 maps each byte to one UTF-16 code unit, so raw key bytes index a Map 1:1 and fast.
 * Byte accounting is exact by construction: every change of `entry.bytes` also changes its
 * vnode's and the engine's totals (the tests recompute them from scratch).
 */
import { AssertionError, RingcacheError, assert } from '../runtime/index.js';
import type { Sibling, Versioned } from '../version/index.js';
import { encodeVersioned, isDead, merge, truncateSiblings, versionedBytes, versionedProblem, versionsEqual, withTypes } from '../version/index.js';
import { copyCollections } from '../datatypes/or-map-codec.js';
import type { Collection } from '../datatypes/or-map.js';
import type { ChangeCause, ChangeListener, EngineStats, MergeResult, StorageEngine, VnodeStats } from './engine.js';
import type { MemoryEngineOptions } from './memory-engine-options.js';
import { memoryEngineOptions } from './memory-engine-options.js';

/**
 * Heap per key beyond its versions, measured like version/size.ts: the Entry object (~56 B), its
 * slots in two Maps with their hash-table slack (~80 B), the key string's header (~24 B).
 */
export const ENTRY_OVERHEAD_BYTES = 160;

/** What one key costs against storage.bytesMax. */
export function entryBytes(keyBytes: number, versioned: Versioned): number {
  return keyBytes + ENTRY_OVERHEAD_BYTES + versionedBytes(versioned);
}

/** Heap of a cached wire form beyond its bytes: a Buffer object and its slot (version/size.ts). */
export const WIRE_OVERHEAD_BYTES = 208;

interface Entry {
  readonly keyText: string;
  readonly vnode: number;
  versioned: Versioned;
  bytes: number;
  /** encodeVersioned(versioned) once a read asked for it; null when not cached. */
  wire: Buffer | null;
}

interface VnodeIndex {
  readonly entries: Map<string, Entry>;
  bytes: number;
}

export class MemoryEngine implements StorageEngine {
  readonly options: MemoryEngineOptions;
  private readonly entriesByKey = new Map<string, Entry>();
  private readonly vnodeIndexes = new Map<number, VnodeIndex>();
  private bytes = 0;
  private evictions = 0;
  private rejections = 0;
  private siblingsOverflow = 0;
  /** Cached wire forms: a node answers a read by copying them (no encode per read). */
  private readonly wires = new WireCache();
  /** Where the last sweep stopped: a live Map iterator survives inserts and deletes. */
  private sweepCursor: Iterator<Entry> | undefined;
  /** The change feed's listeners; an array, since a write walks it (usually 0 to 3 entries). */
  private listeners: readonly ChangeListener[] = [];

  constructor(options: Partial<MemoryEngineOptions> = {}) {
    this.options = memoryEngineOptions(options);
  }

  get(key: Uint8Array): Versioned | undefined {
    const entry = this.entriesByKey.get(keyText(key));
    if (entry === undefined) return undefined;
    this.touch(entry);
    return entry.versioned;
  }

  /**
   * The stored state in its wire form (version/codec.ts), undefined if absent; touches like get.
   * Why: encoding the state on every read was the largest cost of a storage node's READ (about
   * a fifth of its CPU); a key is read about 9 times per write under the 90/10 benchmark mix.
   * Measured: the nodes' CPU per op at -P 16, N=1, went from 7.3-8.6 to 7.0 us.
   */
  getEncoded(key: Uint8Array): Uint8Array | undefined {
    const entry = this.entriesByKey.get(keyText(key));
    if (entry === undefined) return undefined;
    this.touch(entry);
    if (entry.wire !== null) return entry.wire;
    const wire = encodeVersioned(entry.versioned);
    if (this.bytes + this.wires.bytes + wireCost(wire) <= this.options.bytesMax) this.wires.keep(entry, wire);
    return wire;
  }

  put(key: Uint8Array, vnode: number, versioned: Versioned): Versioned {
    assertCanonical(versioned, 'put');
    const text = keyText(key);
    const { versioned: truncated, dropped } = truncateSiblings(versioned, this.options.siblingsMax);
    const existing = this.entriesByKey.get(text);
    const before = existing?.versioned;
    const stored = this.store(text, vnode, existing, truncated, dropped);
    if (this.listeners.length > 0) this.emit('put', vnode, key, before, stored);
    return stored;
  }

  merge(key: Uint8Array, vnode: number, incoming: Versioned): MergeResult {
    assertCanonical(incoming, 'merge');
    const text = keyText(key);
    const existing = this.entriesByKey.get(text);
    const joined = existing === undefined ? incoming : merge(existing.versioned, incoming);
    const { versioned: truncated, dropped } = truncateSiblings(joined, this.options.siblingsMax);
    if (existing !== undefined && versionsEqual(truncated, existing.versioned)) {
      this.touch(existing);
      return { stored: existing.versioned, changed: false };
    }
    const before = existing?.versioned;
    const stored = this.store(text, vnode, existing, truncated, dropped);
    if (this.listeners.length > 0) this.emit('merge', vnode, key, before, stored);
    return { stored, changed: true };
  }

  delete(key: Uint8Array): boolean {
    const entry = this.entriesByKey.get(keyText(key));
    if (entry === undefined) return false;
    this.remove(entry);
    if (this.listeners.length > 0) this.emit('delete', entry.vnode, key, entry.versioned, undefined);
    return true;
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => { this.listeners = this.listeners.filter((kept) => kept !== listener); };
  }

  *entries(vnode: number): IterableIterator<[Uint8Array, Versioned]> {
    const index = this.vnodeIndexes.get(vnode);
    if (index === undefined) return;
    for (const entry of index.entries.values()) {
      // Buffer.alloc is never pooled: a key the caller keeps does not pin an 8 KiB slab.
      const key = Buffer.alloc(entry.keyText.length);
      key.write(entry.keyText, 'latin1');
      yield [key, entry.versioned];
    }
  }

  vnodes(): number[] {
    return [...this.vnodeIndexes.keys()].sort((a, b) => a - b);
  }

  vnodeStats(vnode: number): VnodeStats {
    const index = this.vnodeIndexes.get(vnode);
    return index === undefined ? { keys: 0, bytes: 0 } : { keys: index.entries.size, bytes: index.bytes };
  }

  /**
   * Examines at most `keysMax` keys (so it also removes at most that many), resuming where the
   * previous call stopped: a sweeper on a timer does bounded work per tick and still visits
   * every key once per pass.
   */
  sweep(nowMs: number, graceMs: number, keysMax: number): number {
    assert(Number.isSafeInteger(keysMax) && keysMax >= 0, 'keysMax is an integer >= 0');
    assert(graceMs >= 0, 'graceMs >= 0');
    const limit = Math.min(keysMax, this.entriesByKey.size);
    let examined = 0;
    let removed = 0;
    let restarted = false;
    while (examined < limit) {
      this.sweepCursor ??= this.entriesByKey.values();
      const next = this.sweepCursor.next();
      if (next.done === true) {
        this.sweepCursor = undefined;
        if (restarted) break;
        restarted = true;
        continue;
      }
      examined++;
      if (isDead(next.value.versioned, nowMs, graceMs)) {
        this.removeReported(next.value, 'sweep');
        removed++;
      }
    }
    return removed;
  }

  isEmpty(): boolean {
    return this.entriesByKey.size === 0;
  }

  stats(): EngineStats {
    return {
      keys: this.entriesByKey.size,
      bytes: this.bytes,
      bytesMax: this.options.bytesMax,
      evictions: this.evictions,
      rejections: this.rejections,
      siblingsOverflow: this.siblingsOverflow,
    };
  }

  /** Writes a (truncated) state after making room; throws before changing anything. */
  private store(text: string, vnode: number, existing: Entry | undefined, versioned: Versioned, dropped: number): Versioned {
    assert(existing === undefined || existing.vnode === vnode, 'a key stays in its vnode');
    const bytes = entryBytes(text.length, versioned);
    const delta = bytes - (existing?.bytes ?? 0);
    this.makeRoom(text, bytes, delta);
    const owned = ownedValues(versioned);
    this.siblingsOverflow += dropped;
    this.bytes += delta;
    if (existing !== undefined) {
      this.wires.drop(existing);
      existing.versioned = owned;
      existing.bytes = bytes;
      this.indexOf(vnode).bytes += delta;
      this.touch(existing);
      return owned;
    }
    const entry: Entry = { keyText: text, vnode, versioned: owned, bytes, wire: null };
    this.entriesByKey.set(text, entry);
    const index = this.indexOf(vnode);
    index.entries.set(text, entry);
    index.bytes += bytes;
    return owned;
  }

  /** Ensures `bytes + delta <= bytesMax`, evicting least recently used other keys under 'lru'. */
  private makeRoom(text: string, entryBytesNeeded: number, delta: number): void {
    const { bytesMax, evictionPolicy } = this.options;
    // Cached wires only borrow free room: give it back before the data itself is judged.
    this.wires.trim(bytesMax - this.bytes - delta);
    if (this.bytes + delta <= bytesMax) return;
    if (evictionPolicy === 'reject' || entryBytesNeeded > bytesMax) {
      this.rejections++;
      const why = entryBytesNeeded > bytesMax
        ? `the entry alone needs ${entryBytesNeeded} bytes, more than storage.bytesMax (${bytesMax}), under any storage.evictionPolicy`
        : `storage.evictionPolicy is 'reject'; raise storage.bytesMax or choose 'lru' for cache semantics`;
      throw new RingcacheError('RC_ERR_STORAGE_FULL',
        `storage full: ${this.bytes} of ${bytesMax} bytes used (storage.bytesMax) and this write needs ${delta} more; ${why}`,
        { usedBytes: this.bytes, neededBytes: delta, bytesMax });
    }
    for (const [otherText, other] of this.entriesByKey) {
      if (this.bytes + delta <= bytesMax) break;
      if (otherText === text) continue;
      this.removeReported(other, 'evict');
      this.evictions++;
    }
    assert(this.bytes + delta <= bytesMax, 'evicting every other key makes room for an entry within bytesMax');
  }

  private touch(entry: Entry): void {
    if (this.options.evictionPolicy !== 'lru') return;
    this.entriesByKey.delete(entry.keyText);
    this.entriesByKey.set(entry.keyText, entry);
  }

  /** Removes a key the engine chose itself (sweep, eviction) and tells the change feed. */
  private removeReported(entry: Entry, cause: ChangeCause): void {
    this.remove(entry);
    if (this.listeners.length > 0) this.emit(cause, entry.vnode, Buffer.from(entry.keyText, 'latin1'), entry.versioned, undefined);
  }

  private emit(cause: ChangeCause, vnode: number, key: Uint8Array, before: Versioned | undefined, after: Versioned | undefined): void {
    for (const listener of this.listeners) listener(cause, vnode, key, before, after);
  }

  private remove(entry: Entry): void {
    this.wires.drop(entry);
    this.entriesByKey.delete(entry.keyText);
    const index = this.vnodeIndexes.get(entry.vnode);
    assert(index?.entries.get(entry.keyText) === entry, 'a stored key is in its vnode index');
    index.entries.delete(entry.keyText);
    index.bytes -= entry.bytes;
    if (index.entries.size === 0) {
      assert(index.bytes === 0, `an empty vnode index holds 0 bytes (holds ${index.bytes})`);
      this.vnodeIndexes.delete(entry.vnode);
    }
    this.bytes -= entry.bytes;
  }

  private indexOf(vnode: number): VnodeIndex {
    let index = this.vnodeIndexes.get(vnode);
    if (index === undefined) {
      index = { entries: new Map(), bytes: 0 };
      this.vnodeIndexes.set(vnode, index);
    }
    return index;
  }
}

function assertCanonical(versioned: Versioned, operation: string): void {
  const problem = versionedProblem(versioned);
  if (problem !== undefined) throw new AssertionError(`${operation} takes a canonical state: ${problem}`);
}

/** Raw key bytes as a latin1 string: one code unit per byte, a 1:1 Map key. */
function keyText(key: Uint8Array): string {
  const bytes = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return bytes.toString('latin1');
}

/**
 * Copies values that are views into larger buffers (decoded frames, pooled Buffers): keeping the
 * view would pin the whole frame and make the byte accounting a lie. Stored values own their
 * buffers, so values already stored are never copied again.
 */
function ownedValues(versioned: Versioned): Versioned {
  let siblings: Sibling[] | undefined;
  for (let index = 0; index < versioned.siblings.length; index++) {
    const sibling = versioned.siblings[index] as Sibling;
    const value = sibling.value;
    if (value === null || value.byteLength === value.buffer.byteLength) continue;
    siblings ??= versioned.siblings.slice();
    siblings[index] = { ...sibling, value: new Uint8Array(value) };
  }
  // Collections are copied whole when any member or value is a view of a larger buffer.
  const collections = versioned.collections !== undefined && collectionsAreViews(versioned.collections)
    ? copyCollections(versioned.collections)
    : versioned.collections;
  if (siblings === undefined && collections === versioned.collections) return versioned;
  return withTypes({ context: versioned.context, siblings: siblings ?? versioned.siblings }, versioned.counter, collections);
}

function collectionsAreViews(collections: readonly Collection[]): boolean {
  for (const collection of collections) {
    for (const element of collection.elements) {
      if (element.member.byteLength !== element.member.buffer.byteLength) return true;
      for (const entry of element.dots) if (entry.value.byteLength !== entry.value.buffer.byteLength) return true;
    }
  }
  return false;
}

function wireCost(wire: Buffer): number {
  return WIRE_OVERHEAD_BYTES + wire.length;
}

/**
 * The wire forms cached on entries, and the order they were cached in, so room is freed oldest
 * first. `order` may list an entry whose wire was dropped since (or listed twice): those are
 * skipped, and the list is rebuilt once it holds twice the cached entries (amortized O(1)).
 */
class WireCache {
  bytes = 0;
  private count = 0;
  private order: Entry[] = [];
  private head = 0;

  keep(entry: Entry, wire: Buffer): void {
    entry.wire = wire;
    this.bytes += wireCost(wire);
    this.count++;
    this.order.push(entry);
    if (this.order.length - this.head > 2 * this.count + 1024) {
      this.order = this.order.slice(this.head).filter((cached) => cached.wire !== null);
      this.head = 0;
    }
  }

  drop(entry: Entry): void {
    if (entry.wire === null) return;
    this.bytes -= wireCost(entry.wire);
    this.count--;
    entry.wire = null;
  }

  /** Drops the oldest wires until they hold at most `roomBytes` (none if it is below 0). */
  trim(roomBytes: number): void {
    while (this.bytes > Math.max(0, roomBytes) && this.head < this.order.length) {
      const entry = this.order[this.head++] as Entry;
      this.drop(entry);
    }
    if (this.head === this.order.length) {
      this.order = [];
      this.head = 0;
    }
  }
}
