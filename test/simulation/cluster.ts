import { SeededRandom, VirtualClock, silentLogger, type Random } from '../../src/runtime/index.js';
import { RoutingTable, type ServerId, type ServerInfo } from '../../src/ring/index.js';
import { placeTable } from '../../shard-master/placement.js';
import { MemoryEngine } from '../../src/storage/index.js';
import { NodeCore, newActor, nodeServices } from '../../src/node/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { RingcacheConfig } from '../../src/config/index.js';
import { SimNetwork } from '../../src/transport/sim-network.js';
import type { Envelope, PeerReply, PeerRequest } from '../../src/transport/index.js';
import type { InternodeHandler } from '../../src/transport/transport.js';
import { Coordinator } from '../../src/replication/index.js';
import type { VnodeTransfers } from '../../src/node/index.js';
import { SimMaster } from './sim-master.js';
import type { Versioned } from '../../src/version/types.js';
import type { SimulationOptions } from './options.js';
import { History, type Disturbance } from './history.js';
import { detectionWindowMs } from './false-downs.js';

const decoder = new TextDecoder();

interface SimNode {
  readonly id: ServerId;
  engine: MemoryEngine;
  core: NodeCore;
  up: boolean;
}

/**
 * A whole cluster in one process: real NodeCore (with the services of nodeServices(), as in a
 * process) and Coordinator code over memory engines and the simulated network, all on one virtual
 * clock and one seeded random source.
 */
export class SimCluster {
  readonly clock = new VirtualClock();
  readonly random: Random;
  readonly network: SimNetwork;
  /** The table's owner: moves, adds and drains change it; nodes and coordinators follow it with a lag. */
  readonly master: SimMaster;
  readonly history = new History();
  private readonly nodes = new Map<ServerId, SimNode>();
  private readonly actors = new Map<ServerId, string>();
  private readonly coordinators: Coordinator[] = [];
  private config: RingcacheConfig;

  constructor(seed: number, readonly options: SimulationOptions) {
    this.random = new SeededRandom(seed);
    this.network = new SimNetwork(this.clock, this.random);
    const servers: ServerInfo[] = Array.from({ length: options.servers }, (_, i) => ({
      id: `n${String(i + 1)}`,
      zone: String.fromCharCode(97 + (i % options.zones)),
      capacity: 1,
      host: '127.0.0.1',
      port: 0,
      httpPort: 0,
      state: 'active',
    }));
    const table = placeTable({ servers, vnodeCount: options.vnodeCount, replicaCount: options.replicaCount, epoch: 1 });
    this.master = new SimMaster(this.clock, this.random, table, {
      progress: (target, vnode) => {
        const node = this.nodes.get(target.id);
        if (node?.up !== true) return Promise.reject(new Error(`${target.id} is down`));
        const progress = (node.core.service('transfers') as VnodeTransfers).progress(vnode);
        // The planted bug: "synced" as soon as the node is the target, whatever it holds.
        return Promise.resolve(options.bug === 'hasty-move' ? { ...progress, synced: progress.target } : progress);
      },
    }, options.bug === 'restart-swaps-moves' ? 'restart-swaps-moves' : 'none');
    this.config = loadConfig({
      file: {
        cluster: { vnodeCount: options.vnodeCount, replicaCount: options.replicaCount },
        replication: { r: options.r, w: options.w, requestTimeoutMs: options.requestTimeoutMs },
        storage: { bytesMax: 64 * 1024 * 1024, evictionPolicy: 'reject' },
        nodes: servers.map((server) => ({ id: server.id, zone: server.zone, port: 0, httpPort: 0 })),
        // Short enough that a moved-away copy is dropped within a run, so a drop that loses data shows.
        node: { transferGraceMs: 500 },
      },
    });
    // The planted bug is a grace config validation refuses (shorter than an anti-entropy cycle),
    // so it is set past the validation.
    if (options.bug === 'early-gc') this.config = { ...this.config, storage: { ...this.config.storage, tombstoneGraceMs: 1, sweepIntervalMs: 10 } };
    if (options.bug === 'hasty-move') this.config = { ...this.config, node: { ...this.config.node, transferGraceMs: 0 } };
    if (options.bug === 'hasty-detector') this.config = { ...this.config, membership: { ...this.config.membership, indirectProbes: 0, suspicionMult: 0 } };
    this.history.tables.push({ atMs: this.clock.nowMs(), table: this.master.table });
    this.master.holder.onChange((next) => { this.history.tables.push({ atMs: this.clock.nowMs(), table: next }); });
    for (const server of servers) this.boot(server.id);
    if (options.tableChanges) this.master.start();
  }

