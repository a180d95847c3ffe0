import { RingcacheError } from '../runtime/errors.js';
import type { Placement, ServerId } from '../ring/index.js';
import type { HintRequest } from '../hinted-handoff/index.js';
import { hintRequest } from '../hinted-handoff/index.js';
import type { CoordinatedPutRequest, InternodeReply, MergeRequest } from '../transport/messages.js';
import type { Dot, Versioned } from '../version/types.js';
import { describeFailure, fencedEpoch, isTransportFailure, primaryQuorumError, unexpectedReply, writeQuorumError } from './errors.js';
import type { Exchange, RoundHost } from './exchange.js';

export interface WriteResult {
  /** What the coordinating replica stored: its context is the token a client sends back next time. */
  readonly versioned: Versioned;
  /** The dot the coordinating replica minted for this write. */
  readonly dot: Dot;
  readonly coordinator: ServerId;
  readonly acks: number;
  /** Acknowledgements that came from fallbacks holding a hint (sloppy quorum); 0 when all were replicas. */
  readonly hinted: number;
  /** Those fallbacks, in the order they acknowledged (empty when `hinted` is 0). */
  readonly hintedBy: readonly ServerId[];
}

const NO_FALLBACKS: readonly ServerId[] = Object.freeze([]);

/**
 * Table fetches a round may make after fencing refusals. One suffices when the table changes
 * once; a rebalance commits an epoch per move step, a few a second, and a resend can meet the
 * next one. Each fetch waits for a newer epoch (or requestTimeoutMs), so the bound is time too.
 */
export const FENCING_REFRESHES_MAX = 3;

/** Who hears how a write ended: exactly one call, never inside the call that started the write. */
export interface WriteListener {
  onWriteDone(result: WriteResult): void;
  onWriteFailed(error: Error): void;
}

/**
 * One quorum write (DESIGN.md section 4), in two phases:
 *
 *   coordinating  COORD.PUT to the first live replica; unreachable or timed out? the next one,
 *                 then those believed down (the view may be stale)
 *   replicating   MERGE of what it stored to every other live replica; for a replica believed
 *                 down, failed as coordinator, or whose MERGE fails to reach it, RC.HINT to the
 *                 next live fallback of the ring walk, naming it (sloppy quorum, Dynamo 4.6).
 *                 Done at W acks, hints included, of which PW from the row; the rest finish in
 *                 the background.
 *
 * While a move is pending (row [A B C], C moving to T), the MERGE goes to T too and the write
 * needs W acks of the row as it is and W of the row the move will make ([A B T]): a joint
 * quorum, as in Raft's joint consensus. The swap can commit, and reads count T, while
 * coordinators and replicas still work on the older table; a write acknowledged by [A B C]
 * alone would then be missing from T, and an R=1 read there would miss it (W=N). A hint for T
 * counts for T, as a hint does for any replica.
 *
 *   row [A B C], B down, fallbacks [D E]:   COORD.PUT A --> MERGE C, HINT(owner B) D   W=3 met
 *
 * Each fallback holds at most one hint of a write, so W acks are W distinct nodes. Only a replica
 * coordinates: when none can, the write fails rather than a fallback minting the dot. A fallback
 * holds nothing of the key, so a blind write coordinated there would supersede nothing and come
 * back as a sibling of every older value; the dot counter and the duplicate-request memory live
 * with a replica's data handlers; and a row with all N replicas unreachable is past what sloppy
 * quorum is for (transient failures of a few nodes), so the caller hears it.
 *
 * A timeout is ambiguous (the write may have been applied), so a retried write can leave two
 * siblings with the same value; nodes apply a resent requestId once. The round is the Exchange of
 * all its requests and tells a listener: no promise per request.
 */
