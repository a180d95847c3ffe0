/**
 * A small deterministic cluster for anti-entropy: real NodeCores (nodeServices(), so the real
 * AntiEntropyService and Sweeper) over memory engines and the simulated network, on one virtual
 * clock and one seeded random source. No coordinator reads anything: whatever a node comes to
 * hold, anti-entropy brought it.
 *
 * A `tamper` hook sees every request a node answers and may change the reply: the way tests
 * plant a bug in an exchange without touching the code under test.
 */
import { SeededRandom, VirtualClock, silentLogger } from '../../src/runtime/index.js';
import { RoutingTable } from '../../src/ring/index.js';
import type { ServerId, ServerInfo, Table } from '../../src/ring/index.js';
import { placeTable } from '../../shard-master/placement.js';
import { MemoryEngine } from '../../src/storage/index.js';
import { NodeCore, nodeServices } from '../../src/node/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { RingcacheConfig } from '../../src/config/index.js';
import { SimNetwork } from '../../src/transport/index.js';
import type { Envelope, PeerReply, PeerRequest } from '../../src/transport/index.js';
import { Coordinator, fixedTableView } from '../../src/replication/index.js';
import type { AntiEntropyService } from '../../src/anti-entropy/index.js';
import type { Versioned } from '../../src/version/index.js';
import { runClockUntil } from './drive.js';

export type Tamper = (server: ServerId, request: Envelope<PeerRequest>, reply: Envelope<PeerReply>) => Envelope<PeerReply>;

export interface AeClusterOptions {
  readonly seed: number;
  readonly servers: number;
  readonly vnodeCount: number;
  readonly replicaCount: number;
  /** Config file sections merged over the defaults below (antiEntropy, storage, limits...). */
  readonly config?: Record<string, Record<string, unknown>>;
  /** Rows of the table instead of the placement's (every row must have replicaCount servers). */
  readonly rows?: readonly (readonly ServerId[])[];
  /** Nodes boot in sync (a node that never lost its memory); a restart is always recovering. */
  readonly startInSync?: boolean;
  readonly tamper?: Tamper;
  /**
   * Changes the loaded (validated) config: how a test plants a setting the validation refuses,
   * e.g. a tombstone grace shorter than an anti-entropy cycle.
   */
  readonly patchConfig?: (config: RingcacheConfig) => RingcacheConfig;
}

export interface AeNode {
  readonly id: ServerId;
  readonly engine: MemoryEngine;
  readonly core: NodeCore;
  up: boolean;
}

export const AE_TEST_CONFIG = Object.freeze({
  antiEntropy: { intervalMs: 100, exchangesMax: 2, keysPerRoundMax: 200, bytesPerRoundMax: 256 * 1024, messageBytesMax: 16 * 1024, leavesPerNode: 4096, requestTimeoutMs: 500 },
  storage: { bytesMax: 64 * 1024 * 1024, evictionPolicy: 'reject', tombstoneGraceMs: 60_000, sweepIntervalMs: 100 },
  hints: { ageMsMax: 30_000 },
});

export class AeCluster {
  readonly clock = new VirtualClock();
  readonly random: SeededRandom;
  readonly network: SimNetwork;
  /** The table every node sees; setRows() replaces it (a new epoch) and tells the nodes. */
  table: RoutingTable;
  private readonly tableListeners = new Set<(table: RoutingTable) => void>();
  readonly config: RingcacheConfig;
  readonly nodes = new Map<ServerId, AeNode>();

