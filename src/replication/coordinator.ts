import { DeadlineQueue } from '../runtime/index.js';
import type { Clock } from '../runtime/clock.js';
import type { Random } from '../runtime/random.js';
import { RingcacheError } from '../runtime/errors.js';
import { placementOf, validateQuorum, type Liveness, type Placement, type ServerId } from '../ring/index.js';
import { dispatcherOf } from '../transport/transport.js';
import type { Dispatch, SendReceiver, Transport } from '../transport/transport.js';
import type { PeerRequest } from '../transport/peer-message.js';
import type { CoordinatedPutRequest, Envelope, InternodeReply } from '../transport/messages.js';
import type { VersionVector } from '../version/types.js';
import { FailureTracker } from './failure-tracker.js';
import { REPLICATION_DEFAULTS, type ReplicationOptions } from './options.js';
import { fencedEpoch, isTransportFailure } from './errors.js';
import type { CoordinatorRequest, Exchange } from './exchange.js';
import type { CoordinatorStats, ReadResult } from './types.js';
import { ObservedSends } from './send-observer.js';
import type { SendObserver } from './send-observer.js';
import { ReadRound } from './read-round.js';
import type { ReadListener, ReadRoundHost } from './read-round.js';
import { WriteRound } from './write-round.js';
import type { WriteListener, WriteResult } from './write-round.js';
import type { TableView } from './table-view.js';
import type { LoadSink } from './load-sink.js';

export type { WriteResult } from './write-round.js';

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
  /** Hears every internode request's outcome and latency (the proxy's per-backend metrics). */
  readonly observer?: SendObserver;
  /** Counts requests per vnode and the hottest keys for the load reports (src/load). */
  readonly load?: LoadSink;
}

export interface WriteOptions {
  readonly w?: number;
  /** Primaries (replicas of the row) that must acknowledge, 0..N (Riak's pw); replication.pw when absent. */
  readonly pw?: number;
  /** The context the client last read; null or absent supersedes what the coordinating replica holds. */
  readonly context?: VersionVector | null;
  readonly expiresAtMs?: number | null;
}

export interface WritePlan {
  readonly vnode: number;
  readonly order: readonly ServerId[];
  readonly pendingTarget: ServerId | undefined;
  readonly w: number;
  readonly requestId: string;
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
export class Coordinator implements ReadRoundHost, SendReceiver<Exchange> {
  readonly options: ReplicationOptions;
  readonly liveness: FailureTracker;
  readonly stats: CoordinatorStats = {
    writes: 0, reads: 0, writeFailures: 0, readFailures: 0, hedgedReads: 0, readRepairs: 0, readRepairsSkipped: 0,
    hintsSent: 0, hintedWrites: 0, fallbackReads: 0, partialReads: 0, fencingRetries: 0,
  };
  /** Requests in flight per server; a mutable cell per server: one Map lookup per request, not two. */
  private readonly outstanding = new Map<ServerId, { count: number }>();
  private readonly requestPrefix: string;
  private requestSequence = 0;
  private rotation = 0;
  private readonly dispatch: Dispatch;
  /** Every read's hedge on one timer (speculativeRetryMs is the same for all of them). */
  private readonly hedges: DeadlineQueue<ReadRound>;
  /** Undefined without an observer: then a send costs nothing extra. */
  private readonly observed: ObservedSends | undefined;

  constructor(private readonly deps: CoordinatorDeps) {
    this.options = { ...REPLICATION_DEFAULTS, ...deps.options };
    this.liveness = new FailureTracker(deps.clock, this.options.failureBackoffMs, deps.gossip);
    this.requestPrefix = `${deps.name}.${deps.random.int(0x7fffffff).toString(36)}.`;
    this.dispatch = dispatcherOf(deps.transport);
    this.hedges = new DeadlineQueue(deps.clock, this.options.speculativeRetryMs, hedgeDue);
    this.observed = deps.observer === undefined ? undefined : new ObservedSends(deps.observer, deps.clock, this);
  }

