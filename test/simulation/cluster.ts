import { SeededRandom, VirtualClock, type Random } from '../../src/runtime/index.js';
import { RoutingTable, type ServerId, type ServerInfo } from '../../src/ring/index.js';
import { placeTable } from '../../shard-master/placement.js';
import { MemoryEngine } from '../../src/storage/index.js';
import { NodeService } from '../../src/node/service.js';
import { newActor } from '../../src/node/actor.js';
import { SimNetwork } from '../../src/transport/sim-network.js';
import type { Envelope, InternodeReply, InternodeRequest } from '../../src/transport/messages.js';
import type { InternodeHandler } from '../../src/transport/transport.js';
import { Coordinator, fixedTableView } from '../../src/replication/index.js';
import type { Versioned } from '../../src/version/types.js';
import type { SimulationOptions } from './options.js';
import { History } from './history.js';

const decoder = new TextDecoder();

interface SimNode {
  readonly id: ServerId;
  engine: MemoryEngine;
  service: NodeService;
  up: boolean;
}

/**
 * A whole cluster in one process: real NodeService and Coordinator code over memory engines and
 * the simulated network, all on one virtual clock and one seeded random source.
 */
export class SimCluster {
  readonly clock = new VirtualClock();
  readonly random: Random;
  readonly network: SimNetwork;
  readonly table: RoutingTable;
  readonly history = new History();
  private readonly nodes = new Map<ServerId, SimNode>();
  private readonly actors = new Map<ServerId, string>();

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
    this.table = new RoutingTable(placeTable({
      servers, vnodeCount: options.vnodeCount, replicaCount: options.replicaCount, epoch: 1,
    }));
    for (const server of servers) this.boot(server.id);
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
    this.history.crashes.push({ server, atMs: this.clock.nowMs() });
  }

  restart(server: ServerId): void {
    if (this.nodes.get(server)?.up !== true) this.boot(server);
  }

  coordinator(name: string, overrides: { r?: number; w?: number } = {}): Coordinator {
    return new Coordinator({
      name,
      transport: this.network.transport(name),
      clock: this.clock,
      random: this.random,
      table: fixedTableView(this.table),
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
    const service = new NodeService({
      serverId: id,
      actor,
      storage: engine,
      clock: this.clock,
      epoch: () => this.table.table.epoch,
    });
    this.nodes.set(id, { id, engine, service, up: true });
    this.network.listen(id, this.recording(service));
  }

  /** Records every dot a node mints, acknowledged or not: the checker's ground truth. */
  private recording(service: NodeService): InternodeHandler {
    return {
      handle: (request: Envelope<InternodeRequest>): Envelope<InternodeReply> => {
        const body = request.body;
        const planted = this.plantedBug(request);
        if (planted !== undefined) return planted;
        const reply = service.handle(request);
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

  private plantedBug(request: Envelope<InternodeRequest>): Envelope<InternodeReply> | undefined {
    const epoch = this.table.table.epoch;
    if (this.options.bug === 'drop-merges' && request.body.kind === 'merge') return { epoch, body: { kind: 'ack' } };
    if (this.options.bug === 'empty-reads' && request.body.kind === 'read' && this.random.next() < 0.3) {
      return { epoch, body: { kind: 'versioned', versioned: null } };
    }
    return undefined;
  }
}
