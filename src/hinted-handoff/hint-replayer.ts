/**
 * Hands hints back to their owners (Dynamo 2007 section 4.6: "once the node detects that A has
 * recovered, it will attempt to deliver the replica to A"):
 *
 *   peer board: owner -> up ---------------\
 *   every replayIntervalMs: expire, retry --+--> pass over the owner's hints (oldest first)
 *        MERGE key state --> owner  (at most replayConcurrency in flight, replayBytesPerSec)
 *        <-- ack: delete the hint, unless a newer hint merged into it meanwhile
 *        <-- failure: end the pass; the next tick or the next "up" starts another
 *
 * A hint is deleted only after its owner acknowledged the MERGE, so a lost reply or a crash of
 * the owner mid-replay costs a second replay (merge is idempotent), never the write.
 */
import type { ServerId } from '../ring/index.js';
import { every, isRingcacheError } from '../runtime/index.js';
import type { Startable, Timer } from '../runtime/index.js';
import type { NodeContext } from '../node/index.js';
import type { MergeRequest } from '../transport/messages.js';
import type { Hint, HintStore } from './hint-store.js';
import type { HintOptions } from './options.js';
import { TokenBucket } from './token-bucket.js';

export interface HintReplayerDeps {
  readonly context: NodeContext;
  readonly store: HintStore;
  readonly options: HintOptions;
}

export interface HintReplayerStats {
  /** Hints deleted after their owner acknowledged them. */
  replayed: number;
  /** Bytes of those hints, by the store's accounting. */
  replayedBytes: number;
  /** MERGEs sent (replayed ones and the ones that failed or were superseded). */
  sent: number;
  /** Passes ended by a failure to reach the owner. */
  failedPasses: number;
  /** Hints whose owner no longer held their vnode, deleted once a current replica took them. */
  forwarded: number;
}

interface Pass {
  readonly owner: ServerId;
  readonly hints: IterableIterator<Hint>;
  /** Hints this pass may still send: the owner's count when it began, so a pass always ends. */
  budget: number;
  /** The next hint to send, read ahead to know its size before taking tokens. */
  next: Hint | undefined;
  inflight: number;
  failed: boolean;
}

/** Refusals that will not change on a retry: the hint is dropped instead of replayed forever. */
const PERMANENT_REFUSALS = ['RC_ERR_PROTOCOL', 'RC_ERR_KEY_TOO_LARGE', 'RC_ERR_VALUE_TOO_LARGE'] as const;

/**
 * Forwarding a hint whose owner no longer holds its vnode (it moved away, was drained or removed):
 *
 *   owner refuses RC_ERR_NOT_OWNER, or left the table
 *     --> MERGE the hint to every current replica of its row (and a pending move's target)
 *     --> the first ack deletes it; this node, if now a replica itself, merges it locally
 *
 * Dropping it instead would lose a write the hint is the only copy of: the replica that took the
 * owner's place synced with the row's other replicas, but the hint lived at a fallback outside
 * the row, which anti-entropy never visits. One current replica suffices: anti-entropy spreads
 * it to the rest.
 */
const FORWARD_REFUSAL = 'RC_ERR_NOT_OWNER';

export class HintReplayer implements Startable {
  readonly stats: HintReplayerStats = { replayed: 0, replayedBytes: 0, sent: 0, failedPasses: 0, forwarded: 0 };
  private readonly passes: Pass[] = [];
  private readonly bucket: TokenBucket;
  private cursor = 0;
  private inflight = 0;
  private running = false;
  private ticker: Timer | undefined;
  private wake: Timer | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(protected readonly deps: HintReplayerDeps) {
    this.bucket = new TokenBucket(deps.context.clock, deps.options.replayBytesPerSec, deps.options.replayBytesPerSec);
  }

  start(): void {
    this.running = true;
    const { context, options } = this.deps;
    this.unsubscribe = context.peers.onChange((server, now, before) => {
      if (now.status === 'up' && before.status !== 'up') this.begin(server);
    });
    this.ticker = every(context.clock, options.replayIntervalMs, () => { this.tick(); });
  }

  stop(): void {
    this.running = false;
    this.ticker?.cancel();
    this.wake?.cancel();
    this.unsubscribe?.();
    this.ticker = undefined;
    this.wake = undefined;
    this.unsubscribe = undefined;
  }

  /** Owners being replayed to right now. */
  activeOwners(): ServerId[] {
    return this.passes.map((pass) => pass.owner);
  }

  /** Expires old hints, forwards those of owners that left the table, and retries every owner shown up. */
  tick(): void {
    const { context, store, options } = this.deps;
    store.expire(context.clock.nowMs(), options.ageMsMax);
    const table = context.table.current();
    for (const owner of store.ownersWithHints()) {
      if (table !== undefined && table.server(owner) === undefined) {
        // Bounded by the store (hints.bytesMax per owner); copied first, forwarding deletes entries.
        for (const hint of [...store.hintsOf(owner)]) this.forward(hint);
      } else {
        this.begin(owner);
      }
    }
  }

