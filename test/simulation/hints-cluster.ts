/**
 * A small simulated cluster for hinted handoff: real NodeCores (nodeServices(), or a variant
 * with a planted bug in the replayer) and Coordinators over the SimNetwork and one virtual clock.
 * Unlike SimCluster it lets a test say what gossip would: mark a server down or up on every
 * node's peer board and in the coordinators' view, and restart a node recovering or in sync.
 */
import { loadConfig } from '../../src/config/index.js';
import type { RingcacheConfig } from '../../src/config/index.js';
import { HintedHandoff } from '../../src/hinted-handoff/index.js';
import type { HintedHandoffOptions } from '../../src/hinted-handoff/index.js';
import { NodeCore, Sweeper } from '../../src/node/index.js';
import type { NodeServiceFactory } from '../../src/node/index.js';
import { Coordinator, fixedTableView } from '../../src/replication/index.js';
import type { ReplicationOptions } from '../../src/replication/index.js';
import { RoutingTable } from '../../src/ring/index.js';
import type { Liveness, ServerId, ServerInfo } from '../../src/ring/index.js';
import { SeededRandom, VirtualClock, silentLogger } from '../../src/runtime/index.js';
import { MemoryEngine } from '../../src/storage/index.js';
import { SimNetwork } from '../../src/transport/index.js';
import type { Versioned } from '../../src/version/index.js';
import { placeTable } from '../../shard-master/placement.js';
import { drainMicrotasks } from './drive.js';

export interface HintsClusterOptions {
  readonly seed: number;
  readonly servers: number;
  readonly zones: number;
  readonly vnodeCount: number;
  readonly replicaCount: number;
  readonly requestTimeoutMs: number;
  /** `section.key=value` overrides of the nodes' config (hints.*). */
  readonly config: readonly string[];
  /** The replayer every node runs (HintedHandoffOptions.replayer): a planted bug, or null for none. */
  readonly replayer?: HintedHandoffOptions['replayer'];
}

export const HINTS_CLUSTER_DEFAULTS: HintsClusterOptions = Object.freeze({
  seed: 1, servers: 6, zones: 3, vnodeCount: 32, replicaCount: 3, requestTimeoutMs: 200, config: [],
});

interface HintsNode {
  engine: MemoryEngine;
  core: NodeCore;
  up: boolean;
}

export class HintsCluster {
  readonly clock = new VirtualClock();
  readonly random: SeededRandom;
  readonly network: SimNetwork;
  readonly table: RoutingTable;
  readonly config: RingcacheConfig;
  readonly options: HintsClusterOptions;
  /** Servers gossip would call down: every node's board and every coordinator's view say so. */
  private readonly down = new Set<ServerId>();
  private readonly nodes = new Map<ServerId, HintsNode>();
  private readonly gossip: Liveness = { isUp: (server) => !this.down.has(server) };

  constructor(options: Partial<HintsClusterOptions> = {}) {
    this.options = { ...HINTS_CLUSTER_DEFAULTS, ...options };
    const { seed, servers: count, zones, vnodeCount, replicaCount, requestTimeoutMs } = this.options;
    this.random = new SeededRandom(seed);
    this.network = new SimNetwork(this.clock, this.random);
    const servers: ServerInfo[] = Array.from({ length: count }, (_, i) => ({
      id: `n${String(i + 1)}`, zone: String.fromCharCode(97 + (i % zones)), capacity: 1, host: '127.0.0.1', port: 0, httpPort: 0, state: 'active',
    }));
    this.table = new RoutingTable(placeTable({ servers, vnodeCount, replicaCount, epoch: 1 }));
    this.config = loadConfig({
      file: { cluster: { vnodeCount, replicaCount }, replication: { requestTimeoutMs }, storage: { bytesMax: 64 * 1024 * 1024, evictionPolicy: 'reject' } },
      overrides: this.options.config,
    });
    for (const server of servers) this.boot(server.id, true);
  }

  /** A cluster whose nodes have started their services (NodeCore.start runs them a microtask later). */
  static async started(options: Partial<HintsClusterOptions> = {}): Promise<HintsCluster> {
    const cluster = new HintsCluster(options);
    await drainMicrotasks();
    return cluster;
  }

