import type { EngineStats } from '../storage/engine.js';
import { bearerGuard, fastifyLimitOptions, fastifyListener, frameworkErrorHandler, guardedRoute, installErrorShape } from '../http/index.js';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { RingcacheError } from '../runtime/index.js';
import type { Logger } from '../runtime/index.js';
import type { ServerId } from '../ring/index.js';
import type { StorageEngine } from '../storage/index.js';
import type { SyncProgress } from '../anti-entropy/index.js';
import type { NodeRequestFigures } from './request-figures.js';
import type { TransferProgress } from './transfers.js';
import { tlsServerOptions } from '../tls/index.js';
import type { ClusterTls } from '../tls/index.js';

/**
 * A storage node's HTTP port (DESIGN.md section 7, `720x`): for probes, scrapers and operators,
 * never for data.
 *
 *   GET /health    200 {status: 'ok', serverId, epoch, actor,       open: load balancers and
 *                       recovering, pendingVnodes}                 scrapers carry no token
 *   GET /metrics   Prometheus text of the node's Registry
 *   GET /v1/stats  keys and bytes per vnode, totals, epoch, actor,  `Authorization: Bearer <token>`
 *                  recovery and anti-entropy progress, data         when cluster.token is set
 *                  requests and their latency (request-figures.ts)
 *                  recovery and anti-entropy progress               when cluster.token is set
 *   GET /v1/transfers/:vnode  a move's target: synced yet, keys and bytes held (the master's executor asks)
 *
 * A recovering node (started empty, anti-entropy not done) is alive and serving, so /health stays
 * 200; `recovering` and `pendingVnodes` tell an operator (and a rolling restart) to wait.
 *
 * Health and metrics stay open even with a cluster token: they reveal counts, not data or keys,
 * and probes rarely can send headers. Stats list what a node holds per vnode, an operator's view.
 * Errors are JSON `{code, message}` with the catalogue's HTTP status.
 */
export interface NodeHttpDeps {
  readonly serverId: ServerId;
  readonly registry: Registry;
  readonly engine: StorageEngine;
  /** The table epoch this node knows. */
  readonly epoch: () => number;
  /** This incarnation's actor. */
  readonly actor: () => string;
  /** The cluster token (cluster.token); empty or absent: no authentication. */
  readonly token?: string;
  /** Cluster TLS: the port speaks HTTPS only (any client may connect; /v1 keeps the token). */
  readonly tls?: ClusterTls;
  readonly logger?: Logger;
  /** Whether the node is still catching up after starting empty (node/recovery.ts). */
  readonly recovery?: { readonly recovering: boolean; readonly pending: number };
  /** Anti-entropy's figures for /v1/stats. */
  readonly syncProgress?: () => SyncProgress | undefined;
  /** Data requests answered and their latency, cumulative, for the dashboard (request-figures.ts). */
  readonly requests?: () => NodeRequestFigures;
  /** How far this node has synced a vnode it receives in a move (GET /v1/transfers/:vnode). */
  readonly transfers?: (vnode: number) => TransferProgress | undefined;
}

export interface NodeStats {
  readonly serverId: ServerId;
  readonly epoch: number;
  readonly actor: string;
  readonly totals: EngineStats;
  /** Vnodes that hold at least one key, ascending. */
  readonly vnodes: readonly { readonly vnode: number; readonly keys: number; readonly bytes: number }[];
  readonly recovery?: { readonly recovering: boolean; readonly pendingVnodes: number };
  readonly antiEntropy?: SyncProgress;
  readonly requests?: NodeRequestFigures;
}

/** No route takes a body; anything sent is read no further than this. */
const BODY_BYTES_MAX = 1024;

export function buildNodeHttp(deps: NodeHttpDeps): FastifyInstance {
  // forceCloseConnections stays 'idle' (the default): close() lets in-flight requests finish.
  const shape = { where: `node ${deps.serverId}`, logger: deps.logger, bodyBytesMax: BODY_BYTES_MAX, bodyLimitName: 'the node HTTP body limit' };
  const limits = fastifyLimitOptions();
  const listener = fastifyListener(limits, deps.tls === undefined ? undefined : tlsServerOptions(deps.tls, 'any'));
  const app = Fastify({ logger: false, bodyLimit: BODY_BYTES_MAX, ...limits, ...listener, frameworkErrors: frameworkErrorHandler(shape) });
  const guarded = guardedRoute(bearerGuard(deps.token ?? '', 'cluster.token'));

  installErrorShape(app, shape);

  app.get('/health', () => {
    const health = { status: 'ok', serverId: deps.serverId, epoch: deps.epoch(), actor: deps.actor() };
    const { recovery } = deps;
    return recovery === undefined ? health : { ...health, recovering: recovery.recovering, pendingVnodes: recovery.pending };
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await deps.registry.metrics();
    return reply.type(deps.registry.contentType).send(text);
  });

  app.get('/v1/stats', guarded, () => nodeStats(deps));

  app.get('/v1/transfers/:vnode', guarded, (request) => {
    const text = (request.params as { vnode?: string }).vnode ?? '';
    const progress = /^\d{1,9}$/.test(text) ? deps.transfers?.(Number(text)) : undefined;
    if (progress === undefined) throw new RingcacheError('RC_ERR_NOT_FOUND', `no transfer progress for vnode ${JSON.stringify(text.slice(0, 20))} on ${deps.serverId}`);
    return progress;
  });

  return app;
}

export function nodeStats(deps: Pick<NodeHttpDeps, 'serverId' | 'engine' | 'epoch' | 'actor' | 'recovery' | 'syncProgress' | 'requests'>): NodeStats {
  const { engine, recovery } = deps;
  const { keys, bytes, bytesMax, evictions, rejections, siblingsOverflow } = engine.stats();
  const progress = deps.syncProgress?.();
  return {
    serverId: deps.serverId,
    epoch: deps.epoch(),
    actor: deps.actor(),
    totals: { keys, bytes, bytesMax, evictions, rejections, siblingsOverflow },
    vnodes: engine.vnodes().map((vnode) => ({ vnode, ...engine.vnodeStats(vnode) })),
    ...(recovery === undefined ? {} : { recovery: { recovering: recovery.recovering, pendingVnodes: recovery.pending } }),
    ...(progress === undefined ? {} : { antiEntropy: progress }),
    ...(deps.requests === undefined ? {} : { requests: deps.requests() }),
  };
}
