/**
 * The shard-master's admin HTTP API (DESIGN.md section 7), built by a function so tests drive it
 * with `inject()` and the process wires it to a port (server.ts).
 *
 *   GET /v1/table                 200 Table
 *   GET /v1/table?since=E         200 Table at once if epoch > E, else the next commit within
 *       [&waitMs=W]                   min(W, master.longPollMs), else 304 (long poll)
 *   GET /v1/cluster               200 ClusterSummary (what `ringcache status` prints)
 *   GET /v1/servers               200 { servers: ServerInfo[] }
 *   POST /v1/servers, POST /v1/servers/:id/drain, DELETE /v1/servers/:id, GET /v1/moves
 *                                 membership changes and replica moves (admin/)
 *   GET /v1/dashboard[/vnodes]    200 what the dashboard shows (dashboard/routes.ts)
 *   /v1/load, /v1/load/report, /v1/hotkeys, /v1/route/:key, /v1/rebalance   admin/load.ts
 *   GET /health, /metrics         open: liveness, Prometheus text
 *   GET /, /dashboard/<file>      open: the dashboard page and its files (its data comes from /v1)
 *
 * When `cluster.token` is set, every /v1 route wants `Authorization: Bearer <token>`. Errors are
 * `{ code, message, details }` with the catalogue's HTTP status (DESIGN.md section 8).
 */
import { bearerGuard, fastifyLimitOptions, fastifyListener, frameworkErrorHandler, guardedRoute, installErrorShape } from '../src/http/index.js';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import type { RingcacheConfig } from '../src/config/index.js';
import type { Table } from '../src/ring/index.js';
import { RingcacheError, SystemClock } from '../src/runtime/index.js';
import type { Clock, Logger } from '../src/runtime/index.js';
import { clusterSummary } from './cluster-summary.js';
import type { GossipLiveness } from './cluster-summary.js';
import { registerDashboard } from './dashboard/index.js';
import type { Dashboard, DashboardDeps } from './dashboard/index.js';
import type { ShardMaster } from './master.js';
import { registerLoadAdmin } from './admin/load.js';
import { registerAdminRoutes } from './admin/moves.js';
import type { MoveExecutor } from './moves/move-executor.js';
import { tlsServerOptions } from '../src/tls/index.js';
import type { ClusterTls } from '../src/tls/index.js';

export interface MasterHttpDeps {
  readonly config: RingcacheConfig;
  readonly logger: Logger;
  /** The registry the master's metrics live in; /metrics serves it. */
  readonly registry: Registry;
  /** The dashboard's probes and timeouts run on it; the system clock when omitted. */
  readonly clock?: Clock;
  /** Dashboard overrides for tests: a fetcher answering from memory, shorter cadences. */
  readonly dashboard?: Pick<DashboardDeps, 'fetch' | 'options' | 'folder'>;
  /** The gossip view pulled from the nodes (gossip-view.ts), for each server's liveness in /v1/cluster. */
  readonly gossip?: () => GossipLiveness | undefined;
  /** The replica move executor: with it, the admin routes of servers and moves (admin/). */
  readonly moves?: MoveExecutor;
  /** Cluster TLS: the port speaks HTTPS only (any client may connect; /v1 keeps the token). */
  readonly tls?: ClusterTls;
}

/** The epoch of the table in a 200 answer, readable without parsing the body (curl -i). */
export const EPOCH_HEADER = 'x-ringcache-epoch';

/** The admin API takes no large bodies yet; a later POST /v1/load report stays far below this. */
const BODY_BYTES_MAX = 1024 * 1024;

export function buildMasterHttp(master: ShardMaster, deps: MasterHttpDeps): FastifyInstance {
  return buildMasterHttpWithDashboard(master, deps).app;
}

