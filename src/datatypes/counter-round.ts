/**
 * One typed operation (INCRBY, or a hash or set operation) through the Coordinator, in two
 * phases like a write (replication/write-round.ts):
 *
 *   coordinating  RC.INCRBY / RC.TYPEDOP to the first replica of the write order; it applies it
 *   replicating   MERGE of the state it stored to every other replica; done at W acks, the
 *                 coordinating replica's included; a pending move's target gets it uncounted
 *
 * A refusal by fencing (a table newer than ours) applied nothing, so the increment starts over
 * on the new table (up to FENCING_REFRESHES_MAX times). Unlike a write, a failed coordinator is never retried at the next replica: a timeout is
 * ambiguous (the increment may have been applied), and applying it at a second coordinator would
 * count it twice. So an acknowledged increment is counted exactly once and an unacknowledged one
 * at most once; a resend to the same node is answered from its memory of request ids.
 */
import { FENCING_REFRESHES_MAX, fencedEpoch } from '../replication/index.js';
import type { Coordinator, Exchange, WritePlan } from '../replication/index.js';
import type { ServerId } from '../ring/index.js';
import { RingcacheError } from '../runtime/index.js';
import type { PeerReply } from '../transport/index.js';
import type { Versioned } from '../version/index.js';
import type { IncrementRefusal } from './counter-op.js';
import type { CounterAddRequest } from './counter-messages.js';
import type { CollectionOpRequest } from './collection-messages.js';
import type { OperationAnswer, OperationRefusal } from './collection-op.js';

export type CounterOutcome = { readonly value: bigint; readonly versioned: Versioned } | IncrementRefusal;
export type OperationOutcome = { readonly answer: OperationAnswer; readonly versioned: Versioned } | OperationRefusal;

export interface CounterListener {
  onCounterDone(outcome: CounterOutcome): void;
  onCounterFailed(error: Error): void;
}

/** What the coordinating replica's reply means: an outcome to answer at once, or a state to replicate. */
type Reading<T> = { readonly immediate: T } | { readonly result: T; readonly versioned: Versioned } | undefined;

interface RoundListener<T> {
  done(outcome: T): void;
  failed(error: Error): void;
}

class OperationRound<T> implements Exchange {
  private replicating = false;
  private acks = 1;
  private pending = 0;
  private settled = false;
  private result: T | undefined;
  private readonly failures: string[] = [];
  /** Table fetches fencing refusals caused: it starts over up to FENCING_REFRESHES_MAX times. */
  private retries = 0;

  constructor(
    private readonly coordinator: Coordinator,
    private readonly request: CounterAddRequest | CollectionOpRequest,
    private readonly read: (reply: PeerReply) => Reading<T>,
    private order: readonly ServerId[],
    private pendingTarget: ServerId | undefined,
    private readonly w: number,
    private readonly listener: RoundListener<T>,
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
    const reading = this.read(reply);
    if (reading === undefined) {
      this.fail(new RingcacheError('RC_ERR_INTERNAL', `${server} answered '${reply.kind}' to '${this.request.kind}'`));
      return;
    }
    if ('immediate' in reading) {
      this.settled = true;
      this.listener.done(reading.immediate);
      return;
    }
    this.replicate(server, reading.result, reading.versioned);
  }

  onFailure(server: ServerId, error: unknown): void {
    if (this.settled) return;
    const line = `${server}: ${error instanceof Error ? error.message : 'failed'}`;
    const epoch = fencedEpoch(error);
    if (!this.replicating && epoch !== undefined && this.retries < FENCING_REFRESHES_MAX) {
      // Refused by fencing: nothing was applied, so the increment may start over on the new table.
      this.retries++;
      this.coordinator.afterEpoch(epoch, () => { this.restart(); });
      return;
    }
    if (!this.replicating) {
      this.fail(error instanceof RingcacheError
        ? new RingcacheError(error.code, `${this.what()} not acknowledged (it may or may not have been applied; never retried at another replica): ${error.message}`)
        : new RingcacheError('RC_ERR_INTERNAL', line));
      return;
    }
    this.pending--;
    this.failures.push(line);
    this.check();
  }