export class WriteRound implements Exchange {
  /** What each failed request said, for the error; built on the first failure. */
  private failures: string[] | undefined;
  /** Replicas that failed as coordinator: they get a hint, not a MERGE. */
  private failed: ServerId[] | undefined;
  private attempt = 0;
  private replicating = false;
  private result: { versioned: Versioned; dot: Dot; coordinator: ServerId } | undefined;
  private acks = 1;
  /** Whom each ack stands for: the replica, or the owner of the hint a fallback took (distinct). */
  private ackedFor: ServerId[] = [];
  /** Acks from the row (the coordinator's included): PW counts these. */
  private primaryAcks = 1;
  /** Requests whose ack could still come: MERGEs and hints. */
  private pending = 0;
  /** MERGEs to replicas whose ack could still come (a redirected one no longer can). */
  private primaryPending = 0;
  private settled = false;
  /** Built on the first hint: most writes never need a fallback, and allocate nothing for them. */
  private handoff: Handoff | undefined;
  /** Table fetches fencing refusals caused so far (at most FENCING_REFRESHES_MAX a round). */
  private refreshes = 0;
  /** A fetch is under way: refusals meanwhile wait for it, holding their pending slots. */
  private refreshing = false;
  /** Pending slots held by refused MERGEs until the fetch ends. */
  private heldSlots = 0;
  /** Replicas that refused a MERGE by fencing, resent on the new table if they still hold the vnode. */
  private refused: ServerId[] | undefined;

  constructor(
    private readonly host: RoundHost,
    private readonly request: CoordinatedPutRequest,
    private placement: Placement,
    private readonly w: number,
    private readonly pw: number,
    private readonly listener: WriteListener,
  ) {}

  start(): void {
    this.host.stats.writes++;
    this.askNextCoordinator();
  }

  onReply(server: ServerId, reply: InternodeReply): void {
    if (!this.replicating) {
      if (reply.kind === 'put-result') {
        this.replicate(server, reply.versioned, reply.dot);
      } else {
        this.settled = true;
        this.listener.onWriteFailed(unexpectedReply(reply, server, 'put-result'));
      }
      return;
    }
    this.pending--;
    const handoff = this.handoff;
    const owner = handoff === undefined ? undefined : ownerIn(handoff, server);
    if (owner === undefined) this.primaryPending--;
    const standsFor = owner ?? server;
    // A resend after a table fetch can reach a server twice; an ack counts once.
    if (!this.ackedFor.includes(standsFor)) {
      this.ackedFor.push(standsFor);
      this.acks++;
      if (owner === undefined) this.primaryAcks++;
      else if (!this.settled) handoff?.acked.push(server);
    }
    this.check();
  }

  onFailure(server: ServerId, error: unknown): void {
    (this.failures ??= []).push(describeFailure(server, error));
    const epoch = fencedEpoch(error);
    const fromFallback = this.handoff !== undefined && ownerIn(this.handoff, server) !== undefined;
    if (epoch !== undefined && !fromFallback && (this.refreshing || this.refreshes < FENCING_REFRESHES_MAX)) {
      this.refreshAt(epoch, server);
      return;
    }
    if (!this.replicating) {
      if (!isTransportFailure(error)) {
        this.fail(error);
        return;
      }
      (this.failed ??= []).push(server);
      this.attempt++;
      this.askNextCoordinator();
      return;
    }
    const owner = this.handoff === undefined ? undefined : ownerIn(this.handoff, server);
    if (owner === undefined) {
      // A MERGE to a replica: unreachable or timed out, its copy goes to a fallback instead.
      this.primaryPending--;
      if (!isTransportFailure(error) || !this.sendHint(server)) this.pending--;
    } else if (!this.sendHint(owner)) {
      // A fallback refused or could not be reached: the next one, while any is left.
      this.pending--;
    }
    this.check();
  }

