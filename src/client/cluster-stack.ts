import type { RingcacheConfig } from '../config/index.js';
import type { Clock, Logger, Random } from '../runtime/index.js';
import { VIEW_MESSAGES, ViewPuller, type ViewPullerOptions } from '../membership/index.js';
import { Coordinator, type ReplicationOptions, type SendObserver } from '../replication/index.js';
import { DATA_MESSAGES, MessageCatalogue, TcpTransport, internodeLimitsOf, type TcpTransportOptions } from '../transport/index.js';
import { DATATYPE_MESSAGES } from '../datatypes/index.js';
import { KEYSPACE_MESSAGES } from '../keyspace/index.js';
import { HINT_MESSAGES } from '../hinted-handoff/index.js';
import { InvalidationSender, LoadCounter, LoadReporter } from '../load/index.js';
import type { InvalidationSenderOptions } from '../load/index.js';
import { TableFollower, type TableFollowerOptions } from './table-follower.js';
import { clusterFetch, clusterTls, type ClusterTls } from '../tls/index.js';

/**
 * What a coordinator needs to reach a real cluster: the table followed from the shard-master, a
 * TCP transport that resolves servers through that table, and the Coordinator over both. Shared
 * by the proxy process and the client library, so both route the same way (Dynamo's
 * client-driven coordination is the proxy's code without the hop).
 */
export interface ClusterStackDeps {
  readonly masterUrl: string;
  /** The cluster token; empty or absent: none. */
  readonly token?: string;
  /** Cluster TLS (src/tls): TLS to the nodes and https to the master, both verified against the cluster CA. Absent: plain TCP. */
  readonly tls?: ClusterTls;
  /** Names this coordinator in request ids. */
  readonly name: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly replication?: Partial<ReplicationOptions>;
  /** Last table seen, so a restart while the master is down still routes. */
  readonly cacheFile?: string;
  readonly follower?: Partial<TableFollowerOptions>;
  readonly transport?: Partial<TcpTransportOptions>;
  /** Hears every internode request (the proxy's per-backend metrics). */
  readonly observer?: SendObserver;
  /** How the gossip view is pulled from the nodes (membership.viewPullIntervalMs, viewStaleMs). */
  readonly membership?: Partial<ViewPullerOptions>;
  /**
   * Load reports to the shard-master (rebalance.loadReportIntervalMs; 0 or absent: none): per
   * vnode counts and the hottest keys, what the rebalancer plans from.
   */
  readonly loadReport?: { readonly intervalMs: number; readonly hotKeysMax: number };
  /**
   * Near-cache invalidations to the proxies (proxy.invalidation*), learnt from the master's answer
   * to each load report; absent, or load reports off: writes here are seen at the proxies' TTL.
   */
  readonly invalidation?: InvalidationSenderOptions;
  /** limits.keyBytesMax: bounds the keys the master's peer directory may name. */
  readonly keyBytesMax?: number;
}

export interface ClusterStack {
  readonly follower: TableFollower;
  readonly transport: TcpTransport;
  readonly coordinator: Coordinator;
  /** The gossip view pulled from the nodes: the coordinator's liveness, with its own failures on top. */
  readonly view: ViewPuller;
  /** Posts the load counts; undefined when load reports are off. */
  readonly reporter: LoadReporter | undefined;
  /** The coordinator's load counter (hot keys for the proxy's near cache); undefined when reports are off. */
  readonly load: LoadCounter | undefined;
  /** Tells the other proxies of writes of keys they may cache; undefined when reports or invalidations are off. */
  readonly invalidations: InvalidationSender | undefined;
  /**
   * Names this process's own invalidation URL in its load reports (a proxy, once its HTTP port
   * listens), so the others send it theirs.
   */
  advertise(url: string): void;
  /** Idempotent: stops following and closes every internode connection. */
  stop(): Promise<void>;
}

