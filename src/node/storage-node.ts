import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { RingcacheError, assert, every } from '../runtime/index.js';
import type { Clock, Logger, Random, Startable, Timer } from '../runtime/index.js';
import type { RingcacheConfig } from '../config/schema.js';
import type { ServerId } from '../ring/index.js';
import { RespServer } from '../resp/index.js';
import type { RespLimits } from '../resp/index.js';
import { MemoryEngine } from '../storage/index.js';
import type { MergeResult } from '../storage/index.js';
import { internodeLimitsOf } from '../transport/internode-codec.js';
import type { Versioned } from '../version/index.js';
import { newActor } from './actor.js';
import { buildNodeHttp } from './http.js';
import { NodeMetrics } from './metrics.js';
import { NodeRespHandler } from './resp-handler.js';
import { NodeService } from './service.js';

/**
 * What a node needs of the table: the epoch it knows, and a hook for "a peer is ahead" (the
 * process's table follower fetches the newer table). A node serves without rows: coordinators
 * route, the node stores what it is sent.
 */
export interface NodeTableSource {
  epoch(): number;
  observeEpoch(epoch: number): void;
}

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
  readonly table: NodeTableSource;
  /** The process's metrics registry (never prom-client's global one). */
  readonly registry: Registry;
  /** Defaults to this server's entry of config.nodes. */
  readonly listen?: NodeListen;
  /** How long stop() lets connections answer and hang up before cutting them. @default 5000 */
  readonly closeTimeoutMs?: number;
}

type Phase = 'new' | 'starting' | 'running' | 'stopped';

/** A memory engine that reports every state it stores (the sibling-count histogram). */
class ObservedEngine extends MemoryEngine {
  onStored: (versioned: Versioned) => void = () => undefined;

  override put(key: Uint8Array, vnode: number, versioned: Versioned): Versioned {
    const stored = super.put(key, vnode, versioned);
    this.onStored(stored);
    return stored;
  }

  override merge(key: Uint8Array, vnode: number, incoming: Versioned): MergeResult {
    const result = super.merge(key, vnode, incoming);
    this.onStored(result.stored);
    return result;
  }
}

/**
 * One storage node (DESIGN.md section 1), the composition of its parts:
 *
 *   internode RESP :710x --> NodeRespHandler --> NodeService --> MemoryEngine <-- sweeper (timer)
 *   HTTP :720x (/health, /metrics, /v1/stats) ------------------------^
 *
 * One-shot, like the process it stands for: start() once, stop() any number of times. A restart
 * is a new StorageNode, with a new actor (its memory is gone; see actor.ts). Config files, argv
 * and following the master's table belong to the process's main.ts, not here.
 */
export class StorageNode implements Startable {
  readonly engine: MemoryEngine;
  readonly sweepStats = { removed: 0 };
  private readonly observed: ObservedEngine;
  private readonly listenAt: NodeListen;
  private phase: Phase = 'new';
  private service: NodeService | undefined;
  private handler: NodeRespHandler | undefined;
  private resp: RespServer | undefined;
  private http: FastifyInstance | undefined;
  private metrics: NodeMetrics | undefined;
  private sweeper: Timer | undefined;
  private boundHttpPort = 0;
  private stopping: Promise<void> | undefined;

  constructor(private readonly deps: StorageNodeDeps) {
    const { config, serverId } = deps;
    const entry = config.nodes.find((node) => node.id === serverId);
    const listen = deps.listen ?? entry;
    if (listen === undefined) {
      throw new RingcacheError('RC_ERR_CONFIG', `server ${serverId} has no entry in nodes[] and no listen address was given`);
    }
    this.listenAt = { host: listen.host, port: listen.port, httpPort: listen.httpPort };
    this.observed = new ObservedEngine({
      bytesMax: config.storage.bytesMax,
      evictionPolicy: config.storage.evictionPolicy,
      siblingsMax: config.limits.siblingsMax,
    });
    this.engine = this.observed;
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
    assert(this.service !== undefined, 'StorageNode.actor read before start()');
    return this.service.actor;
  }

  async start(): Promise<void> {
    assert(this.phase === 'new', `StorageNode.start() in phase ${this.phase}: a node starts once`);
    this.phase = 'starting';
    const { serverId, config, clock, logger, table } = this.deps;
    const service = new NodeService({
      serverId,
      actor: newActor(serverId, clock, this.deps.random),
      storage: this.observed,
      clock,
      epoch: () => table.epoch(),
      onNewerEpoch: (epoch) => { table.observeEpoch(epoch); },
      options: { keyBytesMax: config.limits.keyBytesMax, valueBytesMax: config.limits.valueBytesMax, dedupeEntriesMax: config.node.dedupeEntriesMax },
    });
    this.service = service;
    this.handler = new NodeRespHandler({
      handler: service,
      limits: internodeLimitsOf(config),
      token: config.cluster.token,
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
      ...(this.deps.closeTimeoutMs === undefined ? {} : { closeTimeoutMs: this.deps.closeTimeoutMs }),
    });
    try {
      await this.resp.start();
      await this.startHttp();
    } catch (error) {
      await this.stop();
      throw error;
    }
    const { sweepIntervalMs, tombstoneGraceMs, sweepKeysMax } = config.storage;
    this.sweeper = every(clock, sweepIntervalMs, () => {
      this.sweepStats.removed += this.engine.sweep(clock.nowMs(), tombstoneGraceMs, sweepKeysMax);
    });
    this.phase = 'running';
    logger.info({ serverId, actor: service.actor, respPort: this.resp.port, httpPort: this.boundHttpPort }, 'storage node started');
  }

  /** Stops accepting, answers what connections already sent, closes sockets and timers. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async startHttp(): Promise<void> {
    const { serverId, registry, table, config } = this.deps;
    const service = this.service;
    const handler = this.handler;
    const resp = this.resp;
    assert(service !== undefined && handler !== undefined && resp !== undefined, 'the RESP side starts first');
    this.metrics = new NodeMetrics(registry, {
      engine: this.engine, service: () => service.stats, handler: handler.stats, resp: resp.stats, sweep: this.sweepStats,
      epoch: () => table.epoch(),
    });
    const metrics = this.metrics;
    this.observed.onStored = (versioned) => { metrics.observeSiblings(versioned.siblings.length); };
    this.http = buildNodeHttp({
      serverId, registry, engine: this.engine, epoch: () => table.epoch(), actor: () => service.actor,
      token: config.cluster.token, logger: this.deps.logger,
    });
    await this.http.listen({ host: this.listenAt.host, port: this.listenAt.httpPort });
    this.boundHttpPort = (this.http.server.address() as AddressInfo).port;
  }

  private async shutdown(): Promise<void> {
    if (this.phase === 'new') {
      this.phase = 'stopped';
      return;
    }
    this.sweeper?.cancel();
    // The RESP side first: in-flight internode requests are answered before sockets close.
    await this.resp?.stop();
    await this.http?.close();
    this.metrics?.unregister();
    this.observed.onStored = () => undefined;
    this.phase = 'stopped';
    this.deps.logger.info({ serverId: this.deps.serverId }, 'storage node stopped');
  }
}

/**
 * The internode port's RESP limits: config.resp, except that one bulk may be a whole state (an
 * RC.MERGE carries up to limits.siblingsMax values), so bulkBytesMax rises to frameBytesMax.
 */
export function internodeRespLimits(config: RingcacheConfig): RespLimits {
  const resp = config.resp;
  return { ...resp, bulkBytesMax: Math.max(resp.bulkBytesMax, resp.frameBytesMax) };
}
