import type { Clock, Timer } from '../runtime/clock.js';
import type { ServerId } from '../ring/index.js';
import type { InternodeReply, InternodeRequest } from '../transport/messages.js';
import { merge, truncateSiblings, versionsEqual } from '../version/index.js';
import type { Versioned } from '../version/types.js';
import { expectVersioned, readQuorumError } from './errors.js';
import type { CoordinatorStats, ReadResult } from './types.js';

export interface ReadRoundInput {
  readonly key: Uint8Array;
  readonly vnode: number;
  readonly r: number;
  /** Replicas in the order to ask them: live ones by least outstanding, then those believed down. */
  readonly candidates: readonly ServerId[];
  readonly clock: Clock;
  readonly speculativeRetryMs: number;
  readonly readRepair: boolean;
  readonly siblingsMax: number;
  readonly call: (server: ServerId, request: InternodeRequest) => Promise<InternodeReply>;
  readonly stats: CoordinatorStats;
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
 * plus at most N repairs.
 */
export class ReadRound {
  private readonly replies = new Map<ServerId, Versioned | null>();
  private readonly failures: string[] = [];
  private next = 0;
  private inflight = 0;
  private settled = false;
  private hedge: Timer | undefined;
  private resolve: (result: ReadResult) => void = () => undefined;
  private reject: (error: Error) => void = () => undefined;

  constructor(private readonly input: ReadRoundInput) {}

  run(): Promise<ReadResult> {
    const promise = new Promise<ReadResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.launch(Math.min(this.input.r, this.input.candidates.length));
    this.armHedge();
    this.checkQuorum();
    return promise;
  }

  private launch(count: number): void {
    const { candidates, key, vnode } = this.input;
    for (let i = 0; i < count && this.next < candidates.length; i++) {
      const server = candidates[this.next++] as ServerId;
      this.inflight++;
      this.input.call(server, { kind: 'read', key, vnode }).then(
        (reply) => { this.onReply(server, expectVersioned(reply, server)); },
        (error: unknown) => { this.onFailure(server, error); },
      );
    }
  }

  private armHedge(): void {
    this.hedge = this.input.clock.schedule(this.input.speculativeRetryMs, () => {
      if (this.settled || this.next >= this.input.candidates.length) return;
      this.input.stats.hedgedReads++;
      this.launch(1);
      this.armHedge();
    });
  }

  private onReply(server: ServerId, versioned: Versioned | null): void {
    this.inflight--;
    this.replies.set(server, versioned);
    if (!this.settled && this.replies.size >= this.input.r) {
      this.settle();
      const merged = mergeAll(this.replies.values(), this.input.siblingsMax);
      this.resolve({ versioned: merged, replies: this.replies.size });
      // Disagreement means some replica missed a write: ask the rest so all of them get repaired.
      if (this.input.readRepair && !allEqual(this.replies.values(), merged)) {
        this.launch(this.input.candidates.length);
      }
    }
    this.repairWhenDone();
  }

  private onFailure(server: ServerId, error: unknown): void {
    this.inflight--;
    this.failures.push(`${server}: ${error instanceof Error ? error.message : 'failed'}`);
    if (!this.settled) {
      this.launch(1);
      this.checkQuorum();
    }
    this.repairWhenDone();
  }

  /** Fails the read once R answers can no longer arrive. */
  private checkQuorum(): void {
    if (this.settled) return;
    const remaining = this.input.candidates.length - this.next;
    if (this.replies.size + this.inflight + remaining < this.input.r) {
      this.settle();
      this.reject(readQuorumError(this.replies.size, this.input.r, this.input.candidates.length, this.failures));
    }
  }

  private settle(): void {
    this.settled = true;
    this.hedge?.cancel();
  }

  private repairWhenDone(): void {
    if (!this.settled || this.inflight > 0 || !this.input.readRepair) return;
    const merged = mergeAll(this.replies.values(), this.input.siblingsMax);
    if (merged === null) return;
    const { key, vnode } = this.input;
    for (const [server, versioned] of this.replies) {
      if (versioned !== null && versionsEqual(versioned, merged)) continue;
      this.input.stats.readRepairs++;
      void this.input.call(server, { kind: 'merge', key, vnode, versioned: merged }).catch(() => undefined);
    }
  }
}

/** The join of every reply, truncated to siblingsMax as the nodes would store it; null if none holds the key. */
export function mergeAll(replies: Iterable<Versioned | null>, siblingsMax: number): Versioned | null {
  let merged: Versioned | null = null;
  for (const versioned of replies) {
    if (versioned === null) continue;
    merged = merged === null ? versioned : merge(merged, versioned);
  }
  return merged === null ? null : truncateSiblings(merged, siblingsMax).versioned;
}

function allEqual(replies: Iterable<Versioned | null>, merged: Versioned | null): boolean {
  for (const versioned of replies) {
    if (versioned === null || merged === null) {
      if (versioned !== merged) return false;
    } else if (!versionsEqual(versioned, merged)) {
      return false;
    }
  }
  return true;
}
