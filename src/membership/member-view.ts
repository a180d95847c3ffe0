import type { PeerStatus, PeerStatusBoard } from '../node/index.js';
import type { ServerId } from '../ring/index.js';
import { shuffled } from '../runtime/index.js';
import type { Clock, Logger, Random } from '../runtime/index.js';
import { BroadcastQueue } from './broadcast-queue.js';
import { compareClaims, unheardOf } from './member-state.js';
import type { MemberUpdate } from './member-state.js';
import type { MembershipStats } from './metrics.js';
import { retransmitLimit, suspicionBoundsMs } from './options.js';
import type { MembershipOptions } from './options.js';
import { Suspicion } from './suspicion.js';
import { payloadHeaderBytes, updateBytes } from './update-codec.js';

export interface MemberViewDeps {
  readonly serverId: ServerId;
  readonly clock: Clock;
  readonly random: Random;
  readonly options: MembershipOptions;
  /** Where conclusions go: hint replay, anti-entropy and the data path read it. */
  readonly peers: PeerStatusBoard;
  readonly recovering: () => boolean;
  readonly epoch: () => number;
  readonly observeEpoch: (epoch: number) => void;
  readonly stats: MembershipStats;
  readonly logger: Logger;
  /** This node had to refute a suspicion of itself (local health awareness). */
  readonly onRefute: () => void;
  /** Another member suspects `member` and this node had held it up. */
  readonly onSuspected: (member: ServerId) => void;
}

/**
 * This node's view of every member: the latest claim about each, the suspicions running, the
 * updates waiting to be gossiped, and its own incarnation. Claims are ordered by
 * compareClaims (member-state.ts); only newer news changes the view and is passed on.
 *
 * The incarnation starts at the wall clock in ms, not 0: a member that restarts (memory lost)
 * then outranks everything said about its previous life at once, instead of waiting to hear
 * that it was declared down and refuting that. Each refutation or change of its own adds 1.
 */
export class MemberView {
  private readonly members = new Map<ServerId, MemberUpdate>();
  private readonly suspicions = new Map<ServerId, Suspicion>();
  private readonly broadcasts = new BroadcastQueue();
  private incarnation: number;
  /** Where the next full-view slice starts (the filler of messages with room left). */
  private fillOrder: ServerId[] = [];
  private fillCursor = 0;
  private stopped = false;

  constructor(private readonly deps: MemberViewDeps) {
    this.incarnation = Math.max(1, Math.floor(deps.clock.nowMs()));
  }

  /** This node as it announces itself. */
  self(): MemberUpdate {
    const deps = this.deps;
    return { member: deps.serverId, status: 'up', incarnation: this.incarnation, recovering: deps.recovering(), epoch: deps.epoch(), accuser: null };
  }

  /** Members, this node included (n of the formulas). */
  get size(): number {
    return this.members.size + 1;
  }

  ids(): ServerId[] {
    return [...this.members.keys()];
  }

  has(member: ServerId): boolean {
    return this.members.has(member);
  }

  statusOf(member: ServerId): PeerStatus | undefined {
    return this.members.get(member)?.status;
  }

  claim(member: ServerId): MemberUpdate | undefined {
    return this.members.get(member);
  }

  /** The view for RC.VIEW: this node first, then every member. */
  snapshot(): MemberUpdate[] {
    return [this.self(), ...this.members.values()];
  }

  /** Who is a member is the table's business: new servers start unheard of, gone ones are forgotten. */
  setMembers(ids: Iterable<ServerId>): void {
    const wanted = new Set(ids);
    wanted.delete(this.deps.serverId);
    for (const member of [...this.members.keys()]) {
      if (wanted.has(member)) continue;
      this.members.delete(member);
      this.suspicions.get(member)?.cancel();
      this.suspicions.delete(member);
      this.broadcasts.forget(member);
      this.deps.peers.forget(member);
    }
    for (const member of wanted) if (!this.members.has(member)) this.members.set(member, unheardOf(member));
  }

  /** Applies a message's updates in order; returns how many changed the view. Nothing once stopped. */
  apply(updates: readonly MemberUpdate[]): number {
    if (this.stopped) return 0;
    let changed = 0;
    let epochMax = 0;
    for (const update of updates) {
      epochMax = Math.max(epochMax, update.epoch);
      if (this.applyOne(update)) changed++;
    }
    if (epochMax > this.deps.epoch()) this.deps.observeEpoch(epochMax);
    return changed;
  }

  /** A probe of `member` failed directly and indirectly: suspect it (or confirm a running suspicion). */
  suspect(member: ServerId): void {
    const current = this.members.get(member);
    if (this.stopped || current === undefined || current.status === 'down') return;
    this.deps.stats.suspicionsRaised++;
    this.applyOne({ ...current, status: 'suspect', accuser: this.deps.serverId });
  }

  /** Whether updates are waiting to be gossiped. */
  hasNews(): boolean {
    return this.broadcasts.size > 0;
  }

  /** Something this node says of itself changed (recovering), or it just started: a new incarnation carries it. */
  announceSelf(): void {
    this.incarnation++;
    this.broadcasts.enqueue(this.self());
  }

