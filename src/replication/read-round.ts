import type { Placement, ServerId } from '../ring/index.js';
import type { HintReadRequest } from '../hinted-handoff/index.js';
import type { InternodeReply, MergeRequest, ReadRequest } from '../transport/messages.js';
import { merge, truncateSiblings, versionsEqual } from '../version/index.js';
import type { Versioned } from '../version/types.js';
import { describeFailure, expectVersioned, fencedEpoch, readQuorumError } from './errors.js';
import { FENCING_REFRESHES_MAX } from './write-round.js';
import type { Exchange, RoundHost } from './exchange.js';
import { IGNORED } from './exchange.js';
import { repairNeed } from './repair-need.js';
import type { ReadResult } from './types.js';

/** Who hears how a read ended: exactly one call, never inside the call that started the read. */
export interface ReadListener {
  onReadDone(result: ReadResult): void;
  onReadFailed(error: Error): void;
}

/** A coordinator that also schedules hedges (one DeadlineQueue of speculativeRetryMs for all reads). */
export interface ReadRoundHost extends RoundHost {
  /** Calls `round.onHedgeDue()` after speculativeRetryMs; returns the ticket that cancels it. */
  scheduleHedge(round: ReadRound): number;
  cancelHedge(ticket: number): void;
  /** Runs the read again on the table at `epoch` (a node refused it by fencing); `retries`: the new round's count. */
  retryRead(key: Uint8Array, vnode: number, r: number, epoch: number, listener: ReadListener, retries: number): void;
}

/**
 * One quorum read (DESIGN.md section 4):
 *
 *   t=0      ask R replicas
 *   t=spec   fewer than R answers? ask one more (hedge), and again each speculativeRetryMs
 *   failure, or "absent" from a recovering replica (no answer: it may just not be refilled yet)
 *            ask the next: a live replica; else a live fallback (RC.HINTREAD: its hints for the
 *            key and what it holds: sloppy quorum's read side); else a replica believed down
 *   R answers  -> resolve with their merge; if one is behind by more than in-flight writes, ask
 *            the remaining replicas too
 *   all settled -> read repair: the merge to each replica that is behind by more than writes of
 *            the last readRepairDelayMs (those are the write's own MERGE, still on the way)
 *   fewer than R can answer, and some refused by fencing (node/fencing.ts): the read once more
 *            on the table at the epoch they named (up to FENCING_REFRESHES_MAX times)
 *
 * When every replica and fallback that could answer has, and fewer than R of them counted (the
 * rest recovering and empty), the read answers with the merge of what they said instead of
 * failing: after a whole cluster restarts empty every replica is recovering, and failing every
 * read until anti-entropy ends would make a cold start unavailable while adding no safety (the
 * memory is gone either way). It fails only when fewer than R servers answered at all.
 *
 * A fallback's "absent" counts only once a replica of the row has replied. Fallbacks hold hints of
 * writes made while a replica was down, nothing older: when every replica timed out (slow under a
 * burst, not down), fallbacks' "absent" alone would read a stored key as missing. Such a read
 * fails instead.
 *
 * Every server is asked at most once, N fallbacks at most, so a read is bounded by 2N requests
 * plus N repairs. The round is the Exchange of its requests and tells a listener, so a read makes
 * no promise: with R=1 it costs this object, its request and the transport's.
 */
export class ReadRound implements Exchange {
  private readonly request: ReadRequest;
  /** Replies in arrival order: servers[i] answered versions[i] (null: it does not hold the key). */
  private readonly servers: ServerId[] = [];
  private readonly versions: (Versioned | null)[] = [];
  private failures: string[] | undefined;
  /** Replies that count toward R (not a recovering replica's "absent"). */
  private answers = 0;
  /** Replies from the row's own replicas, recovering or not. */
  private replicaReplies = 0;
  /** Fallbacks' "absent" held back until a replica of the row has replied (see onReply). */
  private heldFallbackAbsents = 0;
  /** Indexes of replies from recovering servers: they lost memory, so "recent" is no excuse not to repair them. */
  private recovering: number[] | undefined;
  /** The merge of the first `mergedCount` replies, kept from settling for the repair. */
  private merged: Versioned | null = null;
  private mergedCount = 0;
  private next = 0;
  /** Built on the first sloppy read of this round (most rounds never ask a fallback). */
  private sloppy: Sloppy | undefined;
  private inflight = 0;
  private settled = false;
  private hedgeTicket = -1;
  /** The newest epoch a fencing refusal named: the read is retried on it if it cannot reach R. */
  private fencedAt: number | undefined;

  /**
   * `replicas`: the placement's live replicas by least outstanding, then those believed down.
   * Fallbacks come from `placement.fallbacks`, unfiltered: the round picks those it believes up.
   */
  constructor(
    private readonly host: ReadRoundHost,
    key: Uint8Array,
    private readonly vnode: number,
    private readonly r: number,
    private readonly replicas: readonly ServerId[],
    private readonly placement: Placement,
    private readonly listener: ReadListener,
    /** Fencing retries before this round: at FENCING_REFRESHES_MAX it is not retried again. */
    private readonly retries = 0,
  ) {
    this.request = { kind: 'read', key, vnode };
  }

