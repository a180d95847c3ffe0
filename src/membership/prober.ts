import type { ServerId } from '../ring/index.js';
import { shuffled } from '../runtime/index.js';
import type { Clock, Random, Timer } from '../runtime/index.js';
import type { Awareness } from './awareness.js';
import type { MemberView } from './member-view.js';
import type { MembershipStats } from './metrics.js';
import type { MembershipOptions } from './options.js';
import { deadline } from './peer-exchange.js';
import type { PeerExchange } from './peer-exchange.js';

export interface ProberDeps {
  readonly serverId: ServerId;
  readonly clock: Clock;
  readonly random: Random;
  readonly options: MembershipOptions;
  readonly view: MemberView;
  readonly exchange: PeerExchange;
  readonly awareness: Awareness;
  readonly stats: MembershipStats;
}

/** Share of the indirect wait a relay may spend on its own probe, so its nack still arrives in time. */
const RELAY_SHARE = 0.8;

/**
 * SWIM's failure detector (Das et al. 2002, section 3.1), one probe per interval:
 *
 *   t=0        RC.PROBE target ----------------------------------> ack?  done
 *   t=timeout  no ack: RC.PINGREQ to k relays, and RC.PROBE again  any ack? done
 *                      relay --RC.PROBE--> target; nack if no ack within 0.8 of the wait
 *   t=interval (or all answered) nothing: suspect the target, gossip the suspicion
 *
 * Targets go round-robin over a shuffled list, reshuffled each pass, so each member is probed
 * by this node once per pass and by someone about once per interval. Members held down are
 * probed in passing, without costing a live member its turn: that is how one that came back (or
 * was wrongly declared down) gets to refute. Interval and timeouts scale with local health.
 */
export class Prober {
  private order: ServerId[] = [];
  private cursor = 0;
  private timer: Timer | undefined;
  private running = false;
  private stopped = false;
  /** Members with a probe round running (in turn or out of turn). */
  private readonly probing = new Set<ServerId>();

  constructor(private readonly deps: ProberDeps) {}

  start(): void {
    // A random first delay staggers the nodes of a cluster that starts at once.
    this.schedule(this.deps.random.int(this.deps.options.probeIntervalMs) + 1);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.schedule(delayMs, () => {
      if (!this.running) {
        this.running = true;
        void this.round().finally(() => { this.running = false; });
      }
      this.schedule(this.deps.awareness.scale(this.deps.options.probeIntervalMs));
    });
  }

  /** One probe round of the next member in turn; resolves within about one (scaled) probe interval. */
  async round(): Promise<void> {
    const target = this.nextTarget();
    if (target !== undefined) await this.probeRound(target);
  }

  /**
   * Probes `member` now, out of turn, unless a probe of it is already running: a member another
   * node just suspected. If it is alive, the probe carries the suspicion to it and its ack
   * brings the refutation back; if it is not, this node's failed probe is the independent
   * confirmation that brings the suspicion timeout down (Lifeguard), within a round trip
   * instead of whenever its turn comes.
   */
  probeSoon(member: ServerId): void {
    if (this.active() && !this.probing.has(member) && this.deps.view.statusOf(member) === 'suspect') void this.probeRound(member);
  }

  private async probeRound(target: ServerId): Promise<void> {
    this.probing.add(target);
    try {
      await this.judge(target);
    } finally {
      this.probing.delete(target);
    }
  }

  private async judge(target: ServerId): Promise<void> {
    const { options, awareness, stats, view } = this.deps;
    const timeoutMs = awareness.scale(options.probeTimeoutMs);
    const intervalMs = awareness.scale(options.probeIntervalMs);
    stats.probes++;
    if (await this.probe(target, timeoutMs, intervalMs)) {
      stats.acks++;
      awareness.applyDelta(-1);
      return;
    }
    if (!this.active()) return;
    if (options.indirectProbes === 0) {
      view.suspect(target);
      return;
    }
    const relays = view.pick(options.indirectProbes, ['up'], new Set([target]));
    const outcome = await this.indirect(target, relays, intervalMs - timeoutMs, intervalMs);
    if (outcome.acked) {
      stats.indirectAcks++;
      return;
    }
    // Relays that did not even nack point at this node's own trouble (Lifeguard).
    awareness.applyDelta(relays.length > 0 ? relays.length - outcome.nacks : 1);
    if (this.active() && view.has(target)) view.suspect(target);
  }