/** buildMasterHttp, also handing back the dashboard's prober and sampler (tests drive them). */
export function buildMasterHttpWithDashboard(master: ShardMaster, deps: MasterHttpDeps): { app: FastifyInstance; dashboard: Dashboard } {
  const shape = {
    where: 'shard-master', logger: deps.logger, bodyBytesMax: BODY_BYTES_MAX, bodyLimitName: 'the admin API body limit', notFoundHint: 'GET / lists the endpoints',
  };
  const limits = fastifyLimitOptions();
  const listener = fastifyListener(limits, deps.tls === undefined ? undefined : tlsServerOptions(deps.tls, 'any'));
  const app = Fastify({
    logger: false, bodyLimit: BODY_BYTES_MAX, forceCloseConnections: 'idle', return503OnClosing: false, ...limits, ...listener, frameworkErrors: frameworkErrorHandler(shape),
  });
  const guard = bearerGuard(deps.config.cluster.token, 'cluster.token');
  const guarded = guardedRoute(guard);
  const sendTable = tableSender();
  const summary = (): ReturnType<typeof clusterSummary> => clusterSummary(master.table(), deps.gossip?.());

  app.get('/v1/table', guarded, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const since = nonNegativeInteger('since', query.since);
    const longPollMs = deps.config.master.longPollMs;
    const waitMs = Math.min(nonNegativeInteger('waitMs', query.waitMs) ?? longPollMs, longPollMs);
    if (since === undefined) return sendTable(reply, master.table());
    const table = await master.waitForEpochAfter(since, waitMs, closeSignal(reply));
    if (table === undefined) return reply.code(304).send();
    return sendTable(reply, table);
  });
  app.get('/v1/cluster', guarded, summary);
  app.get('/v1/servers', guarded, () => ({ servers: master.servers() }));
  if (deps.moves !== undefined) registerAdminRoutes(app, { master, executor: deps.moves, guard, tokensPerServer: deps.config.cluster.tokensPerServer });
  app.get('/health', () => ({ status: 'ok', epoch: master.table().epoch }));
  app.get('/metrics', async (_request, reply) => {
    const text = await deps.registry.metrics();
    return reply.type(deps.registry.contentType).send(text);
  });
  const dashboard = registerDashboard(app, {
    config: deps.config,
    clock: deps.clock ?? new SystemClock(),
    logger: deps.logger,
    summary,
    table: () => master.table(),
    guard,
    ...deps.dashboard,
  });
  const executor = deps.moves;
  registerLoadAdmin(app, {
    config: deps.config, clock: deps.clock ?? new SystemClock(), logger: deps.logger, guard, table: () => master.table(), sampler: dashboard.sampler, proxies: dashboard.proxies,
    // Leader changes commit between the executor's steps, which read and write the table too.
    commit: (next) => (executor === undefined ? master.commit(next) : executor.exclusive(() => master.commit(next))),
    ...(executor === undefined ? {} : { handOff: executor }),
  });

  // Shutdown answers parked long polls "no news" first, so close() never waits one out, and
  // those answers close their connections: a keep-alive socket left open would hold close() up.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    master.releaseWaiters();
    done();
  });
  // Requests arriving while closing get our coded 503 (fastify's own 503 is not `{ code, message }`).
  app.addHook('onRequest', (_request, _reply, done) => {
    done(closing ? new RingcacheError('RC_ERR_SHUTTING_DOWN', 'the shard-master is stopping') : undefined);
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  installErrorShape(app, shape);
  return { app, dashboard };
}

/**
 * Every follower of an epoch gets the same bytes: a commit wakes all long polls at once, so the
 * table is serialized once per epoch, not once per follower (V=1024, N=3 is ~30 KB of JSON).
 */
function tableSender(): (reply: FastifyReply, table: Table) => FastifyReply {
  let last: { table: Table; json: string } | undefined;
  return (reply, table) => {
    if (last?.table !== table) last = { table, json: JSON.stringify(table) };
    return reply.code(200).header(EPOCH_HEADER, String(table.epoch)).type('application/json; charset=utf-8').send(last.json);
  };
}

/** Aborts when the client goes away, so its long poll stops holding a waiter slot. */
function closeSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => { controller.abort(); });
  return controller.signal;
}

function nonNegativeInteger(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number)) {
    throw new RingcacheError('RC_ERR_BAD_REQUEST', `${name} must be a non-negative integer, got ${JSON.stringify(value)}`, { [name]: value });
  }
  return number;
}


