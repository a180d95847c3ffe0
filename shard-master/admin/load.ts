/**
 * The shard-master's load and rebalance API (DESIGN.md sections 6 and 7), registered by http.ts:
 *
 *   POST /v1/load/report          a proxy's or client library's counts (src/load) -> 200 with the
 *                                 peer directory (the other caching proxies, their hot keys)
 *   GET  /v1/load                 {epoch, servers: [{id, opsPerSec, bytesPerSec, share}], maxOverMean, ...}
 *   GET  /v1/hotkeys[?limit=K]    the hottest keys over every reporter, with their vnode and row
 *   GET  /v1/route/:key           where a key lives: vnode, row, leader, pending move, fallbacks
 *   POST /v1/rebalance {"dryRun"} the plan {moves, leaderChanges, before, after, bytesToMove};
 *                                 dryRun false also applies it (rebalancer.ts)
 *
 * Every input is checked (unknown fields, types, limits) and refused with a coded 4xx; a refused
 * apply leaves the table untouched.
 */
import type { FastifyInstance } from 'fastify';
import type { RingcacheConfig } from '../../src/config/index.js';
import { encodePeerDirectory, readLoadReport } from '../../src/load/index.js';
import { RoutingTable } from '../../src/ring/index.js';
import type { Table } from '../../src/ring/index.js';
import { guardedRoute } from '../../src/http/index.js';
import type { BearerGuard } from '../../src/http/index.js';
import { RingcacheError } from '../../src/runtime/index.js';
import type { Clock, Logger } from '../../src/runtime/index.js';
import type { ProxyBook } from '../dashboard/proxy-book.js';
import type { StatsSampler } from '../dashboard/stats-sampler.js';
import { LoadBook } from '../load/load-book.js';
import { storedBytesOf, vnodeLoadsOf } from '../load/vnode-loads.js';
import { maxOverMean, serverLoads } from '../rebalance/load-model.js';
import { Rebalancer } from '../rebalance/rebalancer.js';
import type { MoveHandOff } from '../rebalance/rebalancer.js';
import { describeKey, loadView, planView } from './load-views.js';

export interface LoadAdminDeps {
  readonly config: RingcacheConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The bearer check of every admin route (undefined: no cluster token). */
  readonly guard: BearerGuard | undefined;
  readonly table: () => Table;
  readonly commit: (next: Table) => Promise<Table>;
  /** The nodes' stats (keys per vnode, bytes): what a move copies. Without it, bytes are 0. */
  readonly sampler?: Pick<StatsSampler, 'sample'>;
  /** The move executor; absent: plans needing moves are refused on apply. */
  readonly handOff?: MoveHandOff;
  /** Keeps the proxies' own request figures a report carries (the dashboard's ProxyBook). */
  readonly proxies?: Pick<ProxyBook, 'record'>;
}

export interface LoadAdmin {
  readonly book: LoadBook;
  readonly rebalancer: Rebalancer;
}

/** Hot keys one GET /v1/hotkeys answers at most. */
const HOT_KEYS_ANSWER_MAX = 1000;

