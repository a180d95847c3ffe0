import { RingcacheError, SystemClock, SystemRandom, silentLogger, type Logger } from '../runtime/index.js';
import { placementOf, type Placement } from '../ring/index.js';
import type { ReplicationOptions } from '../replication/index.js';
import { VERSION_DEFAULTS, liveSiblings } from '../version/index.js';
import { connectCluster, type ClusterStack } from './cluster-stack.js';
import type { ClusterTls } from '../tls/index.js';
import { SCHEMA } from '../config/index.js';
import { KvStore } from '../proxy/kv-store.js';
import type { KvConfig, KvWriteOptions } from '../proxy/kv-store.js';
import {
  OPERATION_NAMES, byScore, collectionOf, fieldBytes, incrementCounterAsync, keyType, operateAsync, parseOperation, presentElements,
} from '../datatypes/index.js';
import type { KeyType, OperationAnswer, OperationName } from '../datatypes/index.js';

export interface RingcacheClientOptions {
  /** The shard-master, e.g. http://127.0.0.1:7000. */
  readonly masterUrl: string;
  /** The cluster token, when the cluster has one. */
  readonly token?: string;
  /**
   * Cluster TLS, when the cluster has it (PEM: the cluster CA, and a certificate it signed with its
   * key; read them from tls.caFile, tls.certFile, tls.keyFile): TLS to the nodes, https to the master.
   */
  readonly tls?: ClusterTls;
  /** Names this client in request ids and logs. @default 'client' */
  readonly name?: string;
  /** N/R/W and timeouts; the same options as the proxy's `replication.*` and `limits.*`. */
  readonly replication?: Partial<ReplicationOptions>;
  readonly logger?: Logger;
  /**
   * How often this client posts its per-vnode counts and hottest keys to the shard-master, which
   * rebalances from them (rebalance.loadReportIntervalMs); 0: never. @default 1000
   */
  readonly loadReportIntervalMs?: number;
}

export interface ReadOptions {
  readonly r?: number;
}

export interface WriteOptions {
  readonly w?: number;
  /**
   * Of the W acknowledgements, how many must come from the key's replicas rather than fallbacks
   * holding a hint (Riak's pw): 0..N; replication.pw (default 0, sloppy quorum) when absent.
   */
  readonly pw?: number;
  /** The context token of the last read; absent: the write supersedes what its coordinating replica holds. */
  readonly context?: string;
  /** Expire the value this many ms after the write. */
  readonly ttlMs?: number;
}

export interface Sibling {
  readonly value: Buffer;
  readonly timestampMs: number;
  readonly expiresAtMs: number | null;
}

export interface Versions {
  /** Send it back with the next write to supersede exactly these siblings. */
  readonly context: string;
  /** Concurrent live values; more than one means writers raced and the application may merge. */
  readonly siblings: readonly Sibling[];
}

type Key = string | Uint8Array;

function bytes(key: Key): Uint8Array {
  return typeof key === 'string' ? Buffer.from(key) : key;
}

/**
 * Client-side routing (Dynamo section 4.5, client-driven coordination): the proxy's coordinator in
 * the application's process, so a request skips the proxy hop. Same quorums, versions and errors
 * as the proxy.
 *
 *   const client = await RingcacheClient.connect({ masterUrl: 'http://127.0.0.1:7000' });
 *   await client.set('cart:1', 'apples', { ttlMs: 60_000 });
 *   const versions = await client.getVersions('cart:1');       // siblings + context
 *   await client.set('cart:1', 'apples,pears', { context: versions?.context });
 */
export class RingcacheClient {
  private readonly clock = new SystemClock();

  /** The proxy's key-value facade: the same limits, tokens, GET value and DELETE as its RESP and HTTP front-ends. */
  private constructor(private readonly stack: ClusterStack, private readonly kv: KvStore) {}

  static async connect(options: RingcacheClientOptions): Promise<RingcacheClient> {
    const stack = await connectCluster({
      masterUrl: options.masterUrl,
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      name: options.name ?? 'client',
      clock: new SystemClock(),
      random: new SystemRandom(),
      logger: options.logger ?? silentLogger,
      ...(options.replication === undefined ? {} : { replication: options.replication }),
      loadReport: { intervalMs: options.loadReportIntervalMs ?? SCHEMA.rebalance.loadReportIntervalMs.default, hotKeysMax: SCHEMA.rebalance.hotKeysMax.default },
      // Writes here drop the proxies' near-cache entries too (the master names them in its answer to each report).
      invalidation: {
        batchKeysMax: SCHEMA.proxy.invalidationBatchKeysMax.default, flushDelayMs: SCHEMA.proxy.invalidationFlushMs.default,
        requestTimeoutMs: options.replication?.requestTimeoutMs ?? SCHEMA.replication.requestTimeoutMs.default,
      },
    });
    // The same key as the proxies: a token read through a proxy can be written back here.
    const kv = new KvStore(stack.coordinator, stack.follower, new SystemClock(), kvConfigOf(options));
    return new RingcacheClient(stack, kv);
  }

