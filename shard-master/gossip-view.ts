/**
 * The gossip view as the shard-master sees it: pulled from any node (RC.VIEW) like a proxy does,
 * so `GET /v1/cluster` and `ringcache status` show each server up / suspect / down / recovering
 * as the nodes' failure detector decided, not as one probe from the master guessed. The master
 * owns membership (the table); gossip only says who is up.
 */
import type { RingcacheConfig } from '../src/config/index.js';
import { VIEW_MESSAGES, ViewPuller } from '../src/membership/index.js';
import type { Clock, Logger, Startable } from '../src/runtime/index.js';
import type { Table } from '../src/ring/index.js';
import { MessageCatalogue, TcpTransport, internodeLimitsOf } from '../src/transport/index.js';
import { clusterTls } from '../src/tls/index.js';
import type { GossipLiveness } from './cluster-summary.js';

export interface MasterGossipDeps {
  readonly config: RingcacheConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The master's current table: whom to pull from, and where they listen. */
  readonly table: () => Table;
}

export class MasterGossipView implements Startable {
  private readonly transport: TcpTransport;
  private readonly puller: ViewPuller;

  constructor(private readonly deps: MasterGossipDeps) {
    const { config, clock, logger, table } = deps;
    const tls = clusterTls(config);
    this.transport = new TcpTransport({
      resolve: (server) => {
        const info = table().servers.find((candidate) => candidate.id === server);
        return info === undefined ? undefined : { host: info.host, port: info.port };
      },
      clock, logger, token: config.cluster.token, ...(tls === undefined ? {} : { tls }),
      catalogue: new MessageCatalogue(VIEW_MESSAGES),
      options: { limits: internodeLimitsOf(config) },
    });
    this.puller = new ViewPuller({
      transport: this.transport, clock, logger,
      servers: () => table().servers.map((server) => server.id),
      epoch: () => table().epoch,
      options: { viewPullIntervalMs: config.membership.viewPullIntervalMs, viewStaleMs: config.membership.viewStaleMs },
    });
  }

  start(): void {
    this.puller.start();
  }

  async stop(): Promise<void> {
    this.puller.stop();
    await this.transport.close();
  }

  /** The latest fresh view, for the cluster summary; undefined when no node answered lately. */
  liveness(): GossipLiveness | undefined {
    const view = this.puller.current();
    if (view === undefined) return undefined;
    const puller = this.puller;
    return { from: view.from, ageMs: Math.max(0, this.deps.clock.nowMs() - view.receivedAtMs), of: (server) => puller.liveness(server) };
  }
}
