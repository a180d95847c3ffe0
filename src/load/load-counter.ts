/**
 * What one coordinator (a proxy, a client library) saw since its last load report, per vnode,
 * under the replica load model (DESIGN.md section 6):
 *
 *   requests[v]  client requests for keys of v (one per GET, SET, DEL ...)
 *   writes[v]    of which writes: the row's first replica coordinates them (its extra cost)
 *   touches[v]   internode requests to replicas of v: a write costs every replica it reached,
 *                a read the replicas it asked (hedges and read repairs included)
 *   bytes[v]     value bytes those requests carried to the replicas
 *
 * plus the hottest keys (Space-Saving over a sample of the requests). The hot path is two array
 * increments per request and one per internode send; the sketch sees one request in
 * `hotKeySampleEvery` (a deterministic stride, so the simulator stays reproducible), which keeps
 * the key-to-text conversion and the map lookup off most requests. Counts from the sample are
 * scaled back up when read.
 */
import { assert } from '../runtime/index.js';
import type { LoadSink } from '../replication/index.js';
import type { CoordinatorRequest } from '../replication/index.js';
import type { PeerRequest } from '../transport/index.js';
import { SpaceSaving } from './space-saving.js';
import type { HotKey } from './space-saving.js';

export interface LoadCounterOptions {
  /** Counters of the Space-Saving sketch: keys with more than 1/hotKeysMax of the sampled requests are always found. */
  readonly hotKeysMax: number;
  /** One request in this many is offered to the sketch. */
  readonly hotKeySampleEvery: number;
}

/**
 * One request in 16 reaches the sketch: an offer costs ~350 ns (the key as text, a map lookup, an
 * eviction for each cold key), the stride brings it to ~20 ns a request (`ringcache bench
 * load-cost`), and 1,000 requests/s still give ~60 samples a second, enough to see a key with a
 * few percent of the traffic within the first report.
 */
export const LOAD_COUNTER_DEFAULTS: Readonly<LoadCounterOptions> = Object.freeze({ hotKeysMax: 64, hotKeySampleEvery: 16 });

/** The counters of one interval, taken (and reset) by `take()`. */
export interface LoadInterval {
  readonly requests: Float64Array;
  readonly writes: Float64Array;
  readonly touches: Float64Array;
  readonly bytes: Float64Array;
  /** Hottest keys first; counts already scaled by the sampling stride. */
  readonly hotKeys: readonly HotKey[];
}

export class LoadCounter implements LoadSink {
  readonly options: LoadCounterOptions;
  private requests: Float64Array;
  private writes: Float64Array;
  private touches: Float64Array;
  private bytes: Float64Array;
  private readonly sketch: SpaceSaving;
  private untilSample = 0;
  private writeListener: ((key: Uint8Array) => void) | undefined;
  /** Bumped by each take(): the hot keys below are those of the last interval. */
  intervals = 0;
  lastHotKeys: readonly HotKey[] = [];

  constructor(vnodeCount: number, options: Partial<LoadCounterOptions> = {}) {
    this.options = { ...LOAD_COUNTER_DEFAULTS, ...options };
    assert(Number.isSafeInteger(this.options.hotKeySampleEvery) && this.options.hotKeySampleEvery >= 1, 'LoadCounter: hotKeySampleEvery >= 1');
    this.requests = new Float64Array(vnodeCount);
    this.writes = new Float64Array(vnodeCount);
    this.touches = new Float64Array(vnodeCount);
    this.bytes = new Float64Array(vnodeCount);
    this.sketch = new SpaceSaving(this.options.hotKeysMax);
  }

  get vnodeCount(): number {
    return this.requests.length;
  }

  onRequest(vnode: number, key: Uint8Array, kind: 'read' | 'write'): void {
    // A vnode past the arrays would be a table of another V: a Float64Array ignores the write.
    this.requests[vnode] = (this.requests[vnode] ?? 0) + 1;
    if (kind === 'write') {
      this.writes[vnode] = (this.writes[vnode] ?? 0) + 1;
      this.writeListener?.(key);
    }
    if (this.untilSample-- > 0) return;
    this.untilSample = this.options.hotKeySampleEvery - 1;
    this.sketch.offer(keyText(key));
  }

  /**
   * A read the near cache answered: no replica was touched (no vnode count), but the key is as
   * hot as before. Without this a cached key would look cold in the next interval and leave the
   * cache, so a hot key would be cached only every other interval.
   */
  onCachedRead(key: Uint8Array): void {
    if (this.untilSample-- > 0) return;
    this.untilSample = this.options.hotKeySampleEvery - 1;
    this.sketch.offer(keyText(key));
  }

  onSend(body: CoordinatorRequest | PeerRequest): void {
    const vnode = (body as { readonly vnode?: unknown }).vnode;
    if (typeof vnode !== 'number') return;
    this.touches[vnode] = (this.touches[vnode] ?? 0) + 1;
    const carried = carriedBytes(body);
    if (carried > 0) this.bytes[vnode] = (this.bytes[vnode] ?? 0) + carried;
  }

  /**
   * Told of every write the coordinator starts, before it is sent (the near cache invalidates
   * on it, and the invalidation sender tells the other proxies, so counters and typed writes are
   * covered too). Listeners compose into one function: the request path still makes one call.
   */
  watchWrites(listener: (key: Uint8Array) => void): void {
    const previous = this.writeListener;
    this.writeListener = previous === undefined ? listener : (key) => { previous(key); listener(key); };
  }

  /** The interval's counts; the counter starts a new interval. */
  take(): LoadInterval {
    const stride = this.options.hotKeySampleEvery;
    const hotKeys = this.sketch.top().map((hot) => ({ key: hot.key, count: hot.count * stride, error: hot.error * stride }));
    const taken = { requests: this.requests, writes: this.writes, touches: this.touches, bytes: this.bytes, hotKeys };
    const vnodeCount = this.requests.length;
    this.requests = new Float64Array(vnodeCount);
    this.writes = new Float64Array(vnodeCount);
    this.writes = new Float64Array(vnodeCount);
    this.touches = new Float64Array(vnodeCount);
    this.bytes = new Float64Array(vnodeCount);
    this.sketch.reset();
    this.lastHotKeys = hotKeys;
    this.intervals++;
    return taken;
  }
}

/** latin1: one char per byte, so distinct keys stay distinct; a Buffer converts without a copy. */
function keyText(key: Uint8Array): string {
  const buffer = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return buffer.toString('latin1');
}

/** The value bytes a request carries to a replica: a PUT's value, a MERGE's (or hint's) siblings. */
function carriedBytes(body: CoordinatorRequest | PeerRequest): number {
  if (body.kind === 'coord-put') return body.key.length + (body.value?.length ?? 0);
  const versioned = (body as { readonly versioned?: { readonly siblings: readonly { readonly value: Uint8Array | null }[] } }).versioned;
  if (versioned === undefined) return 0;
  let bytes = 0;
  for (const sibling of versioned.siblings) bytes += sibling.value?.length ?? 0;
  return bytes;
}
