/**
 * What every front-end does with a key, over the Coordinator: input limits, per-request quorums,
 * context tokens, and the read-then-write operations (delete with the read's context). The one
 * key-value facade of the proxy's RESP and HTTP front-ends and of `RingcacheClient`, so a GET,
 * a SET or a DELETE means the same wherever it comes from.
 *
 * Checks happen here, before anything is sent, so an over-limit key or value is refused with its
 * coded error and nothing is stored (DESIGN.md section 8); the Coordinator and the nodes check
 * again (a node trusts no peer).
 */
import type { Coordinator, ReadListener, ReadResult, TableView, WriteListener, WriteResult } from '../replication/index.js';
import { RingcacheError } from '../runtime/index.js';
import type { Clock } from '../runtime/index.js';
import { ContextTokens, compareRecency, isExpired, resolve, VERSION_DEFAULTS } from '../version/index.js';
import { collectionsEmpty, counterView, isFullyReset, keyType } from '../datatypes/index.js';
import type { KeyType } from '../datatypes/index.js';
import type { Sibling, VersionLimits, Versioned, VersionVector } from '../version/index.js';
import type { RingcacheConfig } from '../config/index.js';
import type { NearCache } from './near-cache.js';

/**
 * What the facade reads of the configuration: the token that signs contexts and the input limits.
 * A proxy passes its ProxyConfig; the client library builds one from its options.
 */
export interface KvConfig {
  readonly cluster: Pick<RingcacheConfig['cluster'], 'token'>;
  readonly limits: RingcacheConfig['limits'];
}

export interface KvWriteOptions {
  readonly context: VersionVector | null;
  readonly expiresAtMs: number | null;
  readonly w?: number;
  /** Primaries that must acknowledge (replication.pw when absent). */
  readonly pw?: number;
}

/** The largest absolute expiry: integer ms stay exact in a double up to 2^53 (year 287396). */
export const EXPIRES_AT_MS_MAX = Number.MAX_SAFE_INTEGER;

const NO_READ_OPTIONS = Object.freeze({});

export class KvStore {
  readonly keyBytesMax: number;
  readonly valueBytesMax: number;
  readonly contextLimits: VersionLimits;
  /** Signs the tokens handed out and checks those that come back (cluster.token is the key). */
  readonly tokens: ContextTokens;

  constructor(
    readonly coordinator: Coordinator,
    readonly table: TableView,
    private readonly clock: Clock,
    config: KvConfig,
    /** Hot keys served without a round trip (near-cache.ts); absent: every read goes to the replicas. */
    readonly nearCache?: NearCache,
  ) {
    this.keyBytesMax = config.limits.keyBytesMax;
    this.valueBytesMax = config.limits.valueBytesMax;
    this.contextLimits = Object.freeze({
      ...VERSION_DEFAULTS,
      siblingsMax: config.limits.siblingsMax,
      contextEntriesMax: config.limits.contextEntriesMax,
      valueBytesMax: config.limits.valueBytesMax,
      collectionElementsMax: config.limits.collectionElementsMax,
      memberBytesMax: config.limits.memberBytesMax,
    });
    this.tokens = new ContextTokens(config.cluster.token, this.contextLimits);
  }

  /** N of the table in force. */
  get replicaCount(): number {
    return this.table.current().table.replicaCount;
  }

  checkKey(key: Uint8Array): void {
    if (key.length === 0 || key.length > this.keyBytesMax) {
      throw new RingcacheError('RC_ERR_KEY_TOO_LARGE',
        `key of ${String(key.length)} bytes is outside 1..limits.keyBytesMax=${String(this.keyBytesMax)}`, { bytes: key.length });
    }
  }

  checkValue(value: Uint8Array): void {
    if (value.length > this.valueBytesMax) {
      throw new RingcacheError('RC_ERR_VALUE_TOO_LARGE',
        `value of ${String(value.length)} bytes is over limits.valueBytesMax=${String(this.valueBytesMax)}`, { bytes: value.length });
    }
  }

  /** A per-request R or W must be within 1..N (DESIGN.md section 4). */
  checkQuorum(name: 'r' | 'w', value: number): number {
    const n = this.replicaCount;
    if (!Number.isSafeInteger(value) || value < 1 || value > n) {
      throw new RingcacheError('RC_ERR_BAD_QUORUM',
        `per-request ${name}=${String(value)} is outside 1..N=${String(n)} (N is cluster.replicaCount)`, { [name]: value, n });
    }
    return value;
  }

  /** A per-request PW must be within 0..N: 0 lets fallbacks holding hints count toward W. */
  checkPrimaries(value: number): number {
    const n = this.replicaCount;
    if (!Number.isSafeInteger(value) || value < 0 || value > n) {
      throw new RingcacheError('RC_ERR_BAD_QUORUM',
        `per-request pw=${String(value)} is outside 0..N=${String(n)} (N is cluster.replicaCount; see replication.pw)`, { pw: value, n });
    }
    return value;
  }

  /**
   * Always from the replicas: what read-then-write commands (DEL, EXPIRE, SET ... GET) and
   * RC.GETV use, since the context they write back must be the replicas' latest.
   */
  read(key: Uint8Array, r?: number): Promise<ReadResult> {
    return this.coordinator.get(key, r === undefined ? NO_READ_OPTIONS : { r });
  }

