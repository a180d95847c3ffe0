import type { ServerId } from '../ring/index.js';
import { every } from '../runtime/index.js';
import type { Clock, Random, Timer } from '../runtime/index.js';
import type { MemberView } from './member-view.js';
import type { MembershipStats } from './metrics.js';
import type { MembershipOptions } from './options.js';
import type { PeerExchange } from './peer-exchange.js';

export interface GossiperDeps {
  readonly serverId: ServerId;
  readonly clock: Clock;
  readonly random: Random;
  readonly options: MembershipOptions;
  readonly view: MemberView;
  readonly exchange: PeerExchange;
  readonly stats: MembershipStats;
}

/**
 * Epidemic dissemination (SWIM section 4.1): every gossipIntervalMs, push piggybacked updates to
 * `fanout` random members that are not down, and apply what each answers (push-pull), so news
 * reaches all n members in about log_fanout(n) intervals. Probes and their acks carry updates
 * too; gossip is what makes dissemination fast, probing alone reaches one member per interval.
 */
export class Gossiper {
  private timer: Timer | undefined;
  private stopped = false;

  constructor(private readonly deps: GossiperDeps) {}

  start(): void {
    const { clock, options, random } = this.deps;
    // A random first delay, so the nodes of a cluster started at once do not gossip in lockstep.
    this.timer = clock.schedule(random.int(options.gossipIntervalMs), () => {
      if (this.stopped) return;
      this.round();
      this.timer = every(clock, options.gossipIntervalMs, () => { this.round(); });
    });
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /**
   * One round, when there is news to spread (as memberlist gossips only its broadcasts): in calm
   * times probes and acks alone carry the slices of the view that keep views converged.
   */
  round(): void {
    const { view, options, exchange, serverId, stats } = this.deps;
    if (!view.hasNews()) return;
    // A slow peer's unanswered gossip is given up after a few intervals, so at most a few per peer wait.
    const timeoutMs = Math.max(options.probeIntervalMs, 5 * options.gossipIntervalMs);
    for (const peer of view.pick(options.fanout, ['up', 'suspect'], new Set())) {
      stats.gossipSent++;
      exchange.send<'gossip'>(peer, { kind: 'gossip', from: serverId, updates: exchange.outgoing(peer) }, timeoutMs).then(
        (reply) => { exchange.incomingReply(reply.updates); },
        () => undefined,
      );
    }
  }
}