  /** Not stopped; a method, so a check after an await reads the field again. */
  private active(): boolean {
    return !this.stopped;
  }

  /** A relay's probe for another member (RC.PINGREQ): true when `target` acked within `timeoutMs`. */
  relay(target: ServerId, timeoutMs: number): Promise<boolean> {
    return this.probe(target, timeoutMs, Math.max(timeoutMs, this.deps.options.probeIntervalMs));
  }

  private nextTarget(): ServerId | undefined {
    const view = this.deps.view;
    for (let tries = 0; tries <= view.size; tries++) {
      if (this.cursor >= this.order.length) {
        this.order = shuffled(this.deps.random, view.ids());
        this.cursor = 0;
        if (this.order.length === 0) return undefined;
      }
      const member = this.order[this.cursor++] as ServerId;
      const status = view.statusOf(member);
      if (status === undefined || this.probing.has(member)) continue;
      if (status !== 'down') return member;
      this.deps.stats.downProbes++;
      void this.probe(member, this.deps.options.probeTimeoutMs, this.deps.options.probeIntervalMs);
    }
    return undefined;
  }

  /** One RC.PROBE: true when `target` acked within `timeoutMs`. Its updates apply even if late. */
  private probe(target: ServerId, timeoutMs: number, transportTimeoutMs: number): Promise<boolean> {
    const { exchange, serverId } = this.deps;
    const acked = exchange.send<'probe'>(target, { kind: 'probe', from: serverId, to: target, updates: exchange.outgoing(target) }, transportTimeoutMs).then(
      (ack) => {
        exchange.incomingReply(ack.updates);
        return ack.from === target;
      },
      () => false,
    );
    return this.within(acked, timeoutMs);
  }

  /** Relays and a second direct probe at once; done at the first ack, when all failed, or at the wait's end. */
  private indirect(target: ServerId, relays: readonly ServerId[], waitMs: number, transportTimeoutMs: number): Promise<{ acked: boolean; nacks: number }> {
    const { exchange, serverId, stats } = this.deps;
    const relayTimeoutMs = Math.max(1, Math.floor(waitMs * RELAY_SHARE));
    return new Promise((resolve) => {
      let pending = relays.length + 1;
      let nacks = 0;
      let done = false;
      const finish = (acked: boolean): void => {
        if (done) return;
        done = true;
        timer.cancel();
        resolve({ acked, nacks });
      };
      const settle = (outcome: 'ack' | 'nack' | 'failed'): void => {
        if (outcome === 'ack') finish(true);
        if (outcome === 'nack') nacks++;
        if (--pending === 0) finish(false);
      };
      const timer = deadline(this.deps.clock, waitMs, this.lateMsMax(), () => { this.deps.awareness.applyDelta(1); }, () => { finish(false); });
      for (const relay of relays) {
        stats.indirectProbes++;
        const body = { kind: 'ping-req' as const, from: serverId, target, timeoutMs: relayTimeoutMs, updates: exchange.outgoing(relay) };
        exchange.send<'ping-req'>(relay, body, transportTimeoutMs).then(
          (result) => {
            exchange.incomingReply(result.updates);
            if (!result.acked) stats.nacks++;
            settle(result.acked ? 'ack' : 'nack');
          },
          () => { settle('failed'); },
        );
      }
      void this.probe(target, waitMs, transportTimeoutMs).then((ok) => { settle(ok ? 'ack' : 'failed'); });
    });
  }

  /** Resolves with the outcome, or false at the deadline (which allows for this node's own stalls). */
  private within(outcome: Promise<boolean>, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (value: boolean): void => {
        if (done) return;
        done = true;
        timer.cancel();
        resolve(value);
      };
      const timer = deadline(this.deps.clock, timeoutMs, this.lateMsMax(), () => { this.deps.awareness.applyDelta(1); }, () => { finish(false); });
      void outcome.then(finish);
    });
  }

  /** A timer this late means this node stalled, not the peer. */
  private lateMsMax(): number {
    return Math.max(1, this.deps.options.probeTimeoutMs / 4);
  }
}
