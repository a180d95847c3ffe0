import type { RingcacheConfig } from '../config/index.js';
import type { Clock, Logger, Random } from '../runtime/index.js';
import { Coordinator, coordinatorCatalogue, type ReplicationOptions } from '../replication/index.js';
import { TcpTransport, internodeLimitsOf, type TcpTransportOptions } from '../transport/index.js';
import { TableFollower, type TableFollowerOptions } from './table-follower.js';

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
}

export interface ClusterStack {
  readonly follower: TableFollower;
  readonly transport: TcpTransport;
  readonly coordinator: Coordinator;
  /** Idempotent: stops following and closes every internode connection. */
  stop(): Promise<void>;
}

/** Follows the table (resolves once one is known), then builds the transport and coordinator. */
export async function connectCluster(deps: ClusterStackDeps): Promise<ClusterStack> {
  const { clock, logger, random } = deps;
  const token = deps.token === undefined || deps.token === '' ? {} : { token: deps.token };
  const follower = new TableFollower({
    masterUrl: deps.masterUrl, clock, logger, random, ...token,
    ...(deps.cacheFile === undefined ? {} : { cacheFile: deps.cacheFile }),
    ...(deps.follower === undefined ? {} : { options: deps.follower }),
  });
  await follower.start();
  const transport = new TcpTransport({
    resolve: (server) => {
      const info = follower.current().server(server);
      return info === undefined ? undefined : { host: info.host, port: info.port };
    },
    clock, logger, ...token,
    catalogue: coordinatorCatalogue(),
    ...(deps.transport === undefined ? {} : { options: deps.transport }),
  });
  const coordinator = new Coordinator({
    name: deps.name, transport, clock, random, table: follower,
    ...(deps.replication === undefined ? {} : { options: deps.replication }),
  });
  let stopping: Promise<void> | undefined;
  return {
    follower, transport, coordinator,
    stop: () => {
      stopping ??= Promise.all([follower.stop(), transport.close()]).then(() => undefined);
      return stopping;
    },
  };
}

/** The coordinator and transport settings a process takes from the configuration. */
export function clusterSettingsOf(config: RingcacheConfig): Pick<ClusterStackDeps, 'replication' | 'transport'> {
  const { r, w, pw, requestTimeoutMs, speculativeRetryMs, failureBackoffMs, readRepair, readRepairDelayMs } = config.replication;
  return {
    replication: {
      r, w, pw, requestTimeoutMs, speculativeRetryMs, failureBackoffMs, readRepair, readRepairDelayMs,
      keyBytesMax: config.limits.keyBytesMax,
      valueBytesMax: config.limits.valueBytesMax,
      siblingsMax: config.limits.siblingsMax,
    },
    transport: { limits: internodeLimitsOf(config) },
  };
}