  /**
   * Where a write of `key` goes, for the rounds other folders own (typed operations, src/datatypes):
   * its vnode, the replicas in write order (down ones last), a pending move's target, W, and a
   * fresh request id. Bad input throws here, as for `write`.
   */
  writePlan(key: Uint8Array, w?: number): WritePlan {
    this.checkKey(key);
    const table = this.deps.table.current();
    const quorum = w ?? this.options.w;
    validateQuorum(table.table.replicaCount, this.options.r, quorum);
    const vnode = table.vnodeOf(key);
    this.deps.load?.onRequest(vnode, key, 'write');
    const placement = placementOf(table, vnode, this.liveness);
    const order = placement.down.length === 0 ? placement.live : [...placement.live, ...placement.down];
    return { vnode, order, pendingTarget: placement.pendingTarget, w: quorum, requestId: this.requestPrefix + (this.requestSequence++).toString(36) };
  }

  /** Writes `value` (null deletes: a tombstone sibling). */
  put(key: Uint8Array, value: Uint8Array | null, options: WriteOptions = {}): Promise<WriteResult> {
    return new Promise((resolve, reject) => { this.write(key, value, options, { onWriteDone: resolve, onWriteFailed: reject }); });
  }

  /** `put` for callers that keep no promise: the listener hears the outcome; bad input throws here. */
  write(key: Uint8Array, value: Uint8Array | null, options: WriteOptions, listener: WriteListener): void {
    this.checkKey(key);
    if (value !== null && value.length > this.options.valueBytesMax) {
      throw new RingcacheError('RC_ERR_VALUE_TOO_LARGE', `value of ${String(value.length)} bytes is over limits.valueBytesMax=${String(this.options.valueBytesMax)}`, { bytes: value.length });
    }
    const table = this.deps.table.current();
    const w = options.w ?? this.options.w;
    const n = table.table.replicaCount;
    validateQuorum(n, this.options.r, w);
    const pw = options.pw ?? this.options.pw;
    if (pw !== 0) checkPrimaries(pw, n);
    const vnode = table.vnodeOf(key);
    this.deps.load?.onRequest(vnode, key, 'write');
    const placement = placementOf(table, vnode, this.liveness);
    const request: CoordinatedPutRequest = {
      kind: 'coord-put',
      requestId: this.requestPrefix + (this.requestSequence++).toString(36),
      key, vnode, value,
      context: options.context ?? null,
      expiresAtMs: options.expiresAtMs ?? null,
    };
    new WriteRound(this, request, placement, w, pw, listener).start();
  }

  /** Reads with R replicas; see ReadRound for hedging and read repair. */
  get(key: Uint8Array, options: ReadOptions = {}): Promise<ReadResult> {
    return new Promise((resolve, reject) => { this.read(key, options, { onReadDone: resolve, onReadFailed: reject }); });
  }

  /**
   * `get` for callers that keep no promise (the proxy's GET): the listener hears the outcome.
   * Bad input (key, R) throws here instead.
   */
  read(key: Uint8Array, options: ReadOptions, listener: ReadListener): void {
    this.checkKey(key);
    const table = this.deps.table.current();
    const r = options.r ?? this.options.r;
    validateQuorum(table.table.replicaCount, r, this.options.w);
    const vnode = table.vnodeOf(key);
    this.deps.load?.onRequest(vnode, key, 'read');
    const placement = placementOf(table, vnode, this.liveness);
    this.stats.reads++;
    const replicas = this.readOrder(placement);
    new ReadRound(this, key, vnode, r, replicas, placement, listener).start();
  }

  /** A read refused by fencing where it needed answers: once more, on the table at `epoch`. */
  retryRead(key: Uint8Array, vnode: number, r: number, epoch: number, listener: ReadListener, retries: number): void {
    this.refreshPlacement(epoch, vnode, (placement) => {
      new ReadRound(this, key, vnode, r, this.readOrder(placement), placement, listener, retries).start();
    });
  }

  /** One internode request: the epoch out, outstanding counts; its outcome comes to onSend*. */
  send(server: ServerId, body: CoordinatorRequest | PeerRequest, exchange: Exchange): void {
    const epoch = this.deps.table.current().table.epoch;
    this.outstandingOf(server).count++;
    this.deps.load?.onSend(body);
    const observed = this.observed;
    if (observed === undefined) this.dispatch(server, { epoch, body }, this.options.requestTimeoutMs, this, exchange);
    else this.dispatch(server, { epoch, body }, this.options.requestTimeoutMs, observed, observed.begin(server, body.kind, exchange));
  }