  /**
   * The value plain GET returns (newest sibling by timestamp; a counter as its decimal), or null
   * when absent, deleted or expired. A hash, set or sorted set is RC_ERR_BAD_REQUEST (WRONGTYPE),
   * as GET through the proxy answers.
   */
  async get(key: Key, options: ReadOptions = {}): Promise<Buffer | null> {
    const result = await this.kv.read(this.checkedKey(key), this.readQuorum(options));
    if (this.kv.holdsCollection(result)) throw wrongType();
    const value = this.kv.visible(result)?.value;
    return value === undefined || value === null ? null : Buffer.from(value);
  }

  /**
   * Adds `amount` to the key's counter (INCRBY: one operation at the coordinating replica, so
   * concurrent increments all count) and returns the new value. A key holding a string that is
   * not an integer, or a result outside 64-bit signed range, is refused with RC_ERR_BAD_REQUEST.
   */
  async incrBy(key: Key, amount: bigint | number = 1n, options: Pick<WriteOptions, 'w'> = {}): Promise<bigint> {
    const outcome = await incrementCounterAsync(this.stack.coordinator, bytes(key), BigInt(amount), options.w);
    if (outcome === 'not-integer') throw new RingcacheError('RC_ERR_BAD_REQUEST', 'value is not an integer or out of range');
    if (outcome === 'overflow') throw new RingcacheError('RC_ERR_BAD_REQUEST', 'increment or decrement would overflow');
    if (outcome === 'wrong-type') throw new RingcacheError('RC_ERR_BAD_REQUEST', 'WRONGTYPE Operation against a key holding the wrong kind of value');
    return outcome.value;
  }

  /** Every live sibling with the context to write back; null when nothing live is stored. */
  async getVersions(key: Key, options: ReadOptions = {}): Promise<Versions | null> {
    const result = await this.kv.read(this.checkedKey(key), this.readQuorum(options));
    const versioned = result.versioned;
    if (versioned === null) return null;
    const siblings = liveSiblings(versioned, this.clock.nowMs()).map((s) => ({
      value: Buffer.from(s.value ?? new Uint8Array()), timestampMs: s.timestampMs, expiresAtMs: s.expiresAtMs,
    }));
    return siblings.length === 0 ? null : { context: this.kv.readToken(result), siblings };
  }

  /** Writes a value; returns the new context token. */
  async set(key: Key, value: string | Uint8Array, options: WriteOptions = {}): Promise<string> {
    const encoded = bytes(value);
    this.kv.checkValue(encoded);
    const expiresAtMs = options.ttlMs === undefined ? null : Math.floor(this.clock.nowMs() + options.ttlMs);
    const written = { ...this.writeOptions(options), expiresAtMs };
    const result = await this.kv.write(this.checkedKey(key), encoded, written);
    return this.kv.writeToken(result, written.context);
  }

  /**
   * A hash, set or sorted-set write, as the proxy runs it: `operation` is the Redis command
   * ('hset', 'hdel', 'hincrby', 'hincrbyfloat', 'sadd', 'srem', 'spop', 'zadd', 'zincrby', 'zrem',
   * 'zpopmin', 'zpopmax') and `args` its arguments after the key. Answers Redis's integer or
   * items; a refusal (WRONGTYPE, bad arguments, a full collection) is RC_ERR_BAD_REQUEST.
   */
  async operate(key: Key, operation: OperationName, args: readonly (string | Uint8Array)[], options: Pick<WriteOptions, 'w'> = {}): Promise<OperationAnswer> {
    if (!OPERATION_NAMES.includes(operation)) throw new RingcacheError('RC_ERR_BAD_REQUEST', `'${operation}' is not a collection operation`);
    const encoded = args.map((arg) => bytes(arg));
    // The nodes check the cluster's own limits again; here the defaults catch malformed arguments.
    const parsed = parseOperation(operation, encoded, { ...VERSION_DEFAULTS, valueBytesMax: this.stack.coordinator.options.valueBytesMax });
    if (typeof parsed === 'string') throw new RingcacheError('RC_ERR_BAD_REQUEST', `${operation}: arguments refused (${parsed})`);
    const outcome = await operateAsync(this.stack.coordinator, bytes(key), operation, encoded, options.w);
    if (typeof outcome === 'string') {
      throw new RingcacheError('RC_ERR_BAD_REQUEST', outcome === 'wrong-type' ? 'WRONGTYPE Operation against a key holding the wrong kind of value' : `${operation} refused (${outcome})`);
    }
    return outcome.answer;
  }

