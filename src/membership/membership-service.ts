import type { MetricSource, NodeContext, NodeServiceFactory, PeerHandlers, PeerService } from '../node/index.js';
import type { ServerId } from '../ring/index.js';
import { every } from '../runtime/index.js';
import type { Timer } from '../runtime/index.js';
import { protocolError } from '../transport/index.js';
import { Awareness } from './awareness.js';
import { Gossiper } from './gossiper.js';
import { livenessOf } from './member-state.js';
import type { MemberLiveness } from './member-state.js';
import { MemberView } from './member-view.js';
import { membershipMetrics, newMembershipStats } from './metrics.js';
import type { MembershipStats } from './metrics.js';
import { MEMBERSHIP_DEFAULTS, suspicionBoundsMs } from './options.js';
import type { MembershipOptions } from './options.js';
import { PeerExchange } from './peer-exchange.js';
import { Prober } from './prober.js';
import { encodeUpdates } from './update-codec.js';

/** How often the member list is checked against the table, for tables that arrive without an onChange. */
const TABLE_CHECK_INTERVAL_MS = 1000;

/**
 * Gossip membership of a storage node (DESIGN.md section 5): SWIM probing (prober.ts), epidemic
 * dissemination (gossiper.ts), Lifeguard suspicion and local health (suspicion.ts,
 * awareness.ts) over one MemberView, whose conclusions go to the node's PeerStatusBoard.
 *
 * Who is a member is the shard-master's table; before the node has one, the config's nodes[]
 * (the table is made from them), so a starting node already probes and gossips. Answers
 * RC.GOSSIP, RC.PROBE, RC.PINGREQ and RC.VIEW (messages.ts).
 */
export class MembershipService implements PeerService {
  readonly name = 'membership';
  readonly stats: MembershipStats = newMembershipStats();
  readonly options: MembershipOptions;
  readonly view: MemberView;
  readonly handlers: PeerHandlers;
  private readonly awareness: Awareness;
  private readonly exchange: PeerExchange;
  private readonly prober: Prober;
  private readonly gossiper: Gossiper;
  private readonly unsubscribe: (() => void)[] = [];
  private tableCheck: Timer | undefined;
  private membersEpoch = -1;

  constructor(private readonly context: NodeContext, overrides: Partial<MembershipOptions> = {}) {
    const { serverId, clock, random, transport, table, peers, recovery, logger } = context;
    this.options = { ...MEMBERSHIP_DEFAULTS, ...context.config.membership, ...overrides };
    const stats = this.stats;
    const options = this.options;
    this.awareness = new Awareness(options.awarenessMax);
    this.view = new MemberView({
      serverId, clock, random, options, peers, stats, logger,
      recovering: () => recovery.recovering,
      epoch: () => table.epoch(),
      observeEpoch: (epoch) => { table.observeEpoch(epoch); },
      onRefute: () => { this.awareness.applyDelta(1); },
      onSuspected: (member) => { this.confirmSoon(member); },
    });
    this.exchange = new PeerExchange({ serverId, clock, transport, table, view: this.view, options, stats });
    this.prober = new Prober({ serverId, clock, random, options, view: this.view, exchange: this.exchange, awareness: this.awareness, stats });
    this.gossiper = new Gossiper({ serverId, clock, random, options, view: this.view, exchange: this.exchange, stats });
    this.handlers = {
      gossip: (request) => {
        stats.gossipReceived++;
        this.exchange.incoming(request.updates);
        return { kind: 'gossip-reply', updates: this.exchange.outgoing(request.from) };
      },
      probe: (request) => {
        if (request.to !== serverId) {
          stats.dropped.misaddressed++;
          throw protocolError(`a probe for ${request.to} reached ${serverId}`);
        }
        this.exchange.incoming(request.updates);
        return { kind: 'probe-ack', from: serverId, updates: this.exchange.outgoing(request.from) };
      },
      'ping-req': async (request) => {
        this.exchange.incoming(request.updates);
        stats.relayed++;
        // The requester's wait is within its probe interval; ours too, whatever it asked for.
        const timeoutMs = Math.min(request.timeoutMs, this.options.probeIntervalMs);
        const acked = request.target === serverId || (this.view.has(request.target) && await this.prober.relay(request.target, timeoutMs));
        return { kind: 'ping-req-result', acked, updates: this.exchange.outgoing(request.from) };
      },
      'member-view': () => {
        stats.viewsServed++;
        return { kind: 'member-view-reply', from: serverId, members: encodeUpdates(this.view.snapshot()) };
      },
    };
  }

  start(): void {
    const { table, recovery } = this.context;
    this.syncMembers();
    const onChange = table.onChange?.(() => { this.syncMembers(); });
    if (onChange !== undefined) this.unsubscribe.push(onChange);
    this.unsubscribe.push(recovery.onChange(() => { this.view.announceSelf(); }));
    this.tableCheck = every(this.context.clock, TABLE_CHECK_INTERVAL_MS, () => { this.syncMembers(); });
    // "I am here, under a new incarnation": a restarted member's news, gossiped at once.
    this.view.announceSelf();
    this.prober.start();
    this.gossiper.start();
  }

  stop(): void {
    this.prober.stop();
    this.gossiper.stop();
    this.tableCheck?.cancel();
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    this.view.stop();
  }

  /** Members by liveness, this node included. */
  livenessCounts(): Map<MemberLiveness, number> {
    const counts = new Map<MemberLiveness, number>([['up', 0], ['recovering', 0], ['suspect', 0], ['down', 0]]);
    const self = this.view.self();
    const tally = (liveness: MemberLiveness): void => { counts.set(liveness, (counts.get(liveness) ?? 0) + 1); };
    tally(livenessOf(self));
    for (const member of this.view.ids()) {
      const claim = this.view.claim(member);
      if (claim !== undefined) tally(livenessOf(claim));
    }
    return counts;
  }

  metrics(): readonly MetricSource[] {
    return membershipMetrics(this.stats, { members: () => this.livenessCounts(), healthScore: () => this.awareness.score });
  }

  /**
   * Probes a member someone else suspects, out of turn, with probability (k + 2) / (n - 2), so
   * about k + 2 members check each suspicion whatever the size of the cluster (k: the
   * confirmations Lifeguard wants), instead of all n - 2 at once.
   */
  private confirmSoon(member: ServerId): void {
    const { confirmations } = suspicionBoundsMs(this.options, this.view.size);
    const others = this.view.size - 2;
    if (others <= 0 || this.context.random.next() < (confirmations + 2) / others) this.prober.probeSoon(member);
  }

  private syncMembers(): void {
    const { table, config } = this.context;
    const current = table.current();
    const epoch = current?.epoch ?? 0;
    if (epoch === this.membersEpoch) return;
    this.membersEpoch = epoch;
    const ids: ServerId[] = current === undefined ? config.nodes.map((node) => node.id) : current.table.servers.map((server) => server.id);
    this.view.setMembers(ids);
  }
}

/** The factory nodeServices() lists; `overrides` lets the simulator and tests vary the options. */
export function membershipService(overrides: Partial<MembershipOptions> = {}): NodeServiceFactory {
  return (context) => new MembershipService(context, overrides);
}
