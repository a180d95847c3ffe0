import type { MetricSource } from '../node/index.js';
import type { MemberLiveness } from './member-state.js';

/** What one node's membership counts; exported as ringcache_node_membership_* (MetricSource). */
export interface MembershipStats {
  /** Direct probes of live and suspect members. */
  probes: number;
  acks: number;
  /** Probes of members this node holds down: how a restarted member is noticed. */
  downProbes: number;
  /** Relays asked to probe a target (RC.PINGREQ sent). */
  indirectProbes: number;
  indirectAcks: number;
  /** Lifeguard's nacks: relays that answered but could not reach the target either. */
  nacks: number;
  /** RC.PINGREQ this node answered for others. */
  relayed: number;
  /** Suspicions this node raised from its own failed probes. */
  suspicionsRaised: number;
  /** Independent accusers that shortened a running suspicion. */
  confirmations: number;
  /** Members this node declared down (its suspicion timer ran out). */
  downsDeclared: number;
  /** Suspicions of this node that it refuted. */
  refutations: number;
  gossipSent: number;
  gossipReceived: number;
  viewsServed: number;
  /** Whole messages not applied, by why. */
  readonly dropped: { malformed: number; oversized: number; misaddressed: number };
  /** Single updates not applied: older than what this node knows, or about a server not in the table. */
  readonly ignored: { stale: number; unknown: number };
}

export function newMembershipStats(): MembershipStats {
  return {
    probes: 0, acks: 0, downProbes: 0, indirectProbes: 0, indirectAcks: 0, nacks: 0, relayed: 0,
    suspicionsRaised: 0, confirmations: 0, downsDeclared: 0, refutations: 0,
    gossipSent: 0, gossipReceived: 0, viewsServed: 0,
    dropped: { malformed: 0, oversized: 0, misaddressed: 0 },
    ignored: { stale: 0, unknown: 0 },
  };
}

export interface MembershipGauges {
  readonly members: () => Iterable<readonly [MemberLiveness, number]>;
  readonly healthScore: () => number;
}

function counter(name: string, help: string, read: () => number): MetricSource {
  return { name, help, type: 'counter', read };
}

export function membershipMetrics(stats: MembershipStats, gauges: MembershipGauges): MetricSource[] {
  return [
    counter('membership_probes_total', 'Direct probes (RC.PROBE) of live and suspect members.', () => stats.probes),
    counter('membership_acks_total', 'Direct probes acknowledged in time.', () => stats.acks),
    counter('membership_down_probes_total', 'Probes of members held down, which notice a member that came back.', () => stats.downProbes),
    counter('membership_indirect_probes_total', 'Relays asked to probe a member that missed its direct ack (RC.PINGREQ).', () => stats.indirectProbes),
    counter('membership_indirect_acks_total', 'Indirect probes that reached the member.', () => stats.indirectAcks),
    counter('membership_nacks_total', 'Relays that answered but could not reach the member either (Lifeguard nack).', () => stats.nacks),
    counter('membership_relayed_total', 'Indirect probes this node ran for others.', () => stats.relayed),
    counter('membership_suspicions_total', 'Suspicions this node raised from its own failed probes.', () => stats.suspicionsRaised),
    counter('membership_confirmations_total', 'Independent accusers that shortened a suspicion (Lifeguard).', () => stats.confirmations),
    counter('membership_downs_total', 'Members this node declared down when their suspicion timed out.', () => stats.downsDeclared),
    counter('membership_refutations_total', 'Suspicions of this node that it refuted with a new incarnation.', () => stats.refutations),
    counter('membership_gossip_sent_total', 'Gossip messages sent (RC.GOSSIP).', () => stats.gossipSent),
    counter('membership_gossip_received_total', 'Gossip messages received.', () => stats.gossipReceived),
    counter('membership_views_served_total', 'Whole views answered to proxies, clients and the master (RC.VIEW).', () => stats.viewsServed),
    {
      name: 'membership_messages_dropped_total', help: 'Membership messages not applied: malformed, oversized, or meant for another server.',
      type: 'counter', label: 'reason', read: () => Object.entries(stats.dropped),
    },
    {
      name: 'membership_updates_ignored_total', help: 'Member updates not applied: stale (older than known) or about a server not in the table.',
      type: 'counter', label: 'reason', read: () => Object.entries(stats.ignored),
    },
    { name: 'membership_members', help: 'Members by liveness as this node sees them, itself included.', type: 'gauge', label: 'liveness', read: gauges.members },
    { name: 'membership_health_score', help: 'Lifeguard local health score: 0 healthy; probe interval and timeout scale by score + 1.', type: 'gauge', read: gauges.healthScore },
  ];
}
