import type { Registry } from 'prom-client';
import type { RingcacheConfig } from '../config/index.js';
import type { Coordinator, TableView } from '../replication/index.js';
import type { Clock, Logger, Random } from '../runtime/index.js';
import type { ProxyMetrics } from './metrics.js';
import type { KvStore } from './kv-store.js';
import type { LoadCounter } from '../load/index.js';

/** The configuration sections the proxy reads (the process loads the whole RingcacheConfig). */
export type ProxyConfig = Pick<RingcacheConfig, 'cluster' | 'proxy' | 'limits' | 'resp'>;

/**
 * What both front-ends (RESP and HTTP) are built from: one Coordinator and the table it routes
 * by. The process's main.ts wires the transport and the table follower behind them.
 */
export interface ProxyDeps {
  readonly coordinator: Coordinator;
  readonly table: TableView;
  readonly clock: Clock;
  readonly config: ProxyConfig;
  /** The process's own registry: /metrics serves it; two proxies in one test never collide. */
  readonly registry: Registry;
  readonly logger: Logger;
  /** SRANDMEMBER's choices; a seeded one (from the clock) when absent, as in tests. */
  readonly random?: Random;
  /**
   * Metrics shared by the front-ends of one proxy (ProxyServer passes one to both). When absent,
   * the front-end registers its own on `registry`, so building both front-ends on one registry
   * without passing this is a duplicate-registration error.
   */
  readonly metrics?: ProxyMetrics;
  /** Tuning that is not in the config file; see PROXY_DEFAULTS. */
  readonly options?: Partial<ProxyOptions>;
  /**
   * The one key-value facade of the front-ends (ProxyServer builds it and passes it to both, so
   * they share its near cache); each front-end builds its own when absent (tests of one).
   */
  readonly kv?: KvStore;
  /** The coordinator's load counter: it finds the hot keys the near cache keeps. */
  readonly load?: LoadCounter;
}

export interface ProxyOptions {
  /**
   * Keys of one multi-key command (DEL, EXISTS, MGET, MSET) in flight at once. Why: a 100k-key
   * MGET must not put 100k reads on the internode links at once (each read is R requests); 64
   * keeps a pipeline of such commands from starving other clients while still hiding the
   * per-key round trip.
   */
  readonly multiKeyParallelMax: number;
  /**
   * Longest command name looked up. Why: names are short (the longest is 'rc.route'); a longer
   * first argument is answered 'unknown command' without building a string of it.
   */
  readonly commandNameBytesMax: number;
  /** Longest CLIENT SETNAME / SETINFO value kept per connection (Redis has no limit; we do). */
  readonly clientNameBytesMax: number;
  /** Connections listed by CLIENT LIST, so a proxy with 50k clients answers in bounded time. */
  readonly clientListMax: number;
  /**
   * Keys KEYS answers at most. Why: KEYS walks the whole keyspace into one reply; past this it is
   * refused with a message pointing to SCAN, which walks it in bounded calls.
   */
  readonly keysReplyMax: number;
  /** How long a default INFO waits for fresh key counts before answering the last ones (ioredis runs INFO on every connect). */
  readonly infoKeyspaceWaitMs: number;
}

export const PROXY_DEFAULTS: ProxyOptions = Object.freeze({
  multiKeyParallelMax: 64,
  commandNameBytesMax: 32,
  clientNameBytesMax: 256,
  clientListMax: 10_000,
  keysReplyMax: 10_000,
  infoKeyspaceWaitMs: 200,
});

/** The version INFO and HELLO report as redis_version: clients gate features on it (7.0 = RESP2 + CLIENT SETINFO-tolerant). */
export const REDIS_COMPATIBLE_VERSION = '7.0.0';

export { RINGCACHE_VERSION } from '../metrics/index.js';