  /** Asks the first R replicas. */
  start(): void {
    this.refill();
    this.armHedge();
    this.checkQuorum();
  }

  onReply(server: ServerId, reply: InternodeReply): void {
    const versioned = expectVersioned(reply, server);
    this.inflight--;
    this.servers.push(server);
    this.versions.push(versioned);
    const recovering = reply.kind === 'versioned' && reply.recovering === true;
    if (recovering) (this.recovering ??= []).push(this.versions.length - 1);
    const fallback = this.isFallback(server);
    if (!fallback && this.replicaReplies++ === 0 && this.heldFallbackAbsents > 0) {
      // They count now, and make the read sloppy as any fallback answer does.
      this.answers += this.heldFallbackAbsents;
      if (this.sloppy !== undefined) this.sloppy.answers += this.heldFallbackAbsents;
      this.heldFallbackAbsents = 0;
    }
    if (recovering && versioned === null) {
      // Not an answer: the key may be on its way to this replica. Ask another.
      if (!this.settled) this.refill();
    } else if (fallback && versioned === null && this.replicaReplies === 0) {
      // A fallback holds only the hints of writes made while a replica was down. While no replica
      // of the row has answered (they timed out: slow, not down), its "absent" says nothing of
      // older writes, and counting it would read an acknowledged key as missing.
      this.heldFallbackAbsents++;
      if (!this.settled) this.refill();
    } else if (this.countAnswer(server) >= this.r && !this.settled) {
      this.settle();
      const merged = this.mergeReplies();
      this.listener.onReadDone({ versioned: merged, replies: this.versions.length, quorum: this.sloppy === undefined || this.sloppy.answers === 0 ? 'strict' : 'sloppy' });
      // Some replica missed more than an in-flight write: ask the rest so all of them get repaired.
      if (this.host.options.readRepair && this.anyNeedsRepair(merged)) this.launchReplicas();
    }
    this.checkQuorum();
    this.repairWhenDone();
  }

  onFailure(server: ServerId, error: unknown): void {
    this.inflight--;
    (this.failures ??= []).push(describeFailure(server, error));
    const epoch = fencedEpoch(error);
    if (epoch !== undefined) this.fencedAt = Math.max(epoch, this.fencedAt ?? 0);
    if (!this.settled) {
      this.refill();
      this.checkQuorum();
    }
    this.repairWhenDone();
  }

  /** speculativeRetryMs passed since the last request went out (the host's hedge queue). */
  onHedgeDue(): void {
    this.hedgeTicket = -1;
    if (this.settled || this.next >= this.replicas.length) return;
    this.host.stats.hedgedReads++;
    this.launchOne();
    this.armHedge();
  }

  /** Counts an answer toward R; returns the count. */
  private countAnswer(server: ServerId): number {
    if (this.sloppy !== undefined && this.isFallback(server)) this.sloppy.answers++;
    return ++this.answers;
  }

  /** Asks more servers while fewer than R answers are in hand or on their way, and someone is left. */
  private refill(): void {
    while (this.answers + this.inflight < this.r && this.launchOne());
  }

  /** Asks the next live replica, else the next live fallback, else the next replica believed down. */
  private launchOne(): boolean {
    const replicas = this.replicas;
    if (this.next >= this.placement.live.length && this.askFallback()) return true;
    if (this.next >= replicas.length) return false;
    this.inflight++;
    this.host.send(replicas[this.next++] as ServerId, this.request, this);
    return true;
  }

  /** The rest of the row, for repair: fallbacks are not replicas and get no repair. */
  private launchReplicas(): void {
    const replicas = this.replicas;
    while (this.next < replicas.length) {
      this.inflight++;
      this.host.send(replicas[this.next++] as ServerId, this.request, this);
    }
  }

  /** Sends RC.HINTREAD to the next fallback believed up, at most N of them; false when none is left. */
  private askFallback(): boolean {
    const { replicas } = this;
    const fallbacks = this.placement.fallbacks;
    if (fallbacks.length === 0) return false;
    const sloppy = (this.sloppy ??= { next: 0, asked: 0, answers: 0, request: { kind: 'hint-read', key: this.request.key, vnode: this.vnode } });
    if (sloppy.asked >= replicas.length) return false;
    while (sloppy.next < fallbacks.length) {
      const fallback = fallbacks[sloppy.next++] as ServerId;
      if (!this.host.liveness.isUp(fallback)) continue;
      sloppy.asked++;
      this.inflight++;
      this.host.stats.fallbackReads++;
      this.host.send(fallback, sloppy.request, this);
      return true;
    }
    return false;
  }

  /** Only while a replica is left to hedge to: N=1 and R=N reads arm nothing. */
  private armHedge(): void {
    if (this.next < this.replicas.length) this.hedgeTicket = this.host.scheduleHedge(this);
  }

