import type { RingcacheConfig } from '../config/schema.js';
import type { ServerId } from '../ring/index.js';
import { RingcacheError, assert, startAll, stopAll } from '../runtime/index.js';
import type { Clock, Logger, Random, Startable } from '../runtime/index.js';
import type { StorageEngine } from '../storage/index.js';
import { isDataKind } from '../transport/index.js';
import type {
  EncodedRead, Envelope, InternodeHandler, InternodeRequest, PeerKind, PeerReply, PeerRequest, ReadRequest, Transport,
} from '../transport/index.js';
import type { Actor } from '../version/index.js';
import { newActor } from './actor.js';
import { fence, vnodeOfBody } from './fencing.js';
import type { NodeContext, NodeServiceFactory, NodeTableView, PeerHandler, PeerService } from './peer-service.js';
import { PeerStatusBoard } from './peer-status.js';
import { RecoveryState } from './recovery.js';
import { NodeService } from './service.js';
import { PeerInputCheck } from './validate.js';

export interface NodeCoreDeps {
  readonly serverId: ServerId;
  readonly clock: Clock;
  readonly random: Random;
  /** Outbound: requests this node sends to its peers. */
  readonly transport: Transport;
  readonly engine: StorageEngine;
  readonly table: NodeTableView;
  readonly logger: Logger;
  readonly config: RingcacheConfig;
  /** The services beyond the data handlers, in start order: `nodeServices()` is the standard list. */
  readonly services: readonly NodeServiceFactory[];
  /** This incarnation's actor; a fresh one (newActor) when absent. */
  readonly actor?: Actor;
  /** A node with nothing to catch up on (tests); otherwise it starts recovering (recovery.ts). */
  readonly startsInSync?: boolean;
}

/**
 * A storage node's core (DESIGN.md section 5): the data handlers (NodeService) and a list of
 * startable services over one NodeContext, identical in the process (storage-node.ts puts RESP
 * and HTTP servers around it) and in the simulator (which hands it the simulated network).
 *
 *   peer request --> handle --> fencing.ts (epoch, vnode held) --> data kind?  NodeService (coord-put, merge, read, ping)
 *                          `--> other kind: the handler of the service that owns it
 *   services: sweeper, membership, hint replayer, anti-entropy ...  start in order, stop in reverse
 */
export class NodeCore implements InternodeHandler, Startable {
  readonly context: NodeContext;
  readonly data: NodeService;
  readonly services: readonly PeerService[];
  private readonly handlers = new Map<PeerKind, PeerHandler<PeerKind>>();
  private started = false;

  constructor(deps: NodeCoreDeps) {
    const { config, table } = deps;
    this.context = {
      serverId: deps.serverId,
      actor: deps.actor ?? newActor(deps.serverId, deps.clock, deps.random),
      clock: deps.clock,
      random: deps.random,
      transport: deps.transport,
      engine: deps.engine,
      table,
      logger: deps.logger,
      config,
      peers: new PeerStatusBoard(),
      recovery: new RecoveryState(deps.startsInSync === true),
      peerInput: new PeerInputCheck({ vnodeCount: config.cluster.vnodeCount, clock: deps.clock }),
    };
    const recovery = this.context.recovery;
    this.data = new NodeService({
      serverId: deps.serverId,
      actor: this.context.actor,
      storage: deps.engine,
      clock: deps.clock,
      epoch: () => table.epoch(),
      onNewerEpoch: (epoch) => { table.observeEpoch(epoch); },
      recovering: () => recovery.recovering,
      peerInput: this.context.peerInput,
      options: { keyBytesMax: config.limits.keyBytesMax, valueBytesMax: config.limits.valueBytesMax, dedupeEntriesMax: config.node.dedupeEntriesMax },
    });
    this.services = deps.services.map((factory) => factory(this.context));
    for (const service of this.services) {
      for (const [kind, handler] of Object.entries(service.handlers ?? {}) as [PeerKind, PeerHandler<PeerKind>][]) {
        assert(!isDataKind(kind) && !this.handlers.has(kind), `peer message kind ${kind} has one handler (${service.name})`);
        this.handlers.set(kind, handler);
      }
    }
  }

  get serverId(): ServerId {
    return this.context.serverId;
  }

  get actor(): Actor {
    return this.context.actor;
  }

  /** The kinds this node answers beyond the data kinds. */
  handledKinds(): PeerKind[] {
    return [...this.handlers.keys()];
  }

  /** A service by name, for tests and the process's status pages. */
  service(name: string): PeerService | undefined {
    return this.services.find((service) => service.name === name);
  }

  handle(request: Envelope<PeerRequest>): Envelope<PeerReply> | Promise<Envelope<PeerReply>> {
    const body = request.body;
    const kind: PeerKind = body.kind;
    const table = this.context.table;
    fence(this.context.serverId, table.current(), kind, request.epoch, vnodeOfBody(body));
    if (isDataKind(kind)) return this.data.handle(request as Envelope<InternodeRequest>);
    if (request.epoch > table.epoch()) table.observeEpoch(request.epoch);
    const handler = this.handlers.get(kind);
    if (handler === undefined) {
      throw new RingcacheError('RC_ERR_UNKNOWN_COMMAND', `node ${this.serverId} does not answer '${kind}' messages`);
    }
    const reply = handler(body, request.epoch);
    if (reply instanceof Promise) return reply.then((settled) => ({ epoch: table.epoch(), body: settled }));
    return { epoch: table.epoch(), body: reply };
  }

  handleEncodedRead(request: Envelope<ReadRequest>): EncodedRead {
    fence(this.context.serverId, this.context.table.current(), 'read', request.epoch, request.body.vnode);
    return this.data.handleEncodedRead(request);
  }

  async start(): Promise<void> {
    assert(!this.started, 'NodeCore starts once');
    this.started = true;
    await startAll(this.services);
  }

  stop(): Promise<void> {
    return stopAll(this.services);
  }
}