/** Follows the table (resolves once one is known), then builds the transport and coordinator. */
export async function connectCluster(deps: ClusterStackDeps): Promise<ClusterStack> {
  const { clock, logger, random } = deps;
  const token = deps.token === undefined || deps.token === '' ? {} : { token: deps.token };
  const tls = deps.tls === undefined ? {} : { tls: deps.tls };
  // One pool to the master for the follower and the reporter.
  const masterFetch = clusterFetch(deps.tls);
  const follower = new TableFollower({
    masterUrl: deps.masterUrl, clock, logger, random, ...token, fetch: masterFetch,
    ...(deps.cacheFile === undefined ? {} : { cacheFile: deps.cacheFile }),
    ...(deps.follower === undefined ? {} : { options: deps.follower }),
  });
  await follower.start();
  const transport = new TcpTransport({
    resolve: (server) => {
      const info = follower.current().server(server);
      return info === undefined ? undefined : { host: info.host, port: info.port };
    },
    clock, logger, ...token, ...tls,
    // The data kinds, hints and sloppy reads, the typed operations (INCRBY) and the gossip view pull this client sends.
    catalogue: MessageCatalogue.of(DATA_MESSAGES, HINT_MESSAGES, DATATYPE_MESSAGES, VIEW_MESSAGES, KEYSPACE_MESSAGES),
    ...(deps.transport === undefined ? {} : { options: deps.transport }),
  });
  const view = new ViewPuller({
    transport, clock, logger,
    servers: () => follower.current().table.servers.map((server) => server.id),
    epoch: () => follower.current().epoch,
    observeEpoch: (epoch) => { follower.observeEpoch(epoch); },
    ...(deps.membership === undefined ? {} : { options: deps.membership }),
  });
  view.start();
  const reportEveryMs = deps.loadReport?.intervalMs ?? 0;
  const counter = reportEveryMs > 0 ? new LoadCounter(follower.current().vnodeCount, { hotKeysMax: deps.loadReport?.hotKeysMax ?? 64 }) : undefined;
  const coordinator = new Coordinator({
    name: deps.name, transport, clock, random, table: follower, gossip: view,
    ...(deps.replication === undefined ? {} : { options: deps.replication }),
    ...(deps.observer === undefined ? {} : { observer: deps.observer }),
    ...(counter === undefined ? {} : { load: counter }),
  });
  const invalidations = counter === undefined || deps.invalidation === undefined ? undefined
    // The peers' HTTP ports are https with cluster TLS (proxy.tlsCertFile): trust the cluster CA, as the reporter does.
    : new InvalidationSender({ clock, logger, ...token, fetch: clusterFetch(deps.tls), options: deps.invalidation });
  if (invalidations !== undefined) counter?.watchWrites((key) => { invalidations.onWrite(key); });
  let advertised: string | undefined;
  const reporter = counter === undefined ? undefined : new LoadReporter({
    masterUrl: deps.masterUrl, ...token, fetch: masterFetch, name: deps.name, clock, random, logger, counter, epoch: () => follower.current().epoch, intervalMs: reportEveryMs,
    invalidationUrl: () => advertised,
    ...(invalidations === undefined ? {} : { onDirectory: (directory) => { invalidations.update(directory); } }),
    ...(deps.keyBytesMax === undefined ? {} : { keyBytesMax: deps.keyBytesMax }),
  });
  await reporter?.start();
  let stopping: Promise<void> | undefined;
  return {
    follower, transport, coordinator, view, reporter, load: counter, invalidations,
    advertise: (url) => { advertised = url; },
    stop: () => {
      view.stop();
      stopping ??= Promise.all([follower.stop(), transport.close(), reporter?.stop(), invalidations?.stop()]).then(() => undefined);
      return stopping;
    },
  };
}

/** The coordinator and transport settings a process takes from the configuration. */
export function clusterSettingsOf(config: RingcacheConfig): Pick<ClusterStackDeps, 'replication' | 'transport' | 'membership' | 'loadReport' | 'tls' | 'invalidation' | 'keyBytesMax'> {
  const { r, w, pw, requestTimeoutMs, speculativeRetryMs, failureBackoffMs, readRepair, readRepairDelayMs } = config.replication;
  const tls = clusterTls(config);
  return {
    ...(tls === undefined ? {} : { tls }),
    replication: {
      r, w, pw, requestTimeoutMs, speculativeRetryMs, failureBackoffMs, readRepair, readRepairDelayMs,
      keyBytesMax: config.limits.keyBytesMax,
      valueBytesMax: config.limits.valueBytesMax,
      siblingsMax: config.limits.siblingsMax,
    },
    transport: { limits: internodeLimitsOf(config) },
    membership: { viewPullIntervalMs: config.membership.viewPullIntervalMs, viewStaleMs: config.membership.viewStaleMs },
    loadReport: { intervalMs: config.rebalance.loadReportIntervalMs, hotKeysMax: config.rebalance.hotKeysMax },
    invalidation: invalidationOptionsOf(config),
    keyBytesMax: config.limits.keyBytesMax,
  };
}

/** The invalidation sender's settings from proxy.invalidation* (a post may take a write's timeout). */
export function invalidationOptionsOf(config: Pick<RingcacheConfig, 'proxy' | 'replication'>): InvalidationSenderOptions {
  return {
    batchKeysMax: config.proxy.invalidationBatchKeysMax,
    flushDelayMs: config.proxy.invalidationFlushMs,
    requestTimeoutMs: config.replication.requestTimeoutMs,
  };
}
