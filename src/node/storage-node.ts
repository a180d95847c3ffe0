import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { RingcacheError, assert } from '../runtime/index.js';
import type { Clock, Logger, Random, Startable } from '../runtime/index.js';
import type { RingcacheConfig } from '../config/schema.js';
import type { ServerId } from '../ring/index.js';
import { RespServer } from '../resp/index.js';
import type { RespLimits } from '../resp/index.js';
import { MemoryEngine } from '../storage/index.js';
import type { StorageEngine } from '../storage/index.js';
import { TcpTransport, internodeLimitsOf } from '../transport/index.js';
import type { PeerAddress } from '../transport/index.js';
import { AntiEntropyService } from '../anti-entropy/index.js';
import { clusterTls, tlsServerOptions } from '../tls/index.js';
import type { ClusterTls } from '../tls/index.js';
import { nodeCatalogue } from './catalogue.js';
import { VnodeTransfers } from './transfers.js';
import { buildNodeHttp } from './http.js';
import { NodeMetrics } from './metrics.js';
import { NodeCore } from './node-core.js';
import type { NodeTableView } from './peer-service.js';
import { NodeRespHandler } from './resp-handler.js';
import { requestFigures } from './request-figures.js';
import { nodeServices } from './services.js';

/** Where the node listens; port 0 picks a free port (read the bound ones after start()). */
export interface NodeListen {
  readonly host: string;
  readonly port: number;
  readonly httpPort: number;
}

export interface StorageNodeDeps {
  readonly serverId: ServerId;
  readonly config: RingcacheConfig;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly table: NodeTableView;
  /** The process's metrics registry (never prom-client's global one). */
  readonly registry: Registry;
  /** Defaults to this server's entry of config.nodes. */
  readonly listen?: NodeListen;
  /** How long stop() lets connections answer and hang up before cutting them. @default 5000 */
  readonly closeTimeoutMs?: number;
}

type Phase = 'new' | 'starting' | 'running' | 'stopped';

/**
 * One storage node process (DESIGN.md section 1): a NodeCore (data handlers and services) with
 * the process's ports around it.
 *
 *   internode RESP :710x --> NodeRespHandler --> NodeCore --> data handlers, services' handlers
 *   HTTP :720x (/health, /metrics, /v1/stats)       |  `--> TcpTransport to peers (gossip, hints, sync)
 *                                                 MemoryEngine (change feed -> metrics, Merkle trees, ...)
 *
 * One-shot, like the process it stands for: start() once, stop() any number of times. A restart
 * is a new StorageNode, with a new actor (its memory is gone; see actor.ts). Config files, argv
 * and following the master's table belong to the process's main.ts, not here.
 */
export class StorageNode implements Startable {
  readonly engine: StorageEngine;
  readonly core: NodeCore;
  private readonly listenAt: NodeListen;
  private readonly peerTransport: TcpTransport;
  /** Cluster TLS (tls.*), read once: both ports and the connections to peers. */
  private readonly tls: ClusterTls | undefined;
  private phase: Phase = 'new';
  private handler: NodeRespHandler | undefined;
  private resp: RespServer | undefined;
  private http: FastifyInstance | undefined;
  private metrics: NodeMetrics | undefined;
  private unsubscribe: (() => void) | undefined;
  private boundHttpPort = 0;
  private stopping: Promise<void> | undefined;

  constructor(private readonly deps: StorageNodeDeps) {
    const { config, serverId, clock, random, logger, table } = deps;
    const entry = config.nodes.find((node) => node.id === serverId);
    const listen = deps.listen ?? entry;
    if (listen === undefined) {
      throw new RingcacheError('RC_ERR_CONFIG', `server ${serverId} has no entry in nodes[] and no listen address was given`);
    }
    this.listenAt = { host: listen.host, port: listen.port, httpPort: listen.httpPort };
    this.engine = new MemoryEngine({
      bytesMax: config.storage.bytesMax,
      evictionPolicy: config.storage.evictionPolicy,
      siblingsMax: config.limits.siblingsMax,
    });
    this.tls = clusterTls(config);
    this.peerTransport = new TcpTransport({
      resolve: (server) => peerAddress(server, table, config),
      clock,
      token: config.cluster.token,
      ...(this.tls === undefined ? {} : { tls: this.tls }),
      logger,
      catalogue: nodeCatalogue(),
      options: { limits: internodeLimitsOf(config) },
    });
    this.core = new NodeCore({
      serverId, clock, random, logger, table, config, engine: this.engine, transport: this.peerTransport, services: nodeServices(),
    });
  }

  /** The bound internode RESP port (the real one when configured as 0). */
  get respPort(): number {
    assert(this.resp !== undefined, 'StorageNode.respPort read before start()');
    return this.resp.port;
  }

