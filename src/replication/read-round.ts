import type { ServerId } from '../ring/index.js';
import type { InternodeReply, MergeRequest, ReadRequest } from '../transport/messages.js';
import { merge, truncateSiblings, versionsEqual } from '../version/index.js';
import type { Versioned } from '../version/types.js';
import { describeFailure, expectVersioned, readQuorumError } from './errors.js';
import type { Exchange, RoundHost } from './exchange.js';
import { IGNORED } from './exchange.js';
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
}

/**
 * One quorum read (DESIGN.md section 4):
 *
 *   t=0      ask R replicas
 *   t=spec   fewer than R answers? ask one more (hedge), and again each speculativeRetryMs
 *   failure  ask the next replica at once
 *   R answers  -> resolve with their merge; if they disagree, ask the remaining replicas too
 *   all settled -> read repair: send the merge of everything to each replica that was behind
 *
 * Every replica is asked at most once, so the work of one read is bounded by N requests
 * plus at most N repairs. The round is itself the Exchange of its requests and tells a listener,
 * so a read makes no promise: with R=1 it costs this object, its request and the transport's.
 */
export class ReadRound implements Exchange {
  private readonly request: ReadRequest;
  /** Replies in arrival order: servers[i] answered versions[i] (null: it does not hold the key). */
  private readonly servers: ServerId[] = [];
  private readonly versions: (Versioned | null)[] = [];
  private failures: string[] | undefined;
  /** The merge of the first `mergedCount` replies, kept from settling for the repair. */
  private merged: Versioned | null = null;
  private mergedCount = 0;
  private next = 0;
  private inflight = 0;
  private settled = false;
  private hedgeTicket = -1;

  constructor(
    private readonly host: ReadRoundHost,
    key: Uint8Array,
    private readonly vnode: number,
    private readonly r: number,
    /** Replicas in the order to ask them: live ones by least outstanding, then those believed down. */
    private readonly candidates: readonly ServerId[],
    private readonly listener: ReadListener,
  ) {
    this.request = { kind: 'read', key, vnode };
  }

  /** Asks the first R replicas. */
  start(): void {
    this.launch(Math.min(this.r, this.candidates.length));
    this.armHedge();
    this.checkQuorum();
  }

  onReply(server: ServerId, reply: InternodeReply): void {
    const versioned = expectVersioned(reply, server);
    this.inflight--;
    this.servers.push(server);
    this.versions.push(versioned);
    if (!this.settled && this.versions.length >= this.r) {
      this.settle();
      const merged = this.mergeReplies();
      this.listener.onReadDone({ versioned: merged, replies: this.versions.length });
      // Disagreement means some replica missed a write: ask the rest so all of them get repaired.
      if (this.host.options.readRepair && !this.allEqual(merged)) this.launch(this.candidates.length);
    }
    this.repairWhenDone();
  }

  onFailure(server: ServerId, error: unknown): void {
    this.inflight--;
    (this.failures ??= []).push(describeFailure(server, error));
    if (!this.settled) {
      this.launch(1);
      this.checkQuorum();
    }
    this.repairWhenDone();
  }

  /** speculativeRetryMs passed since the last request went out (the host's hedge queue). */
  onHedgeDue(): void {
    this.hedgeTicket = -1;
    if (this.settled || this.next >= this.candidates.length) return;
    this.host.stats.hedgedReads++;
    this.launch(1);
    this.armHedge();
  }

  private launch(count: number): void {
    const candidates = this.candidates;
    for (let i = 0; i < count && this.next < candidates.length; i++) {
      this.inflight++;
      this.host.send(candidates[this.next++] as ServerId, this.request, this);
    }
  }

  /** Only while a replica is left to hedge to: N=1 and R=N reads arm nothing. */
  private armHedge(): void {
    if (this.next < this.candidates.length) this.hedgeTicket = this.host.scheduleHedge(this);
  }

  /** Fails the read once R answers can no longer arrive. */
  private checkQuorum(): void {
    if (this.settled) return;
    const remaining = this.candidates.length - this.next;
    if (this.versions.length + this.inflight + remaining < this.r) {
      this.settle();
      this.host.stats.readFailures++;
      this.listener.onReadFailed(readQuorumError(this.versions.length, this.r, this.candidates.length, this.failures ?? []));
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
    for (let i = 0; i < this.versions.length; i++) {
      const versioned = this.versions[i] as Versioned | null;
      if (versioned !== null && versionsEqual(versioned, merged)) continue;
      this.host.stats.readRepairs++;
      repair ??= { kind: 'merge', key: this.request.key, vnode: this.vnode, versioned: merged };
      this.host.send(this.servers[i] as ServerId, repair, IGNORED);
    }
  }

  /** mergeAll of every reply so far; computed once per new reply (settling and repair share it). */
  private mergeReplies(): Versioned | null {
    if (this.mergedCount !== this.versions.length) {
      this.merged = mergeAll(this.versions, this.host.options.siblingsMax);
      this.mergedCount = this.versions.length;
    }
    return this.merged;
  }

  private allEqual(merged: Versioned | null): boolean {
    for (const versioned of this.versions) {
      if (versioned === null || merged === null) {
        if (versioned !== merged) return false;
      } else if (!versionsEqual(versioned, merged)) {
        return false;
      }
    }
    return true;
  }
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
