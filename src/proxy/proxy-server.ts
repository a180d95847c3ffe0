/**
 * One proxy: the RESP server (proxy.respPort, resp.* limits) and the HTTP server (proxy.httpPort)
 * over one Coordinator and one TableView. The process's main.ts builds the transport, the table
 * follower and the Coordinator, then starts this; nothing here knows about argv or files.
 *
 *   start: RESP listening, then HTTP listening (port 0 picks a free one: read respPort/httpPort)
 *   stop:  /health turns 503; both servers stop accepting; requests already received are answered
 *          (RESP: every command a connection sent; HTTP: in-flight requests), then sockets close.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { RESP_SERVER_DEFAULTS, RespServer } from '../resp/index.js';
import type { RespConnection } from '../resp/index.js';
import { assert, every } from '../runtime/index.js';
import type { Startable } from '../runtime/index.js';
import { buildProxyHttp } from './http.js';
import { HttpConnections } from './http-connections.js';
import { ProxyMetrics } from './metrics.js';
import type { ProxyDeps } from './options.js';
import { ProxyRespHandler } from './resp/handler.js';
import { KvStore } from './kv-store.js';
import { NearCache, nearCacheCapacity } from './near-cache.js';
import { registerNearCacheMetrics } from './near-cache-metrics.js';
import { proxyTls } from './tls-files.js';

export interface ProxyServerOptions {
  /** How long stop() lets connections answer what they received before they are cut (RESP and HTTP). @default 5000 */
  readonly closeTimeoutMs?: number;
}

type Phase = 'new' | 'started' | 'stopping' | 'stopped';

/** How often a stopping proxy closes HTTP keep-alive sockets whose last request just finished. */
const IDLE_SWEEP_INTERVAL_MS = 10;

export class ProxyServer implements Startable {
  readonly metrics: ProxyMetrics;
  readonly handler: ProxyRespHandler;
  readonly resp: RespServer;
  readonly http: FastifyInstance;
  /** The one key-value facade of both front-ends. */
  readonly kv: KvStore;
  private phase: Phase = 'new';
  private stopping: Promise<void> | null = null;
  private readonly httpConnections = new HttpConnections();
  private readonly closeTimeoutMs: number;
  private boundHttpPort = 0;

  constructor(private readonly deps: ProxyDeps, options: ProxyServerOptions = {}) {
    this.closeTimeoutMs = options.closeTimeoutMs ?? RESP_SERVER_DEFAULTS.closeTimeoutMs;
    this.metrics = deps.metrics ?? new ProxyMetrics(deps.registry, { coordinator: deps.coordinator, table: deps.table });
    this.kv = deps.kv ?? new KvStore(deps.coordinator, deps.table, deps.clock, deps.config, nearCacheOf(deps));
    if (this.kv.nearCache !== undefined) registerNearCacheMetrics(deps.registry, this.kv.nearCache);
    const shared: ProxyDeps = { ...deps, metrics: this.metrics, kv: this.kv };
    this.handler = new ProxyRespHandler(shared);
    const tls = proxyTls(deps.config);
    const respOptions = {
      host: deps.config.proxy.host, port: deps.config.proxy.respPort, limits: deps.config.resp, closeTimeoutMs: this.closeTimeoutMs, clientsMax: deps.config.proxy.maxClients,
      ...(tls === undefined ? {} : { tls }),
    };
    this.resp = new RespServer({
      handler: this.handler,
      clock: deps.clock,
      onError: (error, connection) => { this.reportError(error, connection); },
    }, respOptions);
    this.handler.attachServer(this.resp);
    this.http = buildProxyHttp({ ...shared, status: () => (this.phase === 'started' ? 'serving' : 'stopping'), ...(tls === undefined ? {} : { tls }) });
    this.http.server.on('connection', this.httpConnections.track);
    this.http.server.maxConnections = deps.config.proxy.httpConnectionsMax;
    this.http.server.on('drop', this.httpConnections.drop);
    this.metrics.attachConnections({ respStats: () => this.resp.stats, httpConnections: () => this.httpConnections.stats() });
  }

  /** The bound RESP port (after start). */
  get respPort(): number {
    return this.resp.port;
  }

  /** The bound HTTP port (after start). */
  get httpPort(): number {
    assert(this.boundHttpPort !== 0, 'ProxyServer.httpPort read before start()');
    return this.boundHttpPort;
  }

  async start(): Promise<void> {
    assert(this.phase === 'new', 'ProxyServer.start() called twice or after stop()');
    await this.resp.start();
    try {
      await this.http.listen({ host: this.deps.config.proxy.host, port: this.deps.config.proxy.httpPort });
    } catch (error) {
      await this.resp.stop();
      this.phase = 'stopped';
      throw error;
    }
    this.boundHttpPort = (this.http.server.address() as AddressInfo).port;
    this.phase = 'started';
    this.deps.logger.info({ respPort: this.respPort, httpPort: this.httpPort }, 'proxy listening');
  }

  /** Idempotent: stops accepting, lets in-flight requests finish, then closes. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    if (this.phase === 'new') {
      this.phase = 'stopped';
      return;
    }
    this.phase = 'stopping';
    // fastify's close() stops accepting, closes the keep-alive sockets idle at that moment and waits
    // for the in-flight requests; a socket whose request finishes later would stay open until its
    // keep-alive timeout, so idle sockets are closed again every few ms, and all of them at the deadline.
    const server = this.http.server;
    const sweeper = every(this.deps.clock, IDLE_SWEEP_INTERVAL_MS, () => { server.closeIdleConnections(); });
    const deadline = this.deps.clock.schedule(this.closeTimeoutMs, () => { server.closeAllConnections(); });
    try {
      await Promise.all([this.resp.stop(), this.http.close()]);
    } finally {
      sweeper.cancel();
      deadline.cancel();
      this.phase = 'stopped';
    }
  }

  private reportError(error: unknown, connection: RespConnection | undefined): void {
    this.deps.logger.error({ err: error, connection: connection?.id }, 'RESP server error');
  }
}

/**
 * The near cache, when it is on (proxy.hotKeyCacheTtlMs > 0) and load counting finds hot keys.
 * Sized for the servers of the table at start; invalidated by every write the coordinator starts.
 */
function nearCacheOf(deps: ProxyDeps): NearCache | undefined {
  const { hotKeyCacheTtlMs, hotKeyCacheFactor } = deps.config.proxy;
  const load = deps.load;
  if (hotKeyCacheTtlMs === 0 || load === undefined) return undefined;
  const capacity = nearCacheCapacity(deps.table.current().table.servers.length, hotKeyCacheFactor);
  // Two sampled requests in an interval: one alone is noise.
  const cache = new NearCache(deps.clock, load, { capacity, ttlMs: hotKeyCacheTtlMs, hotCountMin: 2 * load.options.hotKeySampleEvery });
  load.watchWrites((key) => { cache.invalidate(key); });
  return cache;
}
