import { loadConfig } from '../../src/config/index.js';
import type { RingcacheConfig } from '../../src/config/index.js';
import { MembershipService, decodeUpdates, encodeUpdates, membershipService } from '../../src/membership/index.js';
import type { MembershipOptions } from '../../src/membership/index.js';
import { NodeCore } from '../../src/node/index.js';
import type { PeerStatus, PeerStatusBoard } from '../../src/node/index.js';
import { RoutingTable } from '../../src/ring/index.js';
import type { ServerId, ServerInfo } from '../../src/ring/index.js';
import { SeededRandom, VirtualClock, silentLogger } from '../../src/runtime/index.js';
import type { Random } from '../../src/runtime/index.js';
import { MemoryEngine } from '../../src/storage/index.js';
import { SimNetwork } from '../../src/transport/index.js';
import type { Envelope, InternodeHandler, PeerReply, PeerRequest, SimNetworkOptions, Transport } from '../../src/transport/index.js';
import { placeTable } from '../../shard-master/placement.js';
import { runClockUntil } from './drive.js';

/**
 * A bug planted in the membership of every node, to show the checker catches it:
 * 'no-refutation' hides from each node every claim about itself (it can never refute a
 * suspicion); 'no-suspicion' declares a member down on its first missed ack (no indirect
 * probes, no suspicion timeout: a plain timeout detector).
 */
export type MembershipBug = 'none' | 'no-refutation' | 'no-suspicion';

export interface MembershipSimOptions {
  readonly servers: number;
  readonly seed: number;
  readonly network?: Partial<SimNetworkOptions>;
  readonly membership?: Partial<MembershipOptions>;
  readonly bug?: MembershipBug;
  /** Servers that start recovering (restarted empty) instead of in sync. */
  readonly recovering?: readonly ServerId[];
}

/** One change of one node's PeerStatusBoard: how `observer` saw `member` from `atMs` on. */
export interface Observation {
  readonly atMs: number;
  readonly observer: ServerId;
  readonly member: ServerId;
  readonly status: PeerStatus;
  readonly recovering: boolean;
}

interface SimMember {
  readonly core: NodeCore;
  up: boolean;
}

/**
 * Storage nodes running only the real membership service (NodeCore + membershipService) over
 * the simulated network, on one virtual clock and one seeded random source: every run replays
 * from its seed. Records every status change every node's board makes, and the ground truth
 * (which nodes were crashed when) the checker compares it with.
 */
export class MembershipSim {
  readonly clock = new VirtualClock();
  readonly random: Random;
  readonly network: SimNetwork;
  readonly table: RoutingTable;
  readonly observations: Observation[] = [];
  /** Down time of each server: [crashedAtMs, restartedAtMs or Infinity]. */
  readonly downtime = new Map<ServerId, [number, number][]>();
  readonly options: MembershipOptions;
  private readonly members = new Map<ServerId, SimMember>();
  private readonly config: RingcacheConfig;

  constructor(readonly settings: MembershipSimOptions) {
    this.random = new SeededRandom(settings.seed);
    this.network = new SimNetwork(this.clock, this.random, settings.network ?? {});
    const servers: ServerInfo[] = Array.from({ length: settings.servers }, (_, i) => ({
      id: `n${String(i + 1)}`, zone: String.fromCharCode(97 + (i % 3)), capacity: 1, host: '127.0.0.1', port: 0, httpPort: 0, state: 'active',
    }));
    const replicaCount = Math.min(3, servers.length);
    this.table = new RoutingTable(placeTable({ servers, vnodeCount: vnodeCountFor(servers.length), replicaCount, epoch: 1 }));
    this.config = loadConfig({
      file: {
        cluster: { vnodeCount: this.table.vnodeCount, replicaCount },
        replication: { r: 1, w: 1 },
        nodes: servers.map((server) => ({ id: server.id, zone: server.zone, port: 0, httpPort: 0 })),
      },
    });
    const bugOptions: Partial<MembershipOptions> = settings.bug === 'no-suspicion' ? { indirectProbes: 0, suspicionMult: 0 } : {};
    this.options = { ...this.config.membership, ...settings.membership, ...bugOptions };
    for (const server of servers) this.boot(server.id, settings.recovering?.includes(server.id) !== true);
  }

  get ids(): ServerId[] {
    return [...this.members.keys()];
  }

  isUp(server: ServerId): boolean {
    return this.members.get(server)?.up === true;
  }