  /**
   * Once refill() found nobody left to ask and fewer than R answers are in hand or on their way:
   * fails when fewer than R servers can reply at all, or answers with what it has once the last
   * reply is in (some were recovering replicas' "absent": see the class comment).
   */
  private checkQuorum(): void {
    if (this.settled || this.answers + this.inflight >= this.r) return;
    // Only fallbacks answered, all "absent" (every replica failed): not knowing is never a nil.
    const unknown = this.inflight === 0 && this.replicaReplies === 0 && this.mergeReplies() === null;
    if (this.versions.length + this.inflight < this.r || unknown) {
      this.settle();
      if (this.fencedAt !== undefined && this.retries < FENCING_REFRESHES_MAX) {
        // Replicas refused a read built on an older table: fetch it and read once more (again if
        // moves advanced the table past it meanwhile).
        this.host.retryRead(this.request.key, this.vnode, this.r, this.fencedAt, this.listener, this.retries + 1);
        return;
      }
      this.host.stats.readFailures++;
      this.listener.onReadFailed(readQuorumError(this.answers, this.r, this.replicas.length + (this.sloppy?.asked ?? 0), this.failures ?? []));
    } else if (this.inflight === 0) {
      this.settle();
      this.host.stats.partialReads++;
      this.listener.onReadDone({ versioned: this.mergeReplies(), replies: this.versions.length, quorum: 'partial' });
    }
  }

  private settle(): void {
    this.settled = true;
    if (this.hedgeTicket >= 0) this.host.cancelHedge(this.hedgeTicket);
    this.hedgeTicket = -1;
  }

  private repairWhenDone(): void {
    if (!this.settled || this.inflight > 0 || !this.host.options.readRepair) return;
    const merged = this.mergeReplies();
    if (merged === null) return;
    let repair: MergeRequest | undefined;
    // The clock is read only once a replica differs: agreeing replicas (the usual read) cost nothing more.
    let nowMs = -1;
    for (let i = 0; i < this.versions.length; i++) {
      const versioned = this.versions[i] as Versioned | null;
      if (versioned !== null && (versioned === merged || versionsEqual(versioned, merged))) continue;
      const server = this.servers[i] as ServerId;
      if (this.isFallback(server)) continue;
      if (nowMs < 0) nowMs = this.host.nowMs();
      if (repairNeed(versioned, merged, nowMs, this.repairDelayMs(i)) === 'recent') {
        this.host.stats.readRepairsSkipped++;
        continue;
      }
      this.host.stats.readRepairs++;
      repair ??= { kind: 'merge', key: this.request.key, vnode: this.vnode, versioned: merged };
      this.host.send(server, repair, IGNORED);
    }
  }

  /** A server asked as a fallback: its answer counts toward R but it gets no read repair. */
  private isFallback(server: ServerId): boolean {
    return this.sloppy !== undefined && !this.replicas.includes(server);
  }

  /** readRepairDelayMs, except for a recovering server: it lost its memory, so a recent miss is no in-flight write. */
  private repairDelayMs(reply: number): number {
    return this.recovering?.includes(reply) === true ? 0 : this.host.options.readRepairDelayMs;
  }

  /** mergeAll of every reply so far; computed once per new reply (settling and repair share it). */
  private mergeReplies(): Versioned | null {
    if (this.mergedCount !== this.versions.length) {
      this.merged = mergeAll(this.versions, this.host.options.siblingsMax);
      this.mergedCount = this.versions.length;
    }
    return this.merged;
  }

  /** Whether some replica that answered is behind by more than writes still on their way. */
  private anyNeedsRepair(merged: Versioned | null): boolean {
    if (merged === null) return false;
    let nowMs = -1;
    for (let i = 0; i < this.versions.length; i++) {
      const versioned = this.versions[i] as Versioned | null;
      if (versioned !== null && (versioned === merged || versionsEqual(versioned, merged))) continue;
      if (this.isFallback(this.servers[i] as ServerId)) continue;
      if (nowMs < 0) nowMs = this.host.nowMs();
      if (repairNeed(versioned, merged, nowMs, this.repairDelayMs(i)) === 'repair') return true;
    }
    return false;
  }
}

/** A round's sloppy reads: the next fallback to consider, how many were asked and counted, the one request. */
interface Sloppy {
  next: number;
  asked: number;
  answers: number;
  readonly request: HintReadRequest;
}

/** The join of every reply, truncated to siblingsMax as the nodes would store it; null if none holds the key. */
export function mergeAll(replies: Iterable<Versioned | null>, siblingsMax: number): Versioned | null {
  let merged: Versioned | null = null;
  for (const versioned of replies) {
    if (versioned === null) continue;
    merged = merged === null ? versioned : merge(merged, versioned);
  }
  if (merged === null || merged.siblings.length <= siblingsMax) return merged;
  return truncateSiblings(merged, siblingsMax).versioned;
}