  /** A reply: local failure detection, the epoch in, then the round. */
  onSendReply(exchange: Exchange, server: ServerId, reply: Envelope<InternodeReply>): void {
    this.outstandingOf(server).count--;
    this.liveness.succeeded(server);
    if (reply.epoch > this.deps.table.current().table.epoch) this.deps.table.observeEpoch(reply.epoch);
    exchange.onReply(server, reply.body);
  }

  onSendFailure(exchange: Exchange, server: ServerId, error: unknown): void {
    this.outstandingOf(server).count--;
    if (isTransportFailure(error)) this.liveness.failed(server);
    else this.observeFencing(error);
    exchange.onFailure(server, error);
  }

  refreshPlacement(epoch: number, vnode: number, then: (placement: Placement) => void): void {
    this.stats.fencingRetries++;
    this.afterEpoch(epoch, () => { then(placementOf(this.deps.table.current(), vnode, this.liveness)); });
  }

  /**
   * Calls `then` once the table is at `epoch` or later, or after requestTimeoutMs (the master may
   * be out of reach: the retry then runs on the table in hand and a second refusal fails it).
   */
  afterEpoch(epoch: number, then: () => void): void {
    const view = this.deps.table;
    if (view.current().epoch >= epoch) {
      // Not inside the caller's call: rounds promise their listeners that.
      this.deps.clock.schedule(0, then);
      return;
    }
    view.observeEpoch(epoch);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      unsubscribe?.();
      timer.cancel();
      then();
    };
    const timer = this.deps.clock.schedule(this.options.requestTimeoutMs, finish);
    const unsubscribe = view.onChange?.((table) => { if (table.epoch >= epoch) finish(); });
  }

  /** A fencing refusal names a newer table: the follower fetches it at once. */
  private observeFencing(error: unknown): void {
    const epoch = fencedEpoch(error);
    if (epoch !== undefined && epoch > this.deps.table.current().epoch) this.deps.table.observeEpoch(epoch);
  }

  nowMs(): number {
    return this.deps.clock.nowMs();
  }

  scheduleHedge(round: ReadRound): number {
    return this.hedges.add(round);
  }

  cancelHedge(ticket: number): void {
    this.hedges.cancel(ticket);
  }

  /**
   * Live replicas by least outstanding requests (ties keep a rotating order, so equal replicas
   * share the reads), then those believed down. One array and a stable insertion sort over the
   * N entries: the same order as rotate + Array#sort + spread, without their three arrays.
   */
  private readOrder(placement: Placement): readonly ServerId[] {
    const { live, down } = placement;
    const start = this.rotation++;
    // One replica (N=1): nothing to order.
    if (down.length === 0 && live.length <= 1) return live;
    const order: ServerId[] = [];
    for (let i = 0; i < live.length; i++) {
      const server = live[(start + i) % live.length] as ServerId;
      const count = this.outstandingCount(server);
      let slot = i;
      while (slot > 0 && this.outstandingCount(order[slot - 1] as ServerId) > count) slot--;
      order.splice(slot, 0, server);
    }
    for (const server of down) order.push(server);
    return order;
  }

  private outstandingCount(server: ServerId): number {
    return this.outstanding.get(server)?.count ?? 0;
  }

  private outstandingOf(server: ServerId): { count: number } {
    let cell = this.outstanding.get(server);
    if (cell === undefined) {
      cell = { count: 0 };
      this.outstanding.set(server, cell);
    }
    return cell;
  }

  private checkKey(key: Uint8Array): void {
    if (key.length === 0 || key.length > this.options.keyBytesMax) {
      throw new RingcacheError('RC_ERR_KEY_TOO_LARGE', `key of ${String(key.length)} bytes is outside 1..limits.keyBytesMax=${String(this.options.keyBytesMax)}`, { bytes: key.length });
    }
  }
}

/** A per-request or configured PW within 0..N (0 is checked by the caller: the usual case). */
function checkPrimaries(pw: number, n: number): void {
  if (!Number.isSafeInteger(pw) || pw < 0 || pw > n) {
    throw new RingcacheError('RC_ERR_BAD_QUORUM', `pw=${String(pw)} is outside 0..N=${String(n)} (N is cluster.replicaCount); see replication.pw`, { pw, n });
  }
}

function hedgeDue(round: ReadRound): void {
  round.onHedgeDue();
}