  /** A node's core, to call its handlers directly. */
  core(server: ServerId): NodeCore {
    const member = this.members.get(server);
    if (member === undefined) throw new Error(`no server ${server}`);
    return member.core;
  }

  service(server: ServerId): MembershipService {
    const service = this.members.get(server)?.core.service('membership');
    if (!(service instanceof MembershipService)) throw new Error(`${server} runs no membership service`);
    return service;
  }

  board(server: ServerId): PeerStatusBoard {
    const member = this.members.get(server);
    if (member === undefined) throw new Error(`no server ${server}`);
    return member.core.context.peers;
  }

  /** The node can say it finished recovering (its anti-entropy would). */
  finishRecovery(server: ServerId): void {
    this.members.get(server)?.core.context.recovery.begin([]);
  }

  /** A crash: memory and connections gone, timers stopped. */
  crash(server: ServerId): void {
    const member = this.members.get(server);
    if (member?.up !== true) return;
    member.up = false;
    this.network.unlisten(server);
    void member.core.stop();
    const periods = this.downtime.get(server) ?? [];
    periods.push([this.clock.nowMs(), Number.POSITIVE_INFINITY]);
    this.downtime.set(server, periods);
  }

  /** Back empty, under a new incarnation; `inSync`: it has nothing to catch up on. */
  restart(server: ServerId, inSync = true): void {
    if (this.isUp(server)) return;
    const period = this.downtime.get(server)?.at(-1);
    if (period !== undefined) period[1] = this.clock.nowMs();
    this.boot(server, inSync);
  }

  wasDown(server: ServerId, atMs: number): boolean {
    return (this.downtime.get(server) ?? []).some(([from, to]) => from <= atMs && atMs < to);
  }

  async runFor(durationMs: number): Promise<number> {
    return runClockUntil(this.clock, this.clock.nowMs() + durationMs, () => false);
  }

  async runUntil(durationMsMax: number, done: () => boolean): Promise<number> {
    return runClockUntil(this.clock, this.clock.nowMs() + durationMsMax, done);
  }

  private boot(server: ServerId, inSync: boolean): void {
    const table = this.table;
    const engine = new MemoryEngine({ bytesMax: 1024 * 1024, evictionPolicy: 'reject' });
    const core = new NodeCore({
      serverId: server,
      engine,
      clock: this.clock,
      random: this.random,
      transport: this.outgoing(server, this.network.transport(server)),
      table: { current: () => table, epoch: () => table.epoch, observeEpoch: () => undefined },
      logger: silentLogger,
      config: this.config,
      services: [membershipService(this.options)],
    });
    if (inSync) core.context.recovery.begin([]);
    const board = core.context.peers;
    board.onChange((member, now) => {
      this.observations.push({ atMs: this.clock.nowMs(), observer: server, member, status: now.status, recovering: now.recovering });
    });
    this.members.set(server, { core, up: true });
    this.network.listen(server, this.incoming(server, core));
    void core.start();
  }

  /** The node's handler, with the planted bug applied to what it receives. */
  private incoming(server: ServerId, core: NodeCore): InternodeHandler {
    if (this.settings.bug !== 'no-refutation') return core;
    return { handle: (request: Envelope<PeerRequest>) => core.handle({ epoch: request.epoch, body: hideClaimsAbout(server, request.body) }) };
  }

  /** The node's transport, with the planted bug applied to the replies it receives. */
  private outgoing(server: ServerId, transport: Transport): Transport {
    if (this.settings.bug !== 'no-refutation') return transport;
    return {
      send: async (to, request, timeoutMs) => {
        const reply = await transport.send(to, request, timeoutMs);
        return { epoch: reply.epoch, body: hideClaimsAbout(server, reply.body) };
      },
      close: () => transport.close(),
    };
  }
}

/** The bodies that carry updates, with every update about `server` taken out. */
function hideClaimsAbout<T extends PeerRequest | PeerReply>(server: ServerId, body: T): T {
  if (!('updates' in body)) return body;
  const kept = decodeUpdates(body.updates, Number.MAX_SAFE_INTEGER).filter((update) => update.member !== server);
  return { ...body, updates: encodeUpdates(kept) };
}

/** V for a simulated cluster: a power of two with a few replicas per server. */
function vnodeCountFor(servers: number): number {
  let count = 16;
  while (count < servers * 2) count *= 2;
  return count;
}
