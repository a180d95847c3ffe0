import type { Versioned } from '../version/types.js';

/**
 * The contract every storage engine keeps (riak_core's backend behaviour): replication, read
 * repair, hinted handoff, anti-entropy and vnode transfers are written against it, never against
 * one engine. One contract test suite (test/unit/storage-contract.ts) runs against every engine.
 *
 * Engines are synchronous: a node is single-threaded, so get-then-put inside one handler is atomic.
 * Keys are raw bytes; engines never interpret them.
 */
export interface StorageEngine {
  /** The stored versions of a key, dead siblings (tombstones, expired) included; undefined if absent. */
  get(key: Uint8Array): Versioned | undefined;

  /**
   * `get` in the wire form of version/codec.ts (encodeVersioned), for a node answering a read;
   * an engine may cache it. Optional: without it the node encodes what `get` returns.
   */
  getEncoded?(key: Uint8Array): Uint8Array | undefined;

  /**
   * Replaces the versions of a key with a successor the caller computed from `get` (a coordinated
   * put). Throws RC_ERR_STORAGE_FULL when over budget with the "reject" policy; with "lru" it
   * evicts least-recently-used keys first.
   */
  put(key: Uint8Array, vnode: number, versioned: Versioned): Versioned;

  /**
   * Joins `incoming` into what is stored with `merge`, the one join of every repair path.
   * Returns the stored result and whether it changed. Same budget rules as `put`.
   */
  merge(key: Uint8Array, vnode: number, incoming: Versioned): MergeResult;

  /** Removes a key outright (garbage collection, dropping a vnode after a transfer). */
  delete(key: Uint8Array): boolean;

  /** Every key of one vnode with its versions; iteration order is unspecified. */
  entries(vnode: number): IterableIterator<[Uint8Array, Versioned]>;

  /** Vnodes that hold at least one key. */
  vnodes(): number[];

  /** Keys and bytes (the engine's own accounting) held for one vnode. */
  vnodeStats(vnode: number): VnodeStats;

  /**
   * Garbage-collects up to `keysMax` keys whose every sibling is dead (a tombstone or expired)
   * for longer than `graceMs`. Returns how many keys it removed.
   */
  sweep(nowMs: number, graceMs: number, keysMax: number): number;

  isEmpty(): boolean;

  /** Totals and counters for /v1/stats and /metrics. */
  stats(): EngineStats;

  /**
   * The change feed: `listener` hears every change of a stored state, synchronously, after it is
   * applied and before the call that made it returns, exactly once per change, whatever made it
   * (put, merge, delete, sweep, eviction). A merge that changes nothing is not a change. So a
   * Merkle tree or a hint index that follows the feed can never fall out of step with the store.
   * Returns the function that unsubscribes.
   */
  subscribe(listener: ChangeListener): () => void;
}

/** append only: values are reported to listeners and counted in metrics. */
export type ChangeCause = 'put' | 'merge' | 'delete' | 'sweep' | 'evict';

/**
 * Hears one change. `key` may be a view of the caller's buffer: copy it to keep it. `before` is
 * undefined for a new key, `after` for a removed one. A listener must not throw or write to the
 * engine (it runs inside the engine's own write).
 */
export type ChangeListener = (
  cause: ChangeCause, vnode: number, key: Uint8Array, before: Versioned | undefined, after: Versioned | undefined,
) => void;

export interface MergeResult {
  readonly stored: Versioned;
  readonly changed: boolean;
}

export interface VnodeStats {
  readonly keys: number;
  readonly bytes: number;
}

export interface EngineStats {
  readonly keys: number;
  readonly bytes: number;
  readonly bytesMax: number;
  /** Keys removed by LRU eviction since start. */
  readonly evictions: number;
  /** Writes refused with RC_ERR_STORAGE_FULL since start. */
  readonly rejections: number;
  /** Siblings dropped because a key went over siblingsMax since start. */
  readonly siblingsOverflow: number;
}