  /**
   * The updates a message to `to` carries, within the message limits: this node's own claim,
   * what it believes of `to` (so `to` can refute at once: Lifeguard's buddy system), the queued
   * news least sent first, then a slice of the rest of the view, so views converge even when no
   * news is flowing (a member that missed an update, one that was partitioned).
   */
  piggyback(to: ServerId | undefined): MemberUpdate[] {
    const { updatesPerMessageMax, messageBytesMax } = this.deps.options;
    const budget = { count: updatesPerMessageMax, bytes: messageBytesMax - payloadHeaderBytes(updatesPerMessageMax) };
    const taken: MemberUpdate[] = [];
    const included = new Set<ServerId>();
    const add = (update: MemberUpdate): void => {
      const size = updateBytes(update);
      if (budget.count <= 0 || size > budget.bytes) return;
      budget.count--;
      budget.bytes -= size;
      taken.push(update);
      included.add(update.member);
    };
    add(this.self());
    const about = to === undefined ? undefined : this.members.get(to);
    if (about !== undefined && !isUnheard(about)) add(about);
    const news = this.broadcasts.take(budget.count, budget.bytes, retransmitLimit(this.deps.options, this.size), included);
    for (const update of news) add(update);
    this.fill(budget.count, included, add);
    return taken;
  }

  /** Picks up to `count` random members, none of `excluded`, whose status is one of `statuses`. */
  pick(count: number, statuses: readonly PeerStatus[], excluded: ReadonlySet<ServerId>): ServerId[] {
    const candidates = this.ids().filter((id) => !excluded.has(id) && statuses.includes(this.members.get(id)?.status ?? 'down'));
    return shuffled(this.deps.random, candidates).slice(0, count);
  }

  /** Replies still in flight when the service stops must not start suspicions (and their timers). */
  stop(): void {
    this.stopped = true;
    for (const suspicion of this.suspicions.values()) suspicion.cancel();
    this.suspicions.clear();
  }

  private fill(room: number, included: Set<ServerId>, add: (update: MemberUpdate) => void): void {
    let left = room;
    for (let step = 0; left > 0 && step < this.members.size; step++) {
      if (this.fillCursor >= this.fillOrder.length) {
        this.fillOrder = this.ids();
        this.fillCursor = 0;
      }
      const claim = this.members.get(this.fillOrder[this.fillCursor++] ?? '');
      if (claim === undefined || included.has(claim.member) || isUnheard(claim)) continue;
      add(claim);
      left--;
    }
  }

  private applyOne(update: MemberUpdate): boolean {
    if (update.member === this.deps.serverId) return this.claimAboutSelf(update);
    const current = this.members.get(update.member);
    const stats = this.deps.stats;
    if (current === undefined) {
      stats.ignored.unknown++;
      return false;
    }
    const order = compareClaims(update, current);
    if (order < 0) {
      stats.ignored.stale++;
      return false;
    }
    if (order === 0) {
      if (update.epoch > current.epoch) this.members.set(update.member, { ...current, epoch: update.epoch });
      if (update.status === 'suspect' && update.accuser !== null && this.suspicions.get(update.member)?.confirm(update.accuser) === true) {
        stats.confirmations++;
        // News to the others too: each counts independent accusers.
        this.broadcasts.enqueue(update);
      }
      return false;
    }
    this.transition(update);
    return true;
  }

  private transition(update: MemberUpdate): void {
    const member = update.member;
    const before = this.members.get(member);
    this.members.set(member, update);
    this.suspicions.get(member)?.cancel();
    this.suspicions.delete(member);
    if (update.status === 'suspect') {
      this.startSuspicion(update);
      if (update.accuser !== this.deps.serverId) this.deps.onSuspected(member);
    }
    if (update.status === 'down') this.deps.logger.warn({ member, accuser: update.accuser, incarnation: update.incarnation }, 'member down');
    if (update.status === 'up' && before?.status === 'down') this.deps.logger.info({ member, incarnation: update.incarnation }, 'member up again');
    this.deps.peers.set(member, update.status, update.recovering);
    this.broadcasts.enqueue(update);
  }

  private startSuspicion(update: MemberUpdate): void {
    const { minMs, maxMs, confirmations } = suspicionBoundsMs(this.deps.options, this.size);
    const accuser = update.accuser ?? this.deps.serverId;
    const suspicion = new Suspicion(this.deps.clock, accuser, confirmations, minMs, maxMs, () => {
      const current = this.members.get(update.member);
      if (current?.status !== 'suspect' || current.incarnation !== update.incarnation) return;
      this.deps.stats.downsDeclared++;
      this.transition({ ...current, status: 'down', accuser: this.deps.serverId });
    });
    this.suspicions.set(update.member, suspicion);
  }

  /**
   * A claim about this node. Suspect or down, or anything from an incarnation at least as new as
   * ours that disagrees with what we say: refute with a higher incarnation. A node never
   * declares itself down (SWIM section 4.2).
   */
  private claimAboutSelf(update: MemberUpdate): boolean {
    const own = this.self();
    const disagrees = update.status !== 'up' || update.recovering !== own.recovering;
    if (update.incarnation < this.incarnation || (update.incarnation === this.incarnation && !disagrees)) return false;
    if (update.status !== 'up') {
      this.deps.stats.refutations++;
      this.deps.onRefute();
      this.deps.logger.info({ status: update.status, accuser: update.accuser, incarnation: update.incarnation }, 'refuting a suspicion of this node');
    }
    this.incarnation = update.incarnation + 1;
    this.broadcasts.enqueue(this.self());
    return true;
  }
}

/** A member nobody has heard from and nobody accused: nothing to say about it yet. */
function isUnheard(claim: MemberUpdate): boolean {
  return claim.incarnation === 0 && claim.status === 'up';
}
