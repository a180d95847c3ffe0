/**
 * The hot-key near cache of a proxy (DESIGN.md section 6; Fan, Lim, Andersen, Kaminsky, "Small
 * Cache, Big Effect", SoCC 2011): one key can carry more load than a server's fair share, and no
 * vnode move fixes that, but a front-end cache of O(S log S) of the hottest keys evens the load
 * the servers see, whatever the skew.
 *
 *   hot set      the top keys of the last load interval (LoadCounter's Space-Saving sketch),
 *                at most capacity = ceil(S ln S x cacheFactor); refreshed each interval
 *   admission    a read of a hot key, at the default R, that met R with replicas only
 *                (quorum 'strict'), and that no write of the key through this proxy overtook
 *   hit          a cached read younger than hotKeys.cacheTtlMs (on the injected Clock)
 *   invalidation every write this proxy coordinates (SET, DEL, INCR, typed operations) drops the
 *                key, and marks it so a read that began before the write cannot put it back
 *
 * What it gives up: a write through another proxy or a client library is seen here only when the
 * entry expires (at most cacheTtlMs late); invalidation messages between proxies are not built.
 */
import type { ReadResult } from '../replication/index.js';
import type { Clock } from '../runtime/index.js';
import type { HotKey } from '../load/index.js';

/** Where the hot set comes from: the coordinator's load counter. */
export interface HotKeySource {
  /** Bumped each time `lastHotKeys` changes. */
  readonly intervals: number;
  readonly lastHotKeys: readonly HotKey[];
}

export interface NearCacheOptions {
  readonly capacity: number;
  readonly ttlMs: number;
  /** A key needs at least this many (scaled) requests in the interval to be hot. */
  readonly hotCountMin: number;
}

export interface NearCacheStats {
  hits: number;
  /** Reads of hot keys that were not served from the cache. */
  misses: number;
  admitted: number;
  /** Reads not admitted: below R, sloppy, or overtaken by a write. */
  refused: number;
  invalidations: number;
}

/** A hot key's miss: what `admit` needs once the read is done. */
export interface NearCacheTicket {
  /** The write sequence when the read began: a write of the key since then makes it stale. */
  readonly ticket: number;
  readonly text: string;
}

interface Entry {
  readonly result: ReadResult;
  readonly expiresAtMs: number;
}

export class NearCache {
  readonly stats: NearCacheStats = { hits: 0, misses: 0, admitted: 0, refused: 0, invalidations: 0 };
  private readonly entries = new Map<string, Entry>();
  /** Last write sequence per recently written hot key, bounded (oldest dropped first). */
  private readonly writes = new Map<string, number>();
  private hot = new Set<string>();
  /**
   * A 4096-slot signature filter of the hot set (length, first, middle and last three bytes): a key whose
   * slot is empty is not hot, so most reads pay a few array reads, not a key-to-text conversion.
   */
  private filter = new Uint8Array(FILTER_SLOTS);
  private seenInterval = -1;
  private sequence = 0;

  constructor(private readonly clock: Clock, private readonly source: HotKeySource, readonly options: NearCacheOptions) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached read of `key`, or undefined; a hot key's miss returns a ticket for `admit` (with
   * the key as text: the key bytes may be a view of a socket buffer by the time the read ends).
   */
  lookup(key: Uint8Array): { readonly hit: ReadResult } | NearCacheTicket | undefined {
    this.refreshHotSet();
    // Every cached key is hot (cooled ones leave at the refresh): outside the filter, nothing to find.
    if (this.filter[signature(key)] === 0) return undefined;
    const text = keyText(key);
    const entry = this.entries.get(text);
    if (entry !== undefined) {
      if (entry.expiresAtMs > this.clock.nowMs()) {
        this.stats.hits++;
        return { hit: entry.result };
      }
      this.entries.delete(text);
    }
    if (!this.hot.has(text)) return undefined;
    this.stats.misses++;
    return { ticket: this.sequence, text };
  }

  /** Keeps the read of a hot key if it met `r` from the row and no write of the key overtook it. */
  admit({ ticket, text }: NearCacheTicket, result: ReadResult, r: number): void {
    const lastWrite = this.writes.get(text);
    if (result.quorum !== 'strict' || result.replies < r || (lastWrite !== undefined && lastWrite > ticket) || !this.hot.has(text)) {
      this.stats.refused++;
      return;
    }
    if (this.entries.size >= this.options.capacity) {
      // Insertion order is expiry order (one TTL for all): the first entry is the oldest.
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(text, { result, expiresAtMs: this.clock.nowMs() + this.options.ttlMs });
    this.stats.admitted++;
  }

  /** A write of `key` through this proxy is starting. */
  invalidate(key: Uint8Array): void {
    this.refreshHotSet();
    if (this.filter[signature(key)] === 0) return;
    const text = keyText(key);
    this.sequence++;
    if (this.entries.delete(text)) this.stats.invalidations++;
    if (!this.hot.has(text)) return;
    this.writes.delete(text);
    this.writes.set(text, this.sequence);
    // Bounded: a marker older than 4 x capacity hot writes belongs to a read long finished.
    if (this.writes.size > 4 * this.options.capacity) {
      const oldest = this.writes.keys().next();
      if (oldest.done !== true) this.writes.delete(oldest.value);
    }
  }

  private refreshHotSet(): void {
    if (this.source.intervals === this.seenInterval) return;
    this.seenInterval = this.source.intervals;
    const hot = new Set<string>();
    for (const candidate of this.source.lastHotKeys) {
      if (hot.size >= this.options.capacity) break;
      if (candidate.count - candidate.error >= this.options.hotCountMin) hot.add(candidate.key);
    }
    this.hot = hot;
    this.filter = new Uint8Array(FILTER_SLOTS);
    for (const text of hot) this.filter[signature(Buffer.from(text, 'latin1'))] = 1;
    // A key that cooled down leaves the cache at once: it no longer earns its slot.
    for (const text of this.entries.keys()) if (!hot.has(text)) this.entries.delete(text);
  }
}

/** Hot-cache capacity for S servers: Fan et al.'s O(S log S), times a factor. */
export function nearCacheCapacity(serverCount: number, factor: number): number {
  const servers = Math.max(2, serverCount);
  return Math.max(1, Math.ceil(servers * Math.log(servers) * factor));
}

const FILTER_SLOTS = 4096;

function signature(key: Uint8Array): number {
  const length = key.length;
  if (length === 0) return 0;
  // Keys often share a prefix and differ at the end ("user:1041"): the last bytes weigh most.
  const tail = (key[length - 1] ?? 0) | ((key[length - 2] ?? 0) << 8) | ((key[length - 3] ?? 0) << 16);
  const mixed = Math.imul(length, 0x9e3779b1) ^ Math.imul(key[0] ?? 0, 0x85ebca6b) ^ Math.imul(key[length >> 1] ?? 0, 0xc2b2ae35) ^ Math.imul(tail, 0x27d4eb2f);
  return (mixed ^ (mixed >>> 15)) & (FILTER_SLOTS - 1);
}

function keyText(key: Uint8Array): string {
  const buffer = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return buffer.toString('latin1');
}