  private what(): string {
    return this.request.kind === 'counter-add' ? 'increment' : this.request.name.toUpperCase();
  }

  private restart(): void {
    let plan: WritePlan;
    try {
      plan = this.coordinator.writePlan(this.request.key, this.w);
    } catch (error) {
      this.fail(error instanceof Error ? error : new RingcacheError('RC_ERR_INTERNAL', `${this.what()} retry failed`));
      return;
    }
    this.order = plan.order;
    this.pendingTarget = plan.pendingTarget;
    this.start();
  }

  private replicate(coordinatingServer: ServerId, result: T, versioned: Versioned): void {
    this.replicating = true;
    this.result = result;
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
      this.listener.done(this.result);
    } else if (this.acks + this.pending < this.w) {
      this.fail(new RingcacheError('RC_ERR_QUORUM_WRITE',
        `${this.what()} acknowledged by ${String(this.acks)} of ${String(this.w)} required replicas (w=${String(this.w)}; ${this.failures.join('; ')}); ` +
        'it is applied at the coordinating replica and repair spreads it; see replication.w'));
    }
  }

  private fail(error: Error): void {
    this.settled = true;
    this.coordinator.stats.writeFailures++;
    this.listener.failed(error);
  }
}

const IGNORED_EXCHANGE: Exchange = Object.freeze({ onReply: () => undefined, onFailure: () => undefined });

/** INCRBY `amount` on `key` with the coordinator's W (or `w`); bad input throws here. */
export function incrementCounter(coordinator: Coordinator, key: Uint8Array, amount: bigint, listener: CounterListener, w?: number): void {
  const plan = coordinator.writePlan(key, w);
  const request: CounterAddRequest = { kind: 'counter-add', requestId: plan.requestId, vnode: plan.vnode, key, amount };
  coordinator.stats.writes++;
  const read = (reply: PeerReply): Reading<CounterOutcome> => {
    if (reply.kind !== 'counter-result') return undefined;
    return reply.outcome === 'ok' ? { result: { value: reply.value, versioned: reply.versioned }, versioned: reply.versioned } : { immediate: reply.outcome };
  };
  new OperationRound(coordinator, request, read, plan.order, plan.pendingTarget, plan.w, {
    done: (outcome) => { listener.onCounterDone(outcome); },
    failed: (error) => { listener.onCounterFailed(error); },
  }).start();
}

export function incrementCounterAsync(coordinator: Coordinator, key: Uint8Array, amount: bigint, w?: number): Promise<CounterOutcome> {
  return new Promise((resolve, reject) => {
    incrementCounter(coordinator, key, amount, { onCounterDone: resolve, onCounterFailed: reject }, w);
  });
}

function readOperation(reply: PeerReply): Reading<OperationOutcome> {
  if (reply.kind !== 'collection-result') return undefined;
  if (reply.outcome !== 'ok') return { immediate: reply.outcome };
  const result = { answer: reply.answer, versioned: reply.versioned };
  // A no-op on a key the coordinating replica does not hold (SREM of an absent set): nothing to replicate.
  if (reply.versioned.context.length === 0) return { immediate: result };
  return { result, versioned: reply.versioned };
}

/**
 * A hash or set operation (`name` and its arguments after the key, already checked by the caller
 * with parseOperation) on `key`, with the coordinator's W (or `w`). An operation that changed
 * nothing (SREM of an absent member) still replicates the state it read, which is harmless,
 * unless the coordinating replica holds nothing of the key.
 */
export function operateAsync(
  coordinator: Coordinator, key: Uint8Array, name: CollectionOpRequest['name'], args: readonly Uint8Array[], w?: number,
): Promise<OperationOutcome> {
  return new Promise((resolve, reject) => {
    const plan = coordinator.writePlan(key, w);
    const request: CollectionOpRequest = { kind: 'collection-op', requestId: plan.requestId, vnode: plan.vnode, key, name, args };
    coordinator.stats.writes++;
    new OperationRound(coordinator, request, readOperation, plan.order, plan.pendingTarget, plan.w, { done: resolve, failed: reject }).start();
  });
}