  /** The master's table now (nodes and coordinators may lag behind it). */
  get table(): RoutingTable {
    return this.master.table;
  }

  /** A new server joins: its node starts empty, then the master plans its share of moves. */
  addServer(zone: string): ServerId {
    const id = `n${String(this.nodes.size + 1)}`;
    this.boot(id);
    this.master.add({ id, zone, capacity: 1, host: '127.0.0.1', port: 0, httpPort: 0, state: 'active' });
    return id;
  }

  get serverIds(): ServerId[] {
    return [...this.nodes.keys()];
  }

  isUp(server: ServerId): boolean {
    return this.nodes.get(server)?.up === true;
  }

  /** A crash loses the node's memory; it comes back empty under a new actor. */
  crash(server: ServerId): void {
    const node = this.nodes.get(server);
    if (node?.up !== true) return;
    node.up = false;
    this.network.unlisten(server);
    void node.core.stop();
    this.history.crashes.push({ server, atMs: this.clock.nowMs() });
  }

  /** Cuts the two groups apart until heal(), recorded so a "down" it causes is not called false. */
  partition(groupA: readonly string[], groupB: readonly string[]): void {
    this.network.partition(groupA, groupB);
    this.history.disturbances.push({ kind: 'partition', fromMs: this.clock.nowMs(), toMs: Number.POSITIVE_INFINITY });
  }

  heal(): void {
    this.network.heal();
    this.endDisturbances((d) => d.kind === 'partition');
  }

  /** Multiplies a node's latency (factor 1 ends it), recorded like a partition. */
  slow(server: ServerId, factor: number): void {
    this.network.slow(server, factor);
    this.endDisturbances((d) => d.kind === 'slow' && d.server === server);
    if (factor !== 1) this.history.disturbances.push({ kind: 'slow', server, fromMs: this.clock.nowMs(), toMs: Number.POSITIVE_INFINITY });
  }

  private endDisturbances(which: (d: Disturbance) => boolean): void {
    const nowMs = this.clock.nowMs();
    for (const d of this.history.disturbances) if (d.toMs === Number.POSITIVE_INFINITY && which(d)) d.toMs = nowMs;
  }

  restart(server: ServerId): void {
    if (this.nodes.get(server)?.up === true) return;
    this.history.restarts.push({ server, atMs: this.clock.nowMs() });
    this.boot(server);
  }

  /** See false-downs.ts: how long before a "down" the member must have been undisturbed. */
  get detectionWindowMs(): number {
    return detectionWindowMs(this.config.membership, this.nodes.size);
  }

  /** Fencing retries of every coordinator built so far. */
  fencingRetries(): number {
    return this.coordinators.reduce((sum, coordinator) => sum + coordinator.stats.fencingRetries, 0);
  }

  coordinator(name: string, overrides: { r?: number; w?: number } = {}): Coordinator {
    const coordinator = this.newCoordinator(name, overrides);
    this.coordinators.push(coordinator);
    return coordinator;
  }

  private newCoordinator(name: string, overrides: { r?: number; w?: number }): Coordinator {
    return new Coordinator({
      name,
      transport: this.network.transport(name),
      clock: this.clock,
      random: this.random,
      table: this.master.follower(),
      options: {
        r: overrides.r ?? this.options.r,
        w: overrides.w ?? this.options.w,
        requestTimeoutMs: this.options.requestTimeoutMs,
        speculativeRetryMs: 20,
        failureBackoffMs: 100,
      },
    });
  }

