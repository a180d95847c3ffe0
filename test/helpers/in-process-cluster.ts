/**
 * A whole storage cluster in this process, for proxy tests and the in-process benchmark:
 * a NodeCore (the data handlers and nodeServices(), hinted handoff included) + MemoryEngine per
 * server on the SimNetwork, a table from placeTable, and a
 * Coordinator over it, all on the real clock (Date.now for versions and TTLs, real timers for
 * request timeouts and hedges).
 *
 * Latency is ~0: a message hop with no configured delay is delivered on the next turn of the event
 * loop (setImmediate) rather than through a ~1 ms setTimeout(0), so a quorum read costs two turns,
 * not 2 ms, and a benchmark measures the proxy instead of timer granularity.
 */
import { Registry } from 'prom-client';
import { placeTable } from '../../shard-master/placement.js';
import { loadConfig } from '../../src/config/index.js';
import type { RingcacheConfig } from '../../src/config/index.js';
import { NodeCore, nodeServices } from '../../src/node/index.js';
import { Coordinator, fixedTableView } from '../../src/replication/index.js';
import type { LoadSink, ReplicationOptions, SendObserver, TableView } from '../../src/replication/index.js';
import { RoutingTable } from '../../src/ring/index.js';
import type { ServerId, ServerInfo } from '../../src/ring/index.js';
import { RingcacheError, SystemClock, SystemRandom, asRingcacheError, silentLogger } from '../../src/runtime/index.js';
import type { Clock, Timer } from '../../src/runtime/index.js';
import { MemoryEngine } from '../../src/storage/index.js';
import { SimNetwork } from '../../src/transport/sim-network.js';
import type { Transport } from '../../src/transport/transport.js';
import { isDataKind } from '../../src/transport/index.js';
import type { Envelope, InternodeRequest, PeerRequest } from '../../src/transport/index.js';
import type { Versioned } from '../../src/version/index.js';
import type { ProxyDeps } from '../../src/proxy/index.js';

export interface InProcessClusterOptions {
  /** Storage servers. @default 5 */
  readonly servers?: number;
  /** Zones the servers are spread over. @default 3 */
  readonly zones?: number;
  /** V. @default 64 */
  readonly vnodeCount?: number;
  /** N. @default 3 */
  readonly replicaCount?: number;
  /** Coordinator options (r, w, timeouts); defaults keep failure tests fast. */
  readonly replication?: Partial<ReplicationOptions>;
  /** One-way hop latency in ms (0: the next turn of the event loop). @default 0 */
  readonly latencyMs?: number;
  /** `section.key=value` config overrides for the proxy (e.g. 'proxy.password=s3cret'). */
  readonly config?: readonly string[];
  /**
   * 'sim': the SimNetwork (latency, crashes, partitions). 'direct': a node's handler is called in
   * the same turn and its reply delivered as a resolved promise, so a benchmark measures the proxy
   * and the coordinator, not the event loop's turns. @default 'sim'
   */
  readonly transport?: 'sim' | 'direct';
  /** Told about every request the cluster's coordinator sends (the proxy's BackendMetrics). */
  readonly observer?: SendObserver;
  /** Counts the coordinator's load for the load reports (src/load). */
  readonly load?: LoadSink;
}

function isDataRequest(request: Envelope<PeerRequest>): request is Envelope<InternodeRequest> {
  return isDataKind(request.body.kind);
}

/** The system clock, with zero-delay timers on setImmediate instead of setTimeout's ~1 ms floor. */
class NextTurnClock implements Clock {
  private readonly system = new SystemClock();

  nowMs(): number {
    return this.system.nowMs();
  }

  monotonicMs(): number {
    return this.system.monotonicMs();
  }

  schedule(delayMs: number, callback: () => void): Timer {
    if (delayMs > 0) return this.system.schedule(delayMs, callback);
    let cancelled = false;
    setImmediate(() => { if (!cancelled) callback(); });
    return { cancel: () => { cancelled = true; } };
  }

  sleep(delayMs: number): Promise<void> {
    return this.system.sleep(delayMs);
  }
}

interface ClusterNode {
  engine: MemoryEngine;
  core: NodeCore;
  up: boolean;
}

export class InProcessCluster {
  readonly clock: Clock = new SystemClock();
  readonly network: SimNetwork;
  readonly table: RoutingTable;
  readonly tableView: TableView;
  readonly coordinator: Coordinator;
  readonly config: RingcacheConfig;
  readonly serverIds: readonly ServerId[];
  private readonly random = new SystemRandom();
  private readonly nodes = new Map<ServerId, ClusterNode>();

  private readonly transportKind: 'sim' | 'direct';

  constructor(options: InProcessClusterOptions = {}) {
    this.transportKind = options.transport ?? 'sim';
    const serverCount = options.servers ?? 5;
    const zones = options.zones ?? 3;
    const latencyMs = options.latencyMs ?? 0;
    this.network = new SimNetwork(new NextTurnClock(), this.random, { latencyMsMin: latencyMs, latencyMsMean: 0, latencyMsMax: latencyMs });
    const servers: ServerInfo[] = Array.from({ length: serverCount }, (_, i) => ({
      id: `n${String(i + 1)}`, zone: String.fromCharCode(97 + (i % zones)), capacity: 1, host: '127.0.0.1', port: 0, httpPort: 0, state: 'active',
    }));
    const replicaCount = options.replicaCount ?? 3;
    this.table = new RoutingTable(placeTable({ servers, vnodeCount: options.vnodeCount ?? 64, replicaCount, epoch: 1 }));
    this.tableView = fixedTableView(this.table);
    this.serverIds = servers.map((server) => server.id);
    const r = options.replication?.r ?? Math.min(2, replicaCount);
    const w = options.replication?.w ?? Math.min(2, replicaCount);
    this.config = loadConfig({ overrides: [
      `cluster.replicaCount=${String(replicaCount)}`, `cluster.vnodeCount=${String(this.table.vnodeCount)}`,
      `replication.r=${String(r)}`, `replication.w=${String(w)}`, ...(options.config ?? []),
    ] });
    for (const id of this.serverIds) this.boot(id);
    this.coordinator = this.newCoordinator('proxy-test', options.replication, options.observer, options.load);
  }