  constructor(readonly options: AeClusterOptions) {
    this.random = new SeededRandom(options.seed);
    this.network = new SimNetwork(this.clock, this.random);
    const servers: ServerInfo[] = Array.from({ length: options.servers }, (_, i) => ({
      id: `n${String(i + 1)}`, zone: `z${String(i + 1)}`, capacity: 1, host: '127.0.0.1', port: 0, httpPort: 0, state: 'active',
    }));
    const placed = placeTable({ servers, vnodeCount: options.vnodeCount, replicaCount: options.replicaCount, epoch: 1 });
    const table: Table = options.rows === undefined ? placed : { ...placed, rows: options.rows.map((replicas) => ({ replicas: [...replicas] })) };
    this.table = new RoutingTable(table);
    const sections: Record<string, Record<string, unknown>> = {};
    for (const [name, section] of Object.entries(AE_TEST_CONFIG)) sections[name] = { ...section, ...options.config?.[name] };
    for (const [name, section] of Object.entries(options.config ?? {})) sections[name] ??= section;
    const loaded = loadConfig({
      file: {
        ...sections,
        cluster: { vnodeCount: options.vnodeCount, replicaCount: options.replicaCount },
        replication: { r: 1, w: 1, requestTimeoutMs: 500 },
        nodes: servers.map((server) => ({ id: server.id, zone: server.zone, port: 0, httpPort: 0 })),
      },
    });
    this.config = options.patchConfig?.(loaded) ?? loaded;
    for (const server of servers) this.boot(server.id, options.startInSync === true);
  }

  /** A new epoch with these rows: the nodes hear of it as from the shard-master. */
  setRows(rows: readonly (readonly ServerId[])[]): void {
    const { table } = this.table;
    this.table = new RoutingTable({ ...table, epoch: table.epoch + 1, rows: rows.map((replicas) => ({ replicas: [...replicas] })) });
    for (const listener of this.tableListeners) listener(this.table);
  }

  node(id: ServerId): AeNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  service(id: ServerId): AntiEntropyService {
    return this.node(id).core.service('anti-entropy') as AntiEntropyService;
  }

  /** A crash loses the node's memory (a memory engine); it stays down until restart(). */
  crash(id: ServerId): void {
    const node = this.node(id);
    if (!node.up) return;
    node.up = false;
    this.network.unlisten(id);
    void node.core.stop();
  }

  /** Boots a fresh, empty, recovering incarnation. */
  restart(id: ServerId): AeNode {
    this.crash(id);
    return this.boot(id, false);
  }

  /** What every replica of the key's row stores (undefined: absent, or the node is down). */
  replicaStates(key: Uint8Array): Map<ServerId, Versioned | undefined> {
    const states = new Map<ServerId, Versioned | undefined>();
    for (const server of this.table.row(this.table.vnodeOf(key)).replicas) {
      const node = this.nodes.get(server);
      states.set(server, node?.up === true ? node.engine.get(key) : undefined);
    }
    return states;
  }

  coordinator(name: string, w = 1): Coordinator {
    return new Coordinator({
      name, transport: this.network.transport(name), clock: this.clock, random: this.random, table: fixedTableView(this.table),
      options: { r: 1, w, requestTimeoutMs: 500, speculativeRetryMs: 50, failureBackoffMs: 100 },
    });
  }

  /** Runs virtual time forward; stops early when `until` holds. Returns the virtual ms that passed. */
  async run(forMs: number, until: () => boolean = () => false): Promise<number> {
    const started = this.clock.nowMs();
    await runClockUntil(this.clock, started + forMs, until);
    return this.clock.nowMs() - started;
  }

  async stop(): Promise<void> {
    for (const node of this.nodes.values()) if (node.up) await node.core.stop();
  }

  private boot(id: ServerId, startsInSync: boolean): AeNode {
    const engine = new MemoryEngine({ bytesMax: 64 * 1024 * 1024, evictionPolicy: 'reject' });
    const listeners = this.tableListeners;
    const core = new NodeCore({
      serverId: id, engine, clock: this.clock, random: this.random, transport: this.network.transport(id),
      table: {
        current: () => this.table, epoch: () => this.table.epoch, observeEpoch: () => undefined,
        onChange: (listener) => {
          listeners.add(listener);
          return () => { listeners.delete(listener); };
        },
      },
      logger: silentLogger, config: this.config, services: nodeServices(), startsInSync,
    });
    const node: AeNode = { id, engine, core, up: true };
    this.nodes.set(id, node);
    const tamper = this.options.tamper;
    this.network.listen(id, tamper === undefined ? core : {
      handle: (request) => {
        const reply = core.handle(request);
        return reply instanceof Promise ? reply.then((settled) => tamper(id, request, settled)) : tamper(id, request, reply);
      },
    });
    void core.start();
    return node;
  }
}