  /**
   * A node refused by fencing (node/fencing.ts): its table is newer. Before a replica stored the
   * write, nothing was applied, so the round starts over on the new table; after, the refused
   * MERGE goes again to that server if it still holds the vnode, and to the replicas the new
   * table added, counted as the old ones were. Refusals that arrive while the table is fetched
   * (the other replicas of the row learned the same epoch) wait for that fetch and are resent
   * with it. While moves run the epoch can advance again before a resend lands, so a round
   * fetches the table up to FENCING_REFRESHES_MAX times; a refusal past that is a failure.
   */
  private refreshAt(epoch: number, server: ServerId): void {
    if (this.replicating) {
      (this.refused ??= []).push(server);
      // The resends replace this MERGE's pending slot, so the round cannot fail meanwhile.
      this.primaryPending--;
      this.heldSlots++;
    }
    if (this.refreshing) return;
    this.refreshing = true;
    this.refreshes++;
    const old = this.placement;
    this.host.refreshPlacement(epoch, this.request.vnode, (placement) => {
      this.refreshing = false;
      this.placement = placement;
      if (!this.replicating) {
        this.attempt = 0;
        this.failed = undefined;
        this.askNextCoordinator();
        return;
      }
      this.pending -= this.heldSlots;
      this.heldSlots = 0;
      this.resendMerges(old, placement);
      this.refused = undefined;
      this.check();
    });
  }

  private resendMerges(old: Placement, placement: Placement): void {
    const result = this.result as NonNullable<WriteRound['result']>;
    const merge: MergeRequest = { kind: 'merge', key: this.request.key, vnode: this.request.vnode, versioned: result.versioned };
    const refused = this.refused ?? [];
    for (const server of placement.replicas) {
      if (server === result.coordinator) continue;
      if (old.replicas.includes(server) && !refused.includes(server)) continue;
      this.pending++;
      this.primaryPending++;
      this.host.send(server, merge, this);
    }
    const target = placement.pendingTarget;
    if (target !== undefined && target !== result.coordinator && (target !== old.pendingTarget || refused.includes(target))) {
      this.pending++;
      this.primaryPending++;
      this.host.send(target, merge, this);
    }
  }

  /** Live replicas in row order, then those believed down (the local view may be stale). */
  private askNextCoordinator(): void {
    const { live, down } = this.placement;
    const coordinator = this.attempt < live.length ? live[this.attempt] : down[this.attempt - live.length];
    if (coordinator === undefined) {
      this.fail(writeQuorumError(0, this.w, this.placement.replicas.length, this.failures ?? []));
      return;
    }
    this.host.send(coordinator, this.request, this);
  }

  private replicate(coordinator: ServerId, versioned: Versioned, dot: Dot): void {
    this.replicating = true;
    this.result = { versioned, dot, coordinator };
    this.ackedFor.push(coordinator);
    const { key, vnode } = this.request;
    const merge: MergeRequest = { kind: 'merge', key, vnode, versioned };
    const { live, down, pendingTarget } = this.placement;
    const failed = this.failed;
    if (pendingTarget !== undefined && pendingTarget !== coordinator) {
      // Counted for the row the move will make (see the class comment).
      this.pending++;
      this.primaryPending++;
      this.host.send(pendingTarget, merge, this);
    }
    // Indexed loops: the usual write is N-1 MERGEs, with no iterator even before the JIT gets to it.
    for (let i = 0; i < live.length; i++) {
      const server = live[i] as ServerId;
      if (server === coordinator) continue;
      if (failed?.includes(server) === true) {
        if (this.sendHint(server)) this.pending++;
        continue;
      }
      this.pending++;
      this.primaryPending++;
      this.host.send(server, merge, this);
    }
    for (let i = 0; i < down.length; i++) {
      const server = down[i] as ServerId;
      if (server === coordinator) continue;
      if (this.sendHint(server)) {
        this.pending++;
      } else if (failed?.includes(server) !== true) {
        // No fallback to take its copy: try the replica itself, the view may be stale.
        this.pending++;
        this.primaryPending++;
        this.host.send(server, merge, this);
      }
    }
    this.check();
  }

