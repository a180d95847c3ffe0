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
 *                key, and marks it so a read that began before the write cannot put it back;
 *                a write through another proxy or a client library arrives as an invalidation
 *                from it (src/load/invalidation-sender.ts), which also fences the key out of
 *                the cache for fenceMs: that write may not have reached W replicas yet
 *
 * What it gives up: an invalidation dropped at a bound (batch full, peer busy or unreachable) or
 * sent before the writer learnt this proxy's hot set leaves the entry until it expires, at most
 * cacheTtlMs late, as without invalidations.
 */
import type { ReadResult } from '../replication/index.js';
import type { Clock } from '../runtime/index.js';
import { KeyFilter, keyText } from '../load/index.js';
import type { HotKey } from '../load/index.js';

/** Where the hot set comes from: the coordinator's load counter. */
export interface HotKeySource {
  /** Bumped each time `lastHotKeys` changes. */
  readonly intervals: number;
  readonly lastHotKeys: readonly HotKey[];
  /** Told of each hit, so a cached key keeps counting as hot. */
  onCachedRead?(key: Uint8Array): void;
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
  /** Keys other proxies told of (each dropped if cached, and fenced). */
  peerInvalidations: number;
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
  readonly stats: NearCacheStats = { hits: 0, misses: 0, admitted: 0, refused: 0, invalidations: 0, peerInvalidations: 0 };
  private readonly entries = new Map<string, Entry>();
  /** Last write sequence per recently written hot key, bounded (oldest dropped first). */
  private readonly writes = new Map<string, number>();
  /** The hot set behind a signature filter: most reads pay a few array reads, not a key-to-text conversion. */
  private hot = new KeyFilter();
  /** Until when a key told of by a peer stays out of the cache, bounded like `writes`. */
  private readonly fences = new Map<string, number>();
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
    if (!this.hot.mayHold(key)) return undefined;
    const text = keyText(key);
    const entry = this.entries.get(text);
    if (entry !== undefined) {
      if (entry.expiresAtMs > this.clock.nowMs()) {
        this.stats.hits++;
        this.source.onCachedRead?.(key);
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
    const fencedUntilMs = this.fences.get(text);
    const fenced = fencedUntilMs !== undefined && fencedUntilMs > this.clock.nowMs();
    if (result.quorum !== 'strict' || result.replies < r || (lastWrite !== undefined && lastWrite > ticket) || fenced || !this.hot.has(text)) {
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
    if (!this.hot.mayHold(key)) return;
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

  /**
   * Another proxy (or client library) started a write of the key: drop it, refuse reads already
   * in flight, and keep it out for `fenceMs` (the write may reach W replicas only later).
   */
  invalidateFromPeer(key: Uint8Array, fenceMs: number): void {
    this.stats.peerInvalidations++;
    this.invalidate(key);
    const text = keyText(key);
    if (fenceMs === 0 || !this.hot.has(text)) return;
    this.fences.delete(text);
    this.fences.set(text, this.clock.nowMs() + fenceMs);
    if (this.fences.size > 4 * this.options.capacity) {
      const oldest = this.fences.keys().next();
      if (oldest.done !== true) this.fences.delete(oldest.value);
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
    this.hot = new KeyFilter(hot);
    // A key that cooled down leaves the cache at once: it no longer earns its slot.
    for (const text of this.entries.keys()) if (!hot.has(text)) this.entries.delete(text);
  }
}

/** Hot-cache capacity for S servers: Fan et al.'s O(S log S), times a factor. */
export function nearCacheCapacity(serverCount: number, factor: number): number {
  const servers = Math.max(2, serverCount);
  return Math.max(1, Math.ceil(servers * Math.log(servers) * factor));
}