export function registerLoadAdmin(app: FastifyInstance, deps: LoadAdminDeps): LoadAdmin {
  const settings = deps.config.rebalance;
  const book = new LoadBook(deps.clock, {
    vnodeCount: deps.table().vnodeCount, halfLifeMs: settings.loadHalfLifeMs, reportersMax: settings.reportersMax, hotKeysMax: settings.hotKeysMax,
  });
  const storedBytes = async (table: Table): Promise<Float64Array> => storedBytesOf(table, await deps.sampler?.sample().catch(() => undefined));
  const rebalancer = new Rebalancer({
    clock: deps.clock, logger: deps.logger, table: deps.table, commit: deps.commit, book, storedBytes,
    ...(deps.handOff === undefined ? {} : { handOff: deps.handOff }),
    options: { auto: settings.auto, imbalanceTolerance: settings.imbalanceTolerancePercent / 100, moveBudgetBytesPerMin: settings.moveBudgetBytesPerMin, checkIntervalMs: settings.checkIntervalMs, autoRequestsPerSecMin: settings.autoRequestsPerSecMin },
  });
  app.addHook('onListen', (done) => { void rebalancer.start().then(() => { done(); }); });
  app.addHook('onClose', (_app, done) => { void rebalancer.stop().then(() => { done(); }); });
  const guarded = guardedRoute(deps.guard);
  const limits = () => ({ hotKeysMax: settings.hotKeysMax, keyBytesMax: deps.config.limits.keyBytesMax, vnodeCount: deps.table().vnodeCount });

  app.post('/v1/load/report', guarded, async (request, reply) => {
    const report = readLoadReport(request.body, limits());
    book.record(report);
    deps.proxies?.record(report);
    return reply.code(200).send(encodePeerDirectory(book.directory(report.reporter)));
  });
  app.get('/v1/load', guarded, () => {
    const table = deps.table();
    const rates = book.rates();
    const servers = serverLoads(table, vnodeLoadsOf(rates, table.replicaCount, new Float64Array(table.vnodeCount)));
    return loadView(table, rates, servers, maxOverMean(servers), { reporters: book.reporterCount, reportsAccepted: book.accepted, auto: settings.auto, imbalanceTolerance: settings.imbalanceTolerancePercent / 100 });
  });
  app.get('/v1/hotkeys', guarded, (request) => {
    const limit = integerParameter((request.query as Record<string, unknown>).limit, 'limit', 1, HOT_KEYS_ANSWER_MAX) ?? 20;
    const table = new RoutingTable(deps.table());
    const rates = book.rates();
    const totalOpsPerSec = rates.requests.reduce((sum, value) => sum + value, 0);
    const hotKeys = book.hotKeys(limit).map((hot) => {
      const key = Buffer.from(hot.key, 'latin1');
      const vnode = table.vnodeOf(key);
      return {
        ...describeKey(key), vnode, replicas: table.row(vnode).replicas,
        opsPerSec: hot.opsPerSec, errorPerSec: hot.errorPerSec, share: totalOpsPerSec > 0 ? hot.opsPerSec / totalOpsPerSec : 0, reporters: hot.reporters,
      };
    });
    return { epoch: table.epoch, totalOpsPerSec, hotKeys };
  });
  app.get('/v1/route/:key', guarded, (request) => routeOf(new RoutingTable(deps.table()), (request.params as { key: string }).key, deps.config.limits.keyBytesMax));
  app.post('/v1/rebalance', guarded, async (request) => {
    const dryRun = readRebalanceBody(request.body);
    const planned = await rebalancer.plan();
    if (dryRun) return planView(planned.table.epoch, planned.plan, { dryRun, applied: false, executor: rebalancer.hasExecutor });
    const applied = await rebalancer.apply(planned);
    return { ...planView(planned.table.epoch, planned.plan, { dryRun, applied: true, executor: rebalancer.hasExecutor }), committedEpoch: applied.committedEpoch ?? null };
  });
  return { book, rebalancer };
}

function routeOf(table: RoutingTable, keyText: string, keyBytesMax: number): unknown {
  const key = Buffer.from(keyText, 'utf8');
  if (key.length === 0 || key.length > keyBytesMax) {
    throw new RingcacheError('RC_ERR_KEY_TOO_LARGE', `key of ${key.length} bytes is outside 1..limits.keyBytesMax=${keyBytesMax}`, { bytes: key.length });
  }
  const vnode = table.vnodeOf(key);
  const row = table.row(vnode);
  const servers = row.replicas.map((id) => {
    const info = table.server(id);
    return { id, zone: info?.zone ?? null, host: info?.host ?? null, port: info?.port ?? null, state: info?.state ?? null };
  });
  return {
    ...describeKey(key), epoch: table.epoch, vnode, replicas: row.replicas, leader: row.replicas[0] ?? null,
    pending: row.pending ?? null, servers, fallbacks: table.fallbacks(vnode).slice(0, table.replicaCount),
  };
}

/** `{"dryRun": true|false}`, nothing else. */
function readRebalanceBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RingcacheError('RC_ERR_BAD_REQUEST', 'POST /v1/rebalance takes a JSON object {"dryRun": true|false} (send content-type: application/json)');
  }
  const record = body as Record<string, unknown>;
  for (const field of Object.keys(record)) {
    if (field !== 'dryRun') throw new RingcacheError('RC_ERR_BAD_REQUEST', `POST /v1/rebalance: unknown field '${field}' (only "dryRun")`, { field });
  }
  if (typeof record.dryRun !== 'boolean') throw new RingcacheError('RC_ERR_BAD_REQUEST', 'POST /v1/rebalance: "dryRun" must be true or false');
  return record.dryRun;
}

function integerParameter(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new RingcacheError('RC_ERR_BAD_REQUEST', `${name} must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`, { [name]: value });
  }
  return number;
}
