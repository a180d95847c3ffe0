/**
 * The proxy's HTTP front-end (DESIGN.md section 7), built by a function and tested with inject().
 *
 *   GET|PUT|DELETE /v1/kv/<key>   values as raw bytes (http-kv.ts has the status codes)
 *   GET /v1/route/<key>           RouteInfo JSON: where the key lives and why
 *   POST /v1/near-cache/invalidate  other proxies' writes of keys cached here (http-invalidation.ts)
 *   GET /health                   200 { status: 'ok', epoch, servers, serversDown }; 503 while stopping
 *   GET /metrics                  Prometheus text of the process's registry (ringcache_proxy_*)
 *
 * Keys: the URL path after the prefix, percent-decoded to bytes from the URL as received (any byte
 * can be sent as %XX; '/' may appear raw). To keep the router from decoding it (it refuses
 * non-UTF-8), rewriteUrl routes /v1/kv/... and /v1/route/... to fixed paths and the handlers read
 * request.originalUrl.
 *
 * Errors are `{ code, message, details }` with the catalogue's HTTP status; a body over
 * limits.valueBytesMax is 413 RC_ERR_VALUE_TOO_LARGE. With proxy.password set, /v1/kv wants
 * `Authorization: Bearer <password>` (401 RC_ERR_UNAUTHORIZED otherwise).
 */
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerGuard, fastifyLimitOptions, fastifyListener, frameworkErrorHandler, guardedRoute, installErrorShape } from '../http/index.js';
import type { Clock } from '../runtime/index.js';
import { KV_PREFIX, KvRoutes, outcomeOf } from './http-kv.js';
import type { HttpPayload } from './http-kv.js';
import { keyFromUrl } from './http-request.js';
import { KvStore } from './kv-store.js';
import { OUTCOME_OK, ProxyMetrics } from './metrics.js';
import type { ProxyDeps } from './options.js';
import type { TlsMaterial } from './tls-files.js';
import { routeOf } from './route-info.js';
import { registerInvalidationRoute } from './http-invalidation.js';

const ROUTE_PREFIX = '/v1/route/';
const KV_ROUTE = '/v1/kv/_';
const ROUTE_ROUTE = '/v1/route/_';

export interface ProxyHttpDeps extends ProxyDeps {
  /** 'stopping' makes /health answer 503 so load balancers drain the proxy (ProxyServer sets it). */
  readonly status?: () => 'serving' | 'stopping';
  /** Key and certificate: the port speaks HTTPS only (proxy.tlsCertFile). */
  readonly tls?: TlsMaterial;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<HttpPayload>;

export function buildProxyHttp(deps: ProxyHttpDeps): FastifyInstance {
  const { clock, config } = deps;
  const metrics = deps.metrics ?? new ProxyMetrics(deps.registry, { coordinator: deps.coordinator, table: deps.table });
  const kv = deps.kv ?? new KvStore(deps.coordinator, deps.table, clock, config);
  const { httpHeaderBytesMax, httpRequestTimeoutMs, httpConnectionsMax } = config.proxy;
  const shape = { where: 'proxy', logger: deps.logger, bodyBytesMax: config.limits.valueBytesMax, bodyLimitName: 'limits.valueBytesMax' };
  const limits = fastifyLimitOptions({ headerBytesMax: httpHeaderBytesMax, requestTimeoutMs: httpRequestTimeoutMs, connectionsMax: httpConnectionsMax });
  const transport = fastifyListener(limits, deps.tls);
  const app = Fastify({
    logger: false,
    bodyLimit: config.limits.valueBytesMax,
    ...limits,
    ...transport,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    rewriteUrl: (request) => rewrite(request.url ?? '/'),
    frameworkErrors: frameworkErrorHandler(shape),
  });
  // Values are bytes whatever their content type: no JSON or text parsing, ever.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => { done(null, body); });
  installErrorShape(app, shape);

  const routes = new KvRoutes(kv, clock, metrics);
  const track = (command: string, handler: Handler): Handler => tracked(metrics, clock, metrics.series('http', command), handler);
  // No password, no hook: an onRequest hook costs every request even when it only calls done().
  const guarded = guardedRoute(bearerGuard(config.proxy.password, 'proxy.password'));
  app.get(KV_ROUTE, guarded, routes.get);
  app.put(KV_ROUTE, guarded, track('put', routes.put));
  app.delete(KV_ROUTE, guarded, track('delete', routes.delete));
  app.get(ROUTE_ROUTE, track('route', (request) => {
    const key = keyFromUrl(request.originalUrl, ROUTE_PREFIX);
    kv.checkKey(key);
    return Promise.resolve(routeOf(deps.table.current(), deps.coordinator.liveness, key));
  }));
  registerInvalidationRoute(app, kv.nearCache, config);
  app.get('/health', (_request, reply) => {
    const table = deps.table.current();
    const servers = table.table.servers;
    const serversDown = servers.filter((server) => !deps.coordinator.liveness.isUp(server.id)).length;
    const status = deps.status?.() === 'stopping' ? 'stopping' : 'ok';
    return reply.code(status === 'ok' ? 200 : 503).send({ status, epoch: table.epoch, servers: servers.length, serversDown });
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await deps.registry.metrics();
    return reply.type(deps.registry.contentType).send(text);
  });
  return app;
}

/** /v1/kv/<anything> -> /v1/kv/_ (query kept), likewise /v1/route/: the key never meets the router. */
function rewrite(url: string): string {
  const prefix = url.startsWith(KV_PREFIX) ? KV_ROUTE : url.startsWith(ROUTE_PREFIX) ? ROUTE_ROUTE : undefined;
  if (prefix === undefined) return url;
  const query = url.indexOf('?');
  return query < 0 ? prefix : prefix + url.slice(query);
}

/** Counts a route's requests by outcome and times them; a miss (404 on a key) is a normal answer. */
function tracked(metrics: ProxyMetrics, clock: Clock, series: number, handler: Handler): Handler {
  return (request, reply) => {
    const startMs = clock.monotonicMs();
    let pending: Promise<HttpPayload>;
    try {
      pending = handler(request, reply);
    } catch (error) {
      pending = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return pending.then((payload) => {
      metrics.record(series, OUTCOME_OK, clock.monotonicMs() - startMs);
      return payload;
    }, (error: unknown) => {
      metrics.record(series, outcomeOf(error), clock.monotonicMs() - startMs);
      throw error;
    });
  };
}

