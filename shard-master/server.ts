/**
 * The shard-master as a running service: ShardMaster + its HTTP API on master.host:master.port.
 * Free of argv and environment so the CLI (`ringcache master`, `ringcache start`) and the
 * integration tests compose it the same way; main.ts only loads the config and calls this.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import type { RingcacheConfig } from '../src/config/index.js';
import { RingcacheError, assert } from '../src/runtime/index.js';
import type { Clock, Logger } from '../src/runtime/index.js';
import { MasterGossipView } from './gossip-view.js';
import { buildMasterHttp } from './http.js';
import { ShardMaster } from './master.js';
import type { ShardMasterOptions } from './master.js';
import { httpJsonFetcher } from './dashboard/index.js';
import { MoveExecutor } from './moves/move-executor.js';
import { registerMoveMetrics } from './moves/move-metrics.js';
import { httpMoveProbe } from './moves/http-probe.js';
import { clusterFetch, clusterScheme, clusterTls } from '../src/tls/index.js';

/** How long stop() lets requests in flight finish before closing their connections. */
const STOP_GRACE_MS = 1_000;

export interface MasterProcessDeps {
  readonly config: RingcacheConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The process's metrics registry; a fresh one when omitted. */
  readonly registry?: Registry;
  readonly options?: Partial<ShardMasterOptions>;
}

export interface RunningMaster {
  readonly master: ShardMaster;
  readonly app: FastifyInstance;
  /** Where the API is reachable, e.g. http://127.0.0.1:7000 (the bound port when master.port is 0). */
  readonly url: string;
  /** Idempotent: answers parked long polls, closes the HTTP server, stops the master. */
  stop(): Promise<void>;
}

export async function startMaster(deps: MasterProcessDeps): Promise<RunningMaster> {
  const { config, logger } = deps;
  const registry = deps.registry ?? new Registry();
  const master = new ShardMaster({ config, clock: deps.clock, logger, registry, ...(deps.options === undefined ? {} : { options: deps.options }) });
  await master.start();
  const gossip = new MasterGossipView({ config, clock: deps.clock, logger, table: () => master.table() });
  const moves = moveExecutorOf(master, config, deps.clock, logger);
  registerMoveMetrics(registry, () => moves.report());
  const tls = clusterTls(config);
  const app = buildMasterHttp(master, { config, logger, registry, clock: deps.clock, gossip: () => gossip.liveness(), moves, ...(tls === undefined ? {} : { tls }) });
  const { host, port } = config.master;
  try {
    await app.listen({ host, port });
  } catch (error) {
    master.stop();
    await app.close();
    throw new RingcacheError(
      'RC_ERR_CONFIG',
      `the shard-master cannot listen on ${host}:${port}: ${(error as Error).message}; see master.host and master.port`,
      { host, port },
    );
  }
  gossip.start();
  moves.start();
  const url = urlOf(app.server.address(), clusterScheme(config));
  logger.info({ url, epoch: master.table().epoch, stateFile: config.master.stateFile }, 'shard-master listening');
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // close() answers parked long polls first (http.ts, preClose), then waits for requests in
      // flight. Node leaves open the sockets that never sent a request (clients open them ahead,
      // e.g. undici after an aborted fetch) until the client drops them, which can take seconds:
      // after a grace period, cut whatever is left.
      const cut = deps.clock.schedule(STOP_GRACE_MS, () => { app.server.closeAllConnections(); });
      await app.close();
      cut.cancel();
      moves.stop();
      await gossip.stop();
      master.stop();
      logger.info({ url }, 'shard-master stopped');
    })();
    return stopping;
  };
  return { master, app, url, stop };
}

/** A wildcard bind is reached through loopback; IPv6 literals need brackets in a URL. */
function urlOf(address: AddressInfo | string | null, scheme: 'http' | 'https'): string {
  assert(address !== null && typeof address === 'object', 'shard-master: listening on a TCP address');
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/** The executor over the master's persisted table and queue, asking targets over HTTP. */
export function moveExecutorOf(master: ShardMaster, config: RingcacheConfig, clock: Clock, logger: Logger): MoveExecutor {
  return new MoveExecutor({
    store: {
      table: () => master.table(),
      queued: () => master.queuedMoves(),
      commit: async (next, queued) => { await master.commitPlan(next, undefined, queued); },
    },
    probe: httpMoveProbe(httpJsonFetcher(clock, clusterFetch(clusterTls(config))), config.cluster.token, clusterScheme(config)),
    clock, logger,
    options: { concurrencyMax: config.master.moveConcurrencyMax, budgetBytesPerMin: config.master.moveBudgetBytesPerMin, checkIntervalMs: config.master.moveCheckIntervalMs },
  });
}