  /** See FORWARD_REFUSAL. Without a table or a row to forward to, the hint is dropped as its owner left. */
  private forward(hint: Hint): void {
    const { context, store } = this.deps;
    const table = context.table.current();
    const row = table === undefined || hint.vnode >= table.vnodeCount ? undefined : table.row(hint.vnode);
    if (row === undefined) {
      store.drop(hint, 'owner-left');
      return;
    }
    if (row.replicas.includes(context.serverId)) {
      context.engine.merge(hint.key, hint.vnode, hint.versioned);
      if (store.acknowledge(hint)) this.stats.forwarded++;
      return;
    }
    const targets = row.pending === undefined ? row.replicas : [...row.replicas, row.pending.to];
    const body: MergeRequest = { kind: 'merge', key: hint.key, vnode: hint.vnode, versioned: hint.versioned };
    const timeoutMs = context.config.replication.requestTimeoutMs;
    let taken = false;
    for (const target of targets) {
      this.stats.sent++;
      context.transport.send(target, { epoch: context.table.epoch(), body }, timeoutMs).then((reply) => {
        if (reply.body.kind !== 'ack' || taken) return;
        taken = true;
        if (store.acknowledge(hint)) this.stats.forwarded++;
      }, () => {
        // Kept: the next pass or tick forwards it again (or the owner comes back into the row).
      });
    }
  }

  /** Starts a pass over the owner's hints if the board shows it up and none is running. */
  begin(owner: ServerId): void {
    const { context, store } = this.deps;
    if (!this.running || context.peers.view(owner).status !== 'up' || store.countOf(owner) === 0) return;
    if (this.passes.some((pass) => pass.owner === owner)) return;
    const hints = store.hintsOf(owner);
    this.passes.push({ owner, hints, budget: store.countOf(owner), next: undefined, inflight: 0, failed: false });
    this.pump();
  }

  /** What happens once a MERGE is on its way: nothing; the hint waits for the owner's ack. */
  protected onSent(_hint: Hint): void {
    // The hint stays until acknowledged (see onAcknowledged).
  }

  /** The owner acknowledged: delete the hint, unless a newer one merged into it meanwhile. */
  protected onAcknowledged(hint: Hint): void {
    if (this.deps.store.acknowledge(hint)) {
      this.stats.replayed++;
      this.stats.replayedBytes += hint.bytes;
    }
  }

  /** Sends hints round-robin over the passes while concurrency and tokens allow. */
  private pump(): void {
    const concurrency = this.deps.options.replayConcurrency;
    // Bounded: each turn sends one hint, and every pass has a finite budget.
    while (this.running && this.inflight < concurrency) {
      const pass = this.nextReadyPass();
      if (pass === undefined) return;
      const hint = pass.next as Hint;
      const waitMs = this.bucket.take(hint.bytes);
      if (waitMs > 0) {
        this.wake ??= this.deps.context.clock.schedule(waitMs, () => { this.wake = undefined; this.pump(); });
        return;
      }
      pass.next = undefined;
      pass.budget--;
      this.send(pass, hint);
    }
  }

  /** The next pass (round-robin) with a hint to send; passes with nothing left and nothing in flight end. */
  private nextReadyPass(): Pass | undefined {
    for (let tried = 0; tried < this.passes.length;) {
      this.cursor %= this.passes.length;
      const pass = this.passes[this.cursor] as Pass;
      if (this.peek(pass) !== undefined) {
        this.cursor++;
        return pass;
      }
      // An ended pass leaves the cursor on its successor; one still waiting on replies is skipped.
      if (!this.endIfIdle(pass)) {
        this.cursor++;
        tried++;
      }
    }
    return undefined;
  }

  /** The pass's next hint still held (a hint may have expired or been merged since it was read). */
  private peek(pass: Pass): Hint | undefined {
    if (pass.failed) return undefined;
    while (pass.next === undefined && pass.budget > 0) {
      const step = pass.hints.next();
      if (step.done === true) {
        pass.budget = 0;
        break;
      }
      pass.next = this.deps.store.find(pass.owner, step.value.key);
      if (pass.next === undefined) pass.budget--;
    }
    return pass.next;
  }

  private send(pass: Pass, hint: Hint): void {
    const { context } = this.deps;
    const body: MergeRequest = { kind: 'merge', key: hint.key, vnode: hint.vnode, versioned: hint.versioned };
    this.inflight++;
    pass.inflight++;
    this.stats.sent++;
    const timeoutMs = context.config.replication.requestTimeoutMs;
    context.transport.send(pass.owner, { epoch: context.table.epoch(), body }, timeoutMs).then(
      (reply) => {
        if (reply.body.kind === 'ack') this.onAcknowledged(hint);
        else pass.failed = true;
      },
      (error: unknown) => {
        if (isRingcacheError(error, FORWARD_REFUSAL)) this.forward(hint);
        else if (PERMANENT_REFUSALS.some((code) => isRingcacheError(error, code))) this.deps.store.drop(hint, 'refused');
        else pass.failed = true;
      },
    ).finally(() => {
      this.inflight--;
      pass.inflight--;
      this.endIfIdle(pass);
      this.pump();
    });
    this.onSent(hint);
  }

  /** Ends a pass with nothing left to send (or that failed) once its replies are in; returns whether it ended. */
  private endIfIdle(pass: Pass): boolean {
    if (pass.inflight > 0 || (!pass.failed && this.peek(pass) !== undefined)) return false;
    const index = this.passes.indexOf(pass);
    if (index < 0) return false;
    this.passes.splice(index, 1);
    if (pass.failed) this.stats.failedPasses++;
    return true;
  }
}