  /** What TYPE answers: 'none', 'string', 'hash', 'set' or 'zset'. */
  async type(key: Key, options: ReadOptions = {}): Promise<KeyType> {
    return this.kv.typeOf(await this.kv.read(this.checkedKey(key), this.readQuorum(options)));
  }

  /** A hash's fields and values (of concurrent values the newer), empty when absent. */
  async hgetAll(key: Key, options: ReadOptions = {}): Promise<Map<string, Buffer>> {
    const fields = new Map<string, Buffer>();
    for (const element of await this.elements(key, 'hash', options)) {
      const value = fieldBytes(element);
      if (value !== undefined) fields.set(Buffer.from(element.member).toString(), Buffer.from(value));
    }
    return fields;
  }

  /** A set's members, in byte order. */
  async smembers(key: Key, options: ReadOptions = {}): Promise<Buffer[]> {
    return (await this.elements(key, 'set', options)).map((element) => Buffer.from(element.member));
  }

  /** A sorted set's members with their scores, by (score, member). */
  async zmembers(key: Key, options: ReadOptions = {}): Promise<{ member: Buffer; score: number }[]> {
    return byScore(await this.elements(key, 'zset', options)).map(({ member, score }) => ({ member: Buffer.from(member), score }));
  }

  private async elements(key: Key, type: 'hash' | 'set' | 'zset', options: ReadOptions): Promise<ReturnType<typeof presentElements>> {
    const { versioned } = await this.kv.read(this.checkedKey(key), this.readQuorum(options));
    const shown = keyType(versioned, this.clock.nowMs());
    if (shown !== 'none' && shown !== type) throw wrongType();
    return presentElements(collectionOf(versioned?.collections, type), this.clock.nowMs());
  }

  /**
   * Deletes, as DEL and HTTP DELETE do: with a context, a tombstone superseding exactly what that
   * read saw; without, a read and a tombstone with the read's context (nothing is written when
   * nothing was visible). Resolves to true when GET would have shown a value (always true with a
   * context: the write is blind to what is there).
   */
  async delete(key: Key, options: Omit<WriteOptions, 'ttlMs'> = {}): Promise<boolean> {
    const checked = this.checkedKey(key);
    const written = this.writeOptions(options);
    if (written.context === null) return this.kv.remove(checked, written.w, written.pw);
    await this.kv.write(checked, null, { ...written, expiresAtMs: null });
    return true;
  }

  /** Where a key lives: its vnode, row and which replicas this client believes are up. */
  route(key: Key): Placement & { epoch: number } {
    const table = this.stack.follower.current();
    return { ...placementOf(table, table.vnodeOf(bytes(key)), this.stack.coordinator.liveness), epoch: table.epoch };
  }

  close(): Promise<void> {
    return this.stack.stop();
  }

  private checkedKey(key: Key): Uint8Array {
    const encoded = bytes(key);
    this.kv.checkKey(encoded);
    return encoded;
  }

  private readQuorum(options: ReadOptions): number | undefined {
    return options.r === undefined ? undefined : this.kv.checkQuorum('r', options.r);
  }

  private writeOptions(options: Omit<WriteOptions, 'ttlMs'>): Omit<KvWriteOptions, 'expiresAtMs'> & { readonly context: KvWriteOptions['context'] } {
    const context = options.context === undefined ? null : this.kv.decodeContext(options.context);
    return {
      ...(options.w === undefined ? {} : { w: this.kv.checkQuorum('w', options.w) }),
      ...(options.pw === undefined ? {} : { pw: this.kv.checkPrimaries(options.pw) }),
      context,
    };
  }
}

function wrongType(): RingcacheError {
  return new RingcacheError('RC_ERR_BAD_REQUEST', 'WRONGTYPE Operation against a key holding the wrong kind of value');
}

/** The facade's limits from the client's options (the proxies' defaults where it names none). */
function kvConfigOf(options: RingcacheClientOptions): KvConfig {
  const replication = options.replication ?? {};
  const defaults = (name: keyof typeof SCHEMA.limits): number => SCHEMA.limits[name].default;
  return {
    cluster: { token: options.token ?? '' },
    limits: {
      keyBytesMax: replication.keyBytesMax ?? defaults('keyBytesMax'),
      valueBytesMax: replication.valueBytesMax ?? defaults('valueBytesMax'),
      siblingsMax: replication.siblingsMax ?? defaults('siblingsMax'),
      contextEntriesMax: defaults('contextEntriesMax'),
      collectionElementsMax: defaults('collectionElementsMax'),
      memberBytesMax: defaults('memberBytesMax'),
    },
  };
}
