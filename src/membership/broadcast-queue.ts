import type { ServerId } from '../ring/index.js';
import type { MemberUpdate } from './member-state.js';
import { updateBytes } from './update-codec.js';

interface Queued {
  readonly update: MemberUpdate;
  transmits: number;
  /** Insertion order: among equally sent updates, the older goes first. */
  readonly sequence: number;
}

/**
 * Updates waiting to be piggybacked (SWIM section 4.1, infection-style dissemination): each rides
 * in up to `limit` messages (retransmitLimit(): lambda log n), least-sent first, then leaves the
 * queue. One entry per member: news about a member replaces older news about it, so the queue
 * never holds more than the membership.
 */
export class BroadcastQueue {
  private readonly queued = new Map<ServerId, Queued>();
  private sequence = 0;

  get size(): number {
    return this.queued.size;
  }

  enqueue(update: MemberUpdate): void {
    this.queued.set(update.member, { update, transmits: 0, sequence: this.sequence++ });
  }

  forget(member: ServerId): void {
    this.queued.delete(member);
  }

  /**
   * Up to `countMax` updates in at most `bytesMax` bytes, least-sent first; each taken update
   * counts one transmission. Members in `skip` are already in the message (this node's own
   * claim, the receiver's): their news counts as sent too.
   */
  take(countMax: number, bytesMax: number, limit: number, skip: ReadonlySet<ServerId>): MemberUpdate[] {
    if (this.queued.size === 0 || countMax <= 0) return [];
    const order = [...this.queued.values()].sort((a, b) => a.transmits - b.transmits || a.sequence - b.sequence);
    const taken: MemberUpdate[] = [];
    let bytes = 0;
    for (const entry of order) {
      if (taken.length >= countMax) break;
      const skipped = skip.has(entry.update.member);
      const size = skipped ? 0 : updateBytes(entry.update);
      if (bytes + size > bytesMax) continue;
      bytes += size;
      if (!skipped) taken.push(entry.update);
      entry.transmits++;
      if (entry.transmits >= limit) this.queued.delete(entry.update.member);
    }
    return taken;
  }
}
