import type { Clock } from '../runtime/clock.js';
import type { Random } from '../runtime/random.js';
import { RingcacheError } from '../runtime/errors.js';
import { placementOf, validateQuorum, type Liveness, type ServerId } from '../ring/index.js';
import type { Transport } from '../transport/transport.js';
import type { InternodeReply, InternodeRequest } from '../transport/messages.js';
import type { Dot, VersionVector, Versioned } from '../version/types.js';
import { FailureTracker } from './failure-tracker.js';
import { REPLICATION_DEFAULTS, type ReplicationOptions } from './options.js';
import { isTransportFailure, unexpectedReply, writeQuorumError } from './errors.js';
import type { CoordinatorStats, ReadResult } from './types.js';
import { ReadRound } from './read-round.js';
import type { TableView } from './table-view.js';

export interface CoordinatorDeps {
  /** Names this coordinator in request ids (e.g. "proxy-1"). */
  readonly name: string;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly random: Random;
  readonly table: TableView;
  /** The gossip view; local failure detection is layered on top. */
  readonly gossip?: Liveness;
  readonly options?: Partial<ReplicationOptions>;
}

export interface WriteOptions {
  readonly w?: number;
  /** The context the client last read; null or absent supersedes what the coordinating replica holds. */
  readonly context?: VersionVector | null;
  readonly expiresAtMs?: number | null;
}

export interface WriteResult {
  /** What the coordinating replica stored: its context is the token a client sends back next time. */
  readonly versioned: Versioned;
  /** The dot the coordinating replica minted for this write. */
  readonly dot: Dot;
  readonly coordinator: ServerId;
  readonly acks: number;
}

export interface ReadOptions {
  readonly r?: number;
}

/**
 * The quorum coordinator shared by the proxy and the client library (DESIGN.md section 4).
 *
 *   write: COORD.PUT -> first live replica (assigns the dot) --siblings--> MERGE -> other replicas
 *          done at W acks, the coordinating replica included; the rest finish in the background
 *   read:  READ -> R replicas (least outstanding first), hedge after speculativeRetryMs,
 *          merge the answers, read-repair replicas that were behind
 */
export class Coordinator {
  readonly options: ReplicationOptions;
  readonly liveness: FailureTracker;
  readonly stats: CoordinatorStats = { writes: 0, reads: 0, writeFailures: 0, readFailures: 0, hedgedReads: 0, readRepairs: 0 };
  private readonly outstanding = new Map<ServerId, number>();
  private readonly requestPrefix: string;
  private requestSequence = 0;
  private rotation = 0;

  constructor(private readonly deps: CoordinatorDeps) {
    this.options = { ...REPLICATION_DEFAULTS, ...deps.options };
    this.liveness = new FailureTracker(deps.clock, this.options.failureBackoffMs, deps.gossip);
    this.requestPrefix = `${deps.name}.${deps.random.int(0x7fffffff).toString(36)}.`;
  }

  /** Writes `value` (null deletes: a tombstone sibling). */
  async put(key: Uint8Array, value: Uint8Array | null, options: WriteOptions = {}): Promise<WriteResult> {
    this.checkKey(key);
    if (value !== null && value.length > this.options.valueBytesMax) {
      throw new RingcacheError('RC_ERR_VALUE_TOO_LARGE', `value of ${String(value.length)} bytes is over limits.valueBytesMax=${String(this.options.valueBytesMax)}`, { bytes: value.length });
    }
    const table = this.deps.table.current();
    const w = options.w ?? this.options.w;
    validateQuorum(table.table.replicaCount, this.options.r, w);
    const vnode = table.vnodeOf(key);
    const placement = placementOf(table, vnode, this.liveness);
    // Down replicas go last, not away: the local view may be stale, and trying costs one timeout.
    const order = [...placement.live, ...placement.down];
    const request: InternodeRequest = {
      kind: 'coord-put',
      requestId: this.requestPrefix + (this.requestSequence++).toString(36),
      key, vnode, value,
      context: options.context ?? null,
      expiresAtMs: options.expiresAtMs ?? null,
    };
    this.stats.writes++;
    const failures: string[] = [];
    const failed = new Set<ServerId>();
    for (const coordinator of order) {
      let reply: InternodeReply;
      try {
        reply = await this.call(coordinator, request);
      } catch (error) {
        if (!isTransportFailure(error)) throw this.countWriteFailure(error);
        failures.push(describeFailure(coordinator, error));
        failed.add(coordinator);
        continue;
      }
      if (reply.kind !== 'put-result') throw unexpectedReply(reply, coordinator, 'put-result');
      const { versioned, dot } = reply;
      const others = order.filter((server) => server !== coordinator && !failed.has(server));
      const extra = placement.pendingTarget === undefined ? [] : [placement.pendingTarget];
      const acks = await this.replicate({ key, vnode, versioned, replicas: others, extra, w, failures, tried: order.length });
      return { versioned, dot, coordinator, acks };
    }
    throw this.countWriteFailure(writeQuorumError(0, w, order.length, failures));
  }