  get httpPort(): number {
    assert(this.http !== undefined, 'StorageNode.httpPort read before start()');
    return this.boundHttpPort;
  }

  get actor(): string {
    return this.core.actor;
  }

  async start(): Promise<void> {
    assert(this.phase === 'new', `StorageNode.start() in phase ${this.phase}: a node starts once`);
    this.phase = 'starting';
    const { serverId, config, clock, logger } = this.deps;
    this.handler = new NodeRespHandler({
      handler: this.core,
      catalogue: nodeCatalogue(),
      limits: internodeLimitsOf(config),
      token: config.cluster.token,
      random: this.deps.random,
      authTimeoutMs: config.cluster.authTimeoutMs,
      clock,
      onError: (error) => { logger.error({ err: error, serverId }, 'internode handler failed'); },
    });
    this.resp = new RespServer({
      handler: this.handler,
      clock,
      onError: (error) => { logger.error({ err: error, serverId }, 'internode RESP server error'); },
    }, {
      host: this.listenAt.host,
      port: this.listenAt.port,
      limits: internodeRespLimits(config),
      ...(this.tls === undefined ? {} : { tls: tlsServerOptions(this.tls, 'certified') }),
      ...(this.deps.closeTimeoutMs === undefined ? {} : { closeTimeoutMs: this.deps.closeTimeoutMs }),
    });
    try {
      await this.resp.start();
      await this.startHttp();
      await this.core.start();
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.phase = 'running';
    logger.info({ serverId, actor: this.core.actor, respPort: this.resp.port, httpPort: this.boundHttpPort }, 'storage node started');
  }

  /** Stops accepting, answers what connections already sent, closes sockets and timers. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async startHttp(): Promise<void> {
    const { serverId, registry, table, config } = this.deps;
    const handler = this.handler;
    const resp = this.resp;
    assert(handler !== undefined && resp !== undefined, 'the RESP side starts first');
    const core = this.core;
    this.metrics = new NodeMetrics(registry, {
      engine: this.engine, service: () => core.data.stats, handler: handler.stats, resp: resp.stats,
      services: core.services, epoch: () => table.epoch(), peerInputRefusals: () => core.context.peerInput.refusals(),
    });
    const metrics = this.metrics;
    this.unsubscribe = this.engine.subscribe((cause, _vnode, _key, _before, after) => {
      if (after !== undefined && (cause === 'put' || cause === 'merge')) metrics.observeSiblings(after.siblings.length);
    });
    const antiEntropy = core.services.find((service): service is AntiEntropyService => service instanceof AntiEntropyService);
    const transfers = core.services.find((service): service is VnodeTransfers => service instanceof VnodeTransfers);
    this.http = buildNodeHttp({
      serverId, registry, engine: this.engine, epoch: () => table.epoch(), actor: () => core.actor,
      token: config.cluster.token, logger: this.deps.logger,
      recovery: core.context.recovery, syncProgress: () => antiEntropy?.progress(),
      requests: () => requestFigures(handler.stats),
      transfers: (vnode) => transfers?.progress(vnode),
      ...(this.tls === undefined ? {} : { tls: this.tls }),
    });
    await this.http.listen({ host: this.listenAt.host, port: this.listenAt.httpPort });
    this.boundHttpPort = (this.http.server.address() as AddressInfo).port;
  }

  private async shutdown(): Promise<void> {
    if (this.phase === 'new') {
      this.phase = 'stopped';
      return;
    }
    await this.core.stop();
    // The RESP side first: in-flight internode requests are answered before sockets close.
    await this.resp?.stop();
    await this.http?.close();
    await this.peerTransport.close();
    this.metrics?.unregister();
    this.unsubscribe?.();
    this.phase = 'stopped';
    this.deps.logger.info({ serverId: this.deps.serverId }, 'storage node stopped');
  }
}

/** A peer's internode address: the table's entry, or the config's before the node has a table. */
function peerAddress(server: ServerId, table: NodeTableView, config: RingcacheConfig): PeerAddress | undefined {
  const info = table.current()?.server(server) ?? config.nodes.find((node) => node.id === server);
  return info === undefined ? undefined : { host: info.host, port: info.port };
}

/**
 * The internode port's RESP limits: config.resp, except that one bulk may be a whole state (an
 * RC.MERGE carries up to limits.siblingsMax values), so bulkBytesMax rises to frameBytesMax.
 */
export function internodeRespLimits(config: RingcacheConfig): RespLimits {
  const resp = config.resp;
  return { ...resp, bulkBytesMax: Math.max(resp.bulkBytesMax, resp.frameBytesMax) };
}