  /**
   * A plain read (HTTP GET): at the default R it may be answered by the near cache, a hot key
   * read at R at most proxy.hotKeyCacheTtlMs ago.
   */
  readCached(key: Uint8Array, r?: number): Promise<ReadResult> {
    const cached = r === undefined ? this.nearCache?.lookup(key) : undefined;
    if (cached === undefined) return this.coordinator.get(key, r === undefined ? NO_READ_OPTIONS : { r });
    if ('hit' in cached) return Promise.resolve(cached.hit);
    return this.coordinator.get(key, NO_READ_OPTIONS).then((result) => {
      this.nearCache?.admit(cached, result, this.coordinator.options.r);
      return result;
    });
  }

  /** `readCached` without a promise (RESP GET): the listener hears the outcome, at once on a near-cache hit; bad input throws here. */
  readTo(key: Uint8Array, listener: ReadListener): void {
    const cached = this.nearCache?.lookup(key);
    if (cached === undefined) {
      this.coordinator.read(key, NO_READ_OPTIONS, listener);
      return;
    }
    if ('hit' in cached) {
      listener.onReadDone(cached.hit);
      return;
    }
    const cache = this.nearCache;
    const r = this.coordinator.options.r;
    this.coordinator.read(key, NO_READ_OPTIONS, {
      onReadDone: (result) => {
        cache?.admit(cached, result, r);
        listener.onReadDone(result);
      },
      onReadFailed: (error) => { listener.onReadFailed(error); },
    });
  }

  /** `write` without a promise: the listener hears the outcome; bad input throws here. */
  writeTo(key: Uint8Array, value: Uint8Array | null, options: KvWriteOptions, listener: WriteListener): void {
    this.coordinator.write(key, value, options, listener);
  }

  write(key: Uint8Array, value: Uint8Array | null, options: KvWriteOptions): Promise<WriteResult> {
    return this.coordinator.put(key, value, options);
  }

  /**
   * DEL / HTTP DELETE without a context: read, then write a tombstone with the read's context, so
   * the delete supersedes exactly what was seen and the answer says whether a value was visible.
   * Nothing is written when no live sibling was seen. Resolves to true when GET would have shown
   * a value.
   */
  remove(key: Uint8Array, w?: number, pw?: number): Promise<boolean> {
    return this.read(key).then((result) => {
      const versioned = result.versioned;
      if (versioned === null) return false;
      const nowMs = this.clock.nowMs();
      const counted = versioned.counter !== undefined && !isFullyReset(versioned.counter);
      if (!hasLiveSibling(versioned, nowMs) && !counted && collectionsEmpty(versioned.collections, nowMs)) return false;
      const existed = keyType(versioned, nowMs) !== 'none';
      const options: KvWriteOptions = {
        context: versioned.context, expiresAtMs: null, ...(w === undefined ? {} : { w }), ...(pw === undefined ? {} : { pw }),
      };
      return this.write(key, null, options).then(() => existed);
    });
  }

  /**
   * The value plain GET shows: `resolve()`'s deterministic choice, or undefined. A key with a
   * counter shows its value as a decimal string (`counterView`), as Redis shows INCR's result.
   */
  visible(result: ReadResult): Sibling | undefined {
    const versioned = result.versioned;
    if (versioned === null) return undefined;
    const nowMs = this.clock.nowMs();
    // A newer hash, set or sorted set shadows the string (key-type.ts): the key holds that type.
    if (versioned.collections !== undefined && keyType(versioned, nowMs) !== 'string') return undefined;
    if (versioned.counter === undefined) return resolve(versioned, nowMs);
    return counterSibling(versioned, nowMs);
  }

  /** The type the key shows: TYPE's answer, and what decides WRONGTYPE. */
  typeOf(result: ReadResult): KeyType {
    return keyType(result.versioned, this.clock.nowMs());
  }

  /** True when the key holds a hash, set or sorted set (string commands answer WRONGTYPE). */
  holdsCollection(result: ReadResult): boolean {
    const type = this.typeOf(result);
    return type !== 'none' && type !== 'string';
  }

  /** Decodes a client's token; '' or '-' mean "no context" (a blind write). */
  decodeContext(token: string): VersionVector | null {
    if (token === '' || token === '-') return null;
    return this.tokens.decode(token);
  }

  /** The token of a read (ContextTokens.forRead). */
  readToken(result: ReadResult): string {
    return this.tokens.forRead(result.versioned);
  }

  /** The token after a write (ContextTokens.forWrite says which context that is). */
  writeToken(result: WriteResult, context: VersionVector | null): string {
    return this.tokens.forWrite(result.versioned, result.dot, context);
  }
}

/** A counter's value as the sibling GET would show: the decimal, with the key's expiry. */
function counterSibling(versioned: Versioned, nowMs: number): Sibling | undefined {
  const view = counterView(versioned, nowMs);
  if (view.kind === 'absent') return undefined;
  if (view.kind === 'string') return view.sibling;
  const lane = versioned.counter?.lanes[0];
  const newest = versioned.siblings.slice().sort(compareRecency)[0];
  return {
    dot: newest?.dot ?? { actor: lane?.actor ?? '', counter: lane?.counter ?? 0 },
    value: Buffer.from(view.value.toString()),
    timestampMs: newest?.timestampMs ?? 0,
    expiresAtMs: view.expiresAtMs,
  };
}

export function hasLiveSibling(versioned: Versioned, nowMs: number): boolean {
  for (const sibling of versioned.siblings) {
    if (sibling.value !== null && !isExpired(sibling, nowMs)) return true;
  }
  return false;
}
