import type { EngineStats } from '../storage/engine.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import { fastifyLimitOptions, frameworkErrorHandler, installErrorShape } from '../http/index.js';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { RingcacheError } from '../runtime/index.js';
import type { Logger } from '../runtime/index.js';
import type { ServerId } from '../ring/index.js';
import type { StorageEngine } from '../storage/index.js';

/**
 * A storage node's HTTP port (DESIGN.md section 7, `720x`): for probes, scrapers and operators,
 * never for data.
 *
 *   GET /health    200 {status: 'ok', serverId, epoch, actor}     open: load balancers and
 *   GET /metrics   Prometheus text of the node's Registry           scrapers carry no token
 *   GET /v1/stats  keys and bytes per vnode, totals, epoch, actor   `Authorization: Bearer <token>`
 *                                                                   when cluster.token is set
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
  readonly logger?: Logger;
}

export interface NodeStats {
  readonly serverId: ServerId;
  readonly epoch: number;
  readonly actor: string;
  readonly totals: EngineStats;
  /** Vnodes that hold at least one key, ascending. */
  readonly vnodes: readonly { readonly vnode: number; readonly keys: number; readonly bytes: number }[];
}

/** No route takes a body; anything sent is read no further than this. */
const BODY_BYTES_MAX = 1024;

export function buildNodeHttp(deps: NodeHttpDeps): FastifyInstance {
  // forceCloseConnections stays 'idle' (the default): close() lets in-flight requests finish.
  const shape = { where: `node ${deps.serverId}`, logger: deps.logger, bodyBytesMax: BODY_BYTES_MAX, bodyLimitName: 'the node HTTP body limit' };
  const app = Fastify({ logger: false, bodyLimit: BODY_BYTES_MAX, ...fastifyLimitOptions(), frameworkErrors: frameworkErrorHandler(shape) });
  const tokenDigest = deps.token === undefined || deps.token === '' ? undefined : digest(deps.token);

  installErrorShape(app, shape);

  app.get('/health', () => ({ status: 'ok', serverId: deps.serverId, epoch: deps.epoch(), actor: deps.actor() }));

  app.get('/metrics', async (_request, reply) => {
    const text = await deps.registry.metrics();
    return reply.type(deps.registry.contentType).send(text);
  });

  app.get('/v1/stats', (request) => {
    if (tokenDigest !== undefined) authorize(request, tokenDigest);
    return nodeStats(deps);
  });

  return app;
}

export function nodeStats(deps: Pick<NodeHttpDeps, 'serverId' | 'engine' | 'epoch' | 'actor'>): NodeStats {
  const { engine } = deps;
  const { keys, bytes, bytesMax, evictions, rejections, siblingsOverflow } = engine.stats();
  return {
    serverId: deps.serverId,
    epoch: deps.epoch(),
    actor: deps.actor(),
    totals: { keys, bytes, bytesMax, evictions, rejections, siblingsOverflow },
    vnodes: engine.vnodes().map((vnode) => ({ vnode, ...engine.vnodeStats(vnode) })),
  };
}

function authorize(request: FastifyRequest, tokenDigest: Buffer): void {
  const header = request.headers.authorization ?? '';
  const match = /^Bearer (.+)$/i.exec(header);
  if (match === null || !timingSafeEqual(digest(match[1] ?? ''), tokenDigest)) {
    throw new RingcacheError('RC_ERR_UNAUTHORIZED', "missing or wrong cluster token: send 'Authorization: Bearer <cluster.token>'");
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

