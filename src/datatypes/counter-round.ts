/**
 * One INCRBY through the Coordinator, in two phases like a write (replication/write-round.ts):
 *
 *   coordinating  RC.INCRBY to the first replica of the write order; it applies the increment
 *   replicating   MERGE of the state it stored to every other replica; done at W acks, the
 *                 coordinating replica's included; a pending move's target gets it uncounted
 *
 * A refusal by fencing (a table newer than ours) applied nothing, so the increment starts over
 * once on the new table. Unlike a write, a failed coordinator is never retried at the next replica: a timeout is
 * ambiguous (the increment may have been applied), and applying it at a second coordinator would
 * count it twice. So an acknowledged increment is counted exactly once and an unacknowledged one
 * at most once; a resend to the same node is answered from its memory of request ids.
 */
import { fencedEpoch } from '../replication/index.js';
import type { Coordinator, Exchange, WritePlan } from '../replication/index.js';
import type { ServerId } from '../ring/index.js';
import { RingcacheError } from '../runtime/index.js';
import type { PeerReply } from '../transport/index.js';
import type { Versioned } from '../version/index.js';
import type { IncrementRefusal } from './counter-op.js';
import type { CounterAddRequest } from './counter-messages.js';

export type CounterOutcome = { readonly value: bigint; readonly versioned: Versioned } | IncrementRefusal;

export interface CounterListener {
  onCounterDone(outcome: CounterOutcome): void;
  onCounterFailed(error: Error): void;
}

class CounterRound implements Exchange {
  private replicating = false;
  private acks = 1;
  private pending = 0;
  private settled = false;
  private result: { value: bigint; versioned: Versioned } | undefined;
  private readonly failures: string[] = [];
  /** Once a fencing refusal sent it to fetch the table: it starts over once. */
  private retried = false;

  constructor(
    private readonly coordinator: Coordinator,
    private readonly request: CounterAddRequest,
    private order: readonly ServerId[],
    private pendingTarget: ServerId | undefined,
    private readonly w: number,
    private readonly listener: CounterListener,
  ) {}

  start(): void {
    const first = this.order[0];
    if (first === undefined) {
      this.fail(new RingcacheError('RC_ERR_QUORUM_WRITE', 'no replica to coordinate the increment; see cluster.replicaCount'));
      return;
    }
    this.coordinator.send(first, this.request, this);
  }

  onReply(server: ServerId, reply: PeerReply): void {
    if (this.settled) return;
    if (this.replicating) {
      this.acks++;
      this.pending--;
      this.check();
      return;
    }
    if (reply.kind !== 'counter-result') {
      this.fail(new RingcacheError('RC_ERR_INTERNAL', `${server} answered '${reply.kind}' where 'counter-result' was expected`));
      return;
    }
    if (reply.outcome !== 'ok') {
      this.settled = true;
      this.listener.onCounterDone(reply.outcome);
      return;
    }
    this.replicate(server, reply.value, reply.versioned);
  }

  onFailure(server: ServerId, error: unknown): void {
    if (this.settled) return;
    const line = `${server}: ${error instanceof Error ? error.message : 'failed'}`;
    const epoch = fencedEpoch(error);
    if (!this.replicating && epoch !== undefined && !this.retried) {
      // Refused by fencing: nothing was applied, so the increment may start over on the new table.
      this.retried = true;
      this.coordinator.afterEpoch(epoch, () => { this.restart(); });
      return;
    }
    if (!this.replicating) {
      this.fail(error instanceof RingcacheError
        ? new RingcacheError(error.code, `increment not acknowledged (it may or may not have been applied; never retried at another replica): ${error.message}`)
        : new RingcacheError('RC_ERR_INTERNAL', line));
      return;
    }
    this.pending--;
    this.failures.push(line);
    this.check();
  }

  private restart(): void {
    let plan: WritePlan;
    try {
      plan = this.coordinator.writePlan(this.request.key, this.w);
    } catch (error) {
      this.fail(error instanceof Error ? error : new RingcacheError('RC_ERR_INTERNAL', 'increment retry failed'));
      return;
    }
    this.order = plan.order;
    this.pendingTarget = plan.pendingTarget;
    this.start();
  }

  private replicate(coordinatingServer: ServerId, value: bigint, versioned: Versioned): void {
    this.replicating = true;
    this.result = { value, versioned };
    const { key, vnode } = this.request;
    const merge = { kind: 'merge' as const, key, vnode, versioned };
    if (this.pendingTarget !== undefined) this.coordinator.send(this.pendingTarget, merge, IGNORED_EXCHANGE);
    for (const server of this.order) {
      if (server === coordinatingServer) continue;
      this.pending++;
      this.coordinator.send(server, merge, this);
    }
    this.check();
  }

  private check(): void {
    if (this.settled) return;
    if (this.acks >= this.w && this.result !== undefined) {
      this.settled = true;
      this.listener.onCounterDone(this.result);
    } else if (this.acks + this.pending < this.w) {
      this.fail(new RingcacheError('RC_ERR_QUORUM_WRITE',
        `increment acknowledged by ${String(this.acks)} of ${String(this.w)} required replicas (w=${String(this.w)}; ${this.failures.join('; ')}); ` +
        'it is applied at the coordinating replica and repair spreads it; see replication.w'));
    }
  }

  private fail(error: Error): void {
    this.settled = true;
    this.coordinator.stats.writeFailures++;
    this.listener.onCounterFailed(error);
  }
}

const IGNORED_EXCHANGE: Exchange = Object.freeze({ onReply: () => undefined, onFailure: () => undefined });

/** INCRBY `amount` on `key` with the coordinator's W (or `w`); bad input throws here. */
export function incrementCounter(coordinator: Coordinator, key: Uint8Array, amount: bigint, listener: CounterListener, w?: number): void {
  const plan = coordinator.writePlan(key, w);
  const request: CounterAddRequest = { kind: 'counter-add', requestId: plan.requestId, vnode: plan.vnode, key, amount };
  coordinator.stats.writes++;
  new CounterRound(coordinator, request, plan.order, plan.pendingTarget, plan.w, listener).start();
}

export function incrementCounterAsync(coordinator: Coordinator, key: Uint8Array, amount: bigint, w?: number): Promise<CounterOutcome> {
  return new Promise((resolve, reject) => {
    incrementCounter(coordinator, key, amount, { onCounterDone: resolve, onCounterFailed: reject }, w);
  });
}