  get serverIds(): ServerId[] {
    return [...this.nodes.keys()];
  }

  coordinator(name: string, options: Partial<ReplicationOptions> = {}): Coordinator {
    return new Coordinator({
      name, transport: this.network.transport(name), clock: this.clock, random: this.random, table: fixedTableView(this.table),
      gossip: this.gossip,
      options: { requestTimeoutMs: this.options.requestTimeoutMs, speculativeRetryMs: 20, failureBackoffMs: 100, ...options },
    });
  }

  /** A crash loses the node's memory, its hints included. */
  crash(server: ServerId): void {
    const node = this.nodes.get(server);
    if (node?.up !== true) return;
    node.up = false;
    this.network.unlisten(server);
    void node.core.stop();
  }

  /** Back empty under a new actor: recovering (anti-entropy would end that) unless `inSync`. */
  restart(server: ServerId, inSync = false): void {
    if (this.nodes.get(server)?.up !== true) this.boot(server, inSync);
  }

  /** What gossip does on every node when it concludes `server` is down. */
  markDown(server: ServerId): void {
    this.down.add(server);
    for (const [id, node] of this.nodes) if (node.up && id !== server) node.core.context.peers.set(server, 'down', false);
  }

  markUp(server: ServerId, recovering = false): void {
    this.down.delete(server);
    for (const [id, node] of this.nodes) if (node.up && id !== server) node.core.context.peers.set(server, 'up', recovering);
  }

  isUp(server: ServerId): boolean {
    return this.nodes.get(server)?.up === true;
  }

  core(server: ServerId): NodeCore {
    const node = this.nodes.get(server);
    if (node === undefined) throw new Error(`no server ${server}`);
    return node.core;
  }

  hints(server: ServerId): HintedHandoff {
    const service = this.core(server).service('hinted-handoff');
    if (!(service instanceof HintedHandoff)) throw new Error(`${server} runs no hinted handoff`);
    return service;
  }

  /** Hints held on every live node, together. */
  hintsHeld(): number {
    let held = 0;
    for (const [id, node] of this.nodes) if (node.up) held += this.hints(id).store.keys;
    return held;
  }

  stateAt(server: ServerId, key: Uint8Array): Versioned | undefined {
    return this.nodes.get(server)?.engine.get(key);
  }

  rowOf(key: Uint8Array): readonly ServerId[] {
    return this.table.row(this.table.vnodeOf(key)).replicas;
  }

  fallbacksOf(key: Uint8Array): readonly ServerId[] {
    return this.table.fallbacks(this.table.vnodeOf(key));
  }

  /** The first key `prefix<i>` whose row holds `server` at `position` (0 leads the row). */
  keyWith(server: ServerId, position: number, prefix = 'key:'): Uint8Array {
    for (let i = 0; i < 100_000; i++) {
      const key = new TextEncoder().encode(`${prefix}${String(i)}`);
      if (this.rowOf(key)[position] === server) return key;
    }
    throw new Error(`no key with ${server} at position ${String(position)}`);
  }

  private services(): readonly NodeServiceFactory[] {
    const replayer = this.options.replayer;
    return [
      (context) => new Sweeper(context),
      (context) => new HintedHandoff(context, replayer === undefined ? {} : { replayer }),
    ];
  }

  private boot(id: ServerId, inSync: boolean): void {
    const engine = new MemoryEngine({ bytesMax: 64 * 1024 * 1024, evictionPolicy: 'reject' });
    const table = this.table;
    const core = new NodeCore({
      serverId: id, engine, clock: this.clock, random: this.random, transport: this.network.transport(id),
      table: { current: () => table, epoch: () => table.epoch, observeEpoch: () => undefined },
      logger: silentLogger, config: this.config, services: this.services(), startsInSync: inSync,
    });
    this.nodes.set(id, { engine, core, up: true });
    // A node that boots sees the board as gossip would have told it.
    for (const server of this.down) if (server !== id) core.context.peers.set(server, 'down', false);
    this.network.listen(id, core);
    void core.start();
  }
}