  newCoordinator(name: string, replication: Partial<ReplicationOptions> = {}, observer?: SendObserver, load?: LoadSink): Coordinator {
    const replicaCount = this.table.replicaCount;
    return new Coordinator({
      name,
      transport: this.transportKind === 'sim' ? this.network.transport(name) : this.directTransport(),
      clock: this.clock,
      random: this.random,
      table: this.tableView,
      options: {
        r: Math.min(2, replicaCount),
        w: Math.min(2, replicaCount),
        requestTimeoutMs: 500,
        speculativeRetryMs: 50,
        failureBackoffMs: 200,
        keyBytesMax: this.config.limits.keyBytesMax,
        valueBytesMax: this.config.limits.valueBytesMax,
        ...replication,
      },
      ...(observer === undefined ? {} : { observer }),
      ...(load === undefined ? {} : { load }),
    });
  }

  /** Deps for a proxy front-end over this cluster, with a fresh registry. */
  proxyDeps(overrides: Partial<ProxyDeps> = {}): ProxyDeps {
    return {
      coordinator: this.coordinator,
      table: this.tableView,
      clock: this.clock,
      config: this.config,
      registry: new Registry(),
      logger: silentLogger,
      ...overrides,
    };
  }

  /** A crash: the node stops answering and loses its memory. */
  crash(id: ServerId): void {
    const node = this.nodes.get(id);
    if (node?.up !== true) return;
    node.up = false;
    this.network.unlisten(id);
    void node.core.stop();
  }

  /** Stops every node's services (their timers). */
  async stop(): Promise<void> {
    for (const node of this.nodes.values()) if (node.up) await node.core.stop();
  }

  /** A node's core, for tests that look at its services (hints). */
  coreOf(id: ServerId): NodeCore | undefined {
    return this.nodes.get(id)?.core;
  }

  /** Back empty, under a new actor (a memory node that restarts has lost its dots). */
  restart(id: ServerId): void {
    if (this.nodes.get(id)?.up !== true) this.boot(id);
  }

  isUp(id: ServerId): boolean {
    return this.nodes.get(id)?.up === true;
  }

  /** The row of a key: its N replicas in preference order. */
  rowOf(key: Uint8Array): readonly ServerId[] {
    return this.table.row(this.table.vnodeOf(key)).replicas;
  }

  /** Where a key's hinted writes go when its replicas are down (the ring walk past its row). */
  fallbacksOf(key: Uint8Array): readonly ServerId[] {
    return this.table.fallbacks(this.table.vnodeOf(key));
  }

  /** What each replica of the key's row stores right now (undefined: absent). */
  replicaStates(key: Uint8Array): Map<ServerId, Versioned | undefined> {
    const states = new Map<ServerId, Versioned | undefined>();
    for (const id of this.rowOf(key)) states.set(id, this.nodes.get(id)?.engine.get(key));
    return states;
  }

  /** Every key stored on any node (latin1 of the key bytes), for "nothing changed" checks. */
  storedState(): Map<string, string> {
    const state = new Map<string, string>();
    for (const [id, node] of this.nodes) {
      if (!node.up) continue;
      for (const vnode of node.engine.vnodes()) {
        for (const [key, versioned] of node.engine.entries(vnode)) {
          state.set(`${id}/${Buffer.from(key).toString('latin1')}`, JSON.stringify(versioned, (_k, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value)));
        }
      }
    }
    return state;
  }

  /** Calls the node's handler at once; a crashed node refuses, like the SimNetwork. */
  private directTransport(): Transport {
    return {
      send: (to, request) => {
        const node = this.nodes.get(to);
        if (node?.up !== true) return Promise.reject(new RingcacheError('RC_ERR_UNREACHABLE', `connection to ${to} refused`, { server: to }));
        try {
          // The data kinds straight to the node's data handlers, as before the node had services: in
          // one process, NodeCore's extra dispatch only changes how V8 inlines the benchmark's path.
          return Promise.resolve(isDataRequest(request) ? node.core.data.handle(request) : node.core.handle(request));
        } catch (error) {
          return Promise.reject(asRingcacheError(error, 'in-process node handler'));
        }
      },
      close: () => Promise.resolve(),
    };
  }

  private boot(id: ServerId): void {
    const engine = new MemoryEngine({ bytesMax: 512 * 1024 * 1024, evictionPolicy: 'reject' });
    const table = this.table;
    const core = new NodeCore({
      serverId: id,
      clock: this.clock,
      random: this.random,
      transport: this.network.transport(id),
      engine,
      table: { current: () => table, epoch: () => table.epoch, observeEpoch: () => undefined },
      logger: silentLogger,
      config: this.config,
      services: nodeServices(),
      // Nothing to catch up on: these tests are not about recovery.
      startsInSync: true,
    });
    this.nodes.set(id, { engine, core, up: true });
    this.network.listen(id, core);
    void core.start();
  }
}