  /** Reads with R replicas; see ReadRound for hedging and read repair. */
  async get(key: Uint8Array, options: ReadOptions = {}): Promise<ReadResult> {
    this.checkKey(key);
    const table = this.deps.table.current();
    const r = options.r ?? this.options.r;
    validateQuorum(table.table.replicaCount, r, this.options.w);
    const vnode = table.vnodeOf(key);
    const placement = placementOf(table, vnode, this.liveness);
    this.stats.reads++;
    const round = new ReadRound({
      key, vnode, r,
      candidates: [...this.byLeastOutstanding(placement.live), ...placement.down],
      clock: this.deps.clock,
      speculativeRetryMs: this.options.speculativeRetryMs,
      readRepair: this.options.readRepair,
      siblingsMax: this.options.siblingsMax,
      call: (server, request) => this.call(server, request),
      stats: this.stats,
    });
    try {
      return await round.run();
    } catch (error) {
      this.stats.readFailures++;
      throw error;
    }
  }

  /** Sends the coordinator's result to the other replicas; resolves at W acks in all. */
  private replicate(round: {
    key: Uint8Array; vnode: number; versioned: Versioned;
    replicas: readonly ServerId[]; extra: readonly ServerId[]; w: number; failures: string[]; tried: number;
  }): Promise<number> {
    const { key, vnode, versioned, replicas, extra, w, failures, tried } = round;
    const request: InternodeRequest = { kind: 'merge', key, vnode, versioned };
    // A pending move's target gets every write but is not counted: reads do not ask it yet.
    for (const server of extra) void this.call(server, request).catch(() => undefined);
    let acks = 1;
    let pending = replicas.length;
    return new Promise((resolve, reject) => {
      let settled = false;
      const check = (): void => {
        if (settled) return;
        if (acks >= w) {
          settled = true;
          resolve(acks);
        } else if (acks + pending < w) {
          settled = true;
          reject(this.countWriteFailure(writeQuorumError(acks, w, tried, failures)));
        }
      };
      for (const server of replicas) {
        this.call(server, request).then(
          () => { acks++; pending--; check(); },
          (error: unknown) => { pending--; failures.push(describeFailure(server, error)); check(); },
        );
      }
      check();
    });
  }

  /** One internode request: epoch in and out, outstanding counts, local failure detection. */
  private async call(server: ServerId, body: InternodeRequest): Promise<InternodeReply> {
    const epoch = this.deps.table.current().table.epoch;
    this.outstanding.set(server, (this.outstanding.get(server) ?? 0) + 1);
    try {
      const reply = await this.deps.transport.send(server, { epoch, body }, this.options.requestTimeoutMs);
      this.liveness.succeeded(server);
      if (reply.epoch > epoch) this.deps.table.observeEpoch(reply.epoch);
      return reply.body;
    } catch (error) {
      if (isTransportFailure(error)) this.liveness.failed(server);
      throw error;
    } finally {
      this.outstanding.set(server, (this.outstanding.get(server) ?? 1) - 1);
    }
  }

  /** Least outstanding requests first; ties rotate so equal replicas share the reads. */
  private byLeastOutstanding(servers: readonly ServerId[]): ServerId[] {
    const start = this.rotation++;
    const rotated = servers.map((_, i) => servers[(start + i) % servers.length] as ServerId);
    return rotated.sort((a, b) => (this.outstanding.get(a) ?? 0) - (this.outstanding.get(b) ?? 0));
  }

  private countWriteFailure(error: unknown): Error {
    this.stats.writeFailures++;
    return error instanceof Error ? error : new RingcacheError('RC_ERR_INTERNAL', 'write failed');
  }

  private checkKey(key: Uint8Array): void {
    if (key.length === 0 || key.length > this.options.keyBytesMax) {
      throw new RingcacheError('RC_ERR_KEY_TOO_LARGE', `key of ${String(key.length)} bytes is outside 1..limits.keyBytesMax=${String(this.options.keyBytesMax)}`, { bytes: key.length });
    }
  }
}


function describeFailure(server: ServerId, error: unknown): string {
  return `${server}: ${error instanceof Error ? error.message : 'failed'}`;
}
