import { RingcacheError } from '../runtime/errors.js';
import type { ServerId } from '../ring/index.js';
import type { CoordinatedPutRequest, InternodeReply, MergeRequest } from '../transport/messages.js';
import type { Dot, Versioned } from '../version/types.js';
import { describeFailure, isTransportFailure, unexpectedReply, writeQuorumError } from './errors.js';
import type { Exchange, RoundHost } from './exchange.js';
import { IGNORED } from './exchange.js';

export interface WriteResult {
  /** What the coordinating replica stored: its context is the token a client sends back next time. */
  readonly versioned: Versioned;
  /** The dot the coordinating replica minted for this write. */
  readonly dot: Dot;
  readonly coordinator: ServerId;
  readonly acks: number;
}

/** Who hears how a write ended: exactly one call, never inside the call that started the write. */
export interface WriteListener {
  onWriteDone(result: WriteResult): void;
  onWriteFailed(error: Error): void;
}

/**
 * One quorum write (DESIGN.md section 4), in two phases:
 *
 *   coordinating  COORD.PUT to order[0]; unreachable or timed out? the next one, and so on
 *   replicating   MERGE of what it stored to every other replica of `order`; done at W acks,
 *                 the coordinator's included; the rest finish in the background. A pending
 *                 move's target gets the MERGE too, uncounted (reads do not ask it yet).
 *
 * A timeout is ambiguous (the write may have been applied), so a retried write can leave two
 * siblings with the same value; nodes apply a resent requestId once. The round is the Exchange of
 * all its requests and tells a listener: no promise per request.
 */
export class WriteRound implements Exchange {
  private readonly failures: string[] = [];
  /** Replicas that failed as coordinator: they get no MERGE. */
  private readonly failed: ServerId[] = [];
  private attempt = 0;
  private replicating = false;
  private result: { versioned: Versioned; dot: Dot; coordinator: ServerId } | undefined;
  private acks = 1;
  private pending = 0;
  private settled = false;

  constructor(
    private readonly host: RoundHost,
    private readonly request: CoordinatedPutRequest,
    /** Live replicas in row order, then those believed down (the local view may be stale). */
    private readonly order: readonly ServerId[],
    private readonly pendingTarget: ServerId | undefined,
    private readonly w: number,
    private readonly listener: WriteListener,
  ) {}

  start(): void {
    this.host.stats.writes++;
    this.askNextCoordinator();
  }

  onReply(server: ServerId, reply: InternodeReply): void {
    if (this.replicating) {
      this.acks++;
      this.pending--;
      this.check();
    } else if (reply.kind !== 'put-result') {
      this.settled = true;
      this.listener.onWriteFailed(unexpectedReply(reply, server, 'put-result'));
    } else {
      this.replicate(server, reply.versioned, reply.dot);
    }
  }

  onFailure(server: ServerId, error: unknown): void {
    const failure = describeFailure(server, error);
    if (this.replicating) {
      this.pending--;
      this.failures.push(failure);
      this.check();
    } else if (!isTransportFailure(error)) {
      this.fail(error);
    } else {
      this.failures.push(failure);
      this.failed.push(server);
      this.attempt++;
      this.askNextCoordinator();
    }
  }

  private askNextCoordinator(): void {
    const coordinator = this.order[this.attempt];
    if (coordinator === undefined) {
      this.fail(writeQuorumError(0, this.w, this.order.length, this.failures));
      return;
    }
    this.host.send(coordinator, this.request, this);
  }

  private replicate(coordinator: ServerId, versioned: Versioned, dot: Dot): void {
    this.replicating = true;
    this.result = { versioned, dot, coordinator };
    const { key, vnode } = this.request;
    const merge: MergeRequest = { kind: 'merge', key, vnode, versioned };
    if (this.pendingTarget !== undefined) this.host.send(this.pendingTarget, merge, IGNORED);
    for (const server of this.order) {
      if (server === coordinator || this.failed.includes(server)) continue;
      this.pending++;
      this.host.send(server, merge, this);
    }
    this.check();
  }

  private check(): void {
    if (this.settled) return;
    if (this.acks >= this.w) {
      this.settled = true;
      const result = this.result as NonNullable<WriteRound['result']>;
      this.listener.onWriteDone({ versioned: result.versioned, dot: result.dot, coordinator: result.coordinator, acks: this.acks });
    } else if (this.acks + this.pending < this.w) {
      this.fail(writeQuorumError(this.acks, this.w, this.order.length, this.failures));
    }
  }

  private fail(error: unknown): void {
    this.settled = true;
    this.host.stats.writeFailures++;
    this.listener.onWriteFailed(error instanceof Error ? error : new RingcacheError('RC_ERR_INTERNAL', 'write failed'));
  }
}