  /** Sends the hint for `owner` to the next fallback believed up; false when none is left. */
  private sendHint(owner: ServerId): boolean {
    const { fallbacks } = this.placement;
    if (fallbacks.length === 0) return false;
    const result = this.result as NonNullable<WriteRound['result']>;
    // One encoding of the state for every hint of this write.
    const handoff = (this.handoff ??= { to: [], next: 0, request: hintRequest(owner, this.request.key, this.request.vnode, result.versioned), acked: [] });
    const liveness = this.host.liveness;
    while (handoff.next < fallbacks.length) {
      const fallback = fallbacks[handoff.next++] as ServerId;
      // A pending target can be a fallback of its own row: its hint must go elsewhere.
      if (fallback === owner || !liveness.isUp(fallback)) continue;
      const request: HintRequest = handoff.request.owner === owner ? handoff.request : { ...handoff.request, owner };
      handoff.to.push(fallback, owner);
      this.host.stats.hintsSent++;
      this.host.send(fallback, request, this);
      return true;
    }
    return false;
  }

  private check(): void {
    if (this.settled) return;
    if (this.quorumMet() && this.primaryAcks >= this.pw) {
      this.settled = true;
      const result = this.result as NonNullable<WriteRound['result']>;
      const hinted = this.acks - this.primaryAcks;
      if (hinted > 0) this.host.stats.hintedWrites++;
      this.listener.onWriteDone({
        versioned: result.versioned, dot: result.dot, coordinator: result.coordinator, acks: this.acks, hinted,
        hintedBy: hinted === 0 || this.handoff === undefined ? NO_FALLBACKS : this.handoff.acked,
      });
    } else if (this.acks + this.pending < this.w) {
      const asked = this.placement.replicas.length + (this.handoff === undefined ? 0 : this.handoff.to.length / 2);
      this.fail(writeQuorumError(this.acks, this.w, asked, this.failures ?? []));
    } else if (this.primaryAcks + this.primaryPending < this.pw) {
      this.fail(primaryQuorumError(this.primaryAcks, this.pw, this.acks, this.failures ?? []));
    } else if (this.pending === 0 && !this.refreshing) {
      // W acks in all, but not W of each row a pending move joins (or of the row a fetch gave).
      this.fail(writeQuorumError(this.rowAcks(), this.w, this.placement.replicas.length + 1, this.failures ?? []));
    }
  }

  /**
   * W acks of the row, and of the row a pending move will make. Acks count for the row of the
   * current placement only: after a table fetch, a replica the new table dropped no longer counts.
   */
  private quorumMet(): boolean {
    if (this.acks < this.w) return false;
    // The usual write: no move, no fetch, so every ack is for a replica of the row.
    if (this.placement.pendingTarget === undefined && this.refreshes === 0) return true;
    return this.rowAcks() >= this.w;
  }

  /** The smaller of the acks for the row and for the row the pending move will make. */
  private rowAcks(): number {
    const { replicas, pendingTarget, pendingFrom } = this.placement;
    let row = 0;
    let joined = 0;
    for (const server of this.ackedFor) {
      const inRow = replicas.includes(server);
      if (inRow) row++;
      if (server === pendingTarget || (inRow && server !== pendingFrom)) joined++;
    }
    return pendingTarget === undefined ? row : Math.min(row, joined);
  }

  private fail(error: unknown): void {
    this.settled = true;
    this.host.stats.writeFailures++;
    this.listener.onWriteFailed(error instanceof Error ? error : new RingcacheError('RC_ERR_INTERNAL', 'write failed'));
  }
}

/** A write's hints: fallbacks asked with the owner each holds it for ([fallback, owner, ...]), the next to consider, the acks. */
interface Handoff {
  readonly to: ServerId[];
  next: number;
  readonly request: HintRequest;
  readonly acked: ServerId[];
}

/** The owner a fallback holds this write's hint for; undefined for a replica of the row. */
function ownerIn(handoff: Handoff, server: ServerId): ServerId | undefined {
  const to = handoff.to;
  for (let i = 0; i < to.length; i += 2) if (to[i] === server) return to[i + 1];
  return undefined;
}