  /** What each replica of the key's row stores right now (undefined: absent). */
  replicaStates(key: Uint8Array): Map<ServerId, Versioned | undefined> {
    const row = this.table.row(this.table.vnodeOf(key));
    const states = new Map<ServerId, Versioned | undefined>();
    for (const server of row.replicas) states.set(server, this.nodes.get(server)?.engine.get(key));
    return states;
  }

  /** What one server stores for a key, whether or not it is a replica of the key's row. */
  stateAt(server: ServerId, key: Uint8Array): Versioned | undefined {
    return this.nodes.get(server)?.engine.get(key);
  }

  rowOf(key: Uint8Array): readonly ServerId[] {
    return this.table.row(this.table.vnodeOf(key)).replicas;
  }

  private boot(id: ServerId): void {
    const engine = new MemoryEngine({ bytesMax: 64 * 1024 * 1024, evictionPolicy: 'reject' });
    const actor = this.options.bug === 'reused-actor' ? this.actors.get(id) ?? newActor(id, this.clock, this.random) : newActor(id, this.clock, this.random);
    this.actors.set(id, actor);
    const table = this.master.follower();
    const core = new NodeCore({
      serverId: id,
      actor,
      engine,
      clock: this.clock,
      random: this.random,
      transport: this.network.transport(id),
      table: {
        current: () => table.current(), epoch: () => table.current().epoch,
        observeEpoch: (epoch) => { table.observeEpoch(epoch); }, onChange: (listener) => table.onChange(listener),
      },
      logger: silentLogger,
      config: this.config,
      services: nodeServices(),
    });
    core.context.peers.onChange((member, now) => {
      this.history.statusChanges.push({ atMs: this.clock.nowMs(), observer: id, member, status: now.status });
    });
    this.nodes.set(id, { id, engine, core, up: true });
    this.network.listen(id, this.recording(core));
    void core.start();
  }

  /** Records every dot a node mints, acknowledged or not: the checker's ground truth. */
  private recording(core: NodeCore): InternodeHandler {
    return {
      handle: (request: Envelope<PeerRequest>): Envelope<PeerReply> | Promise<Envelope<PeerReply>> => {
        const body = request.body;
        const planted = this.plantedBug(request);
        if (planted !== undefined) return planted;
        const reply = core.handle(this.options.bug === 'forget-expiry' ? withoutExpiry(request) : request);
        if (reply instanceof Promise) return reply;
        if (body.kind === 'coord-put' && reply.body.kind === 'put-result') {
          this.history.mint(reply.body.dot, {
            key: decoder.decode(body.key),
            value: body.value === null ? null : decoder.decode(body.value),
            context: body.context,
            requestId: body.requestId,
          });
        }
        return reply;
      },
    };
  }

  private plantedBug(request: Envelope<PeerRequest>): Envelope<PeerReply> | undefined {
    const epoch = this.table.table.epoch;
    if (this.options.bug === 'drop-merges' && request.body.kind === 'merge') return { epoch, body: { kind: 'ack' } };
    if (this.options.bug === 'empty-reads' && request.body.kind === 'read' && this.random.next() < 0.3) {
      return { epoch, body: { kind: 'versioned', versioned: null } };
    }
    return undefined;
  }
}

/** The planted 'forget-expiry' bug: a merge whose collections lost their expiry on the way. */
function withoutExpiry(request: Envelope<PeerRequest>): Envelope<PeerRequest> {
  const body = request.body;
  if (body.kind !== 'merge' || body.versioned.collections === undefined) return request;
  const collections = body.versioned.collections.map((collection) => ({ type: collection.type, elements: collection.elements }));
  return { ...request, body: { ...body, versioned: { ...body.versioned, collections } } };
}
