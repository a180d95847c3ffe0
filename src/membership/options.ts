import { RingcacheError } from '../runtime/index.js';

/**
 * How a node detects failed peers and spreads what it learns (SWIM, Das et al. 2002, with
 * Lifeguard's refinements, Dadgar et al. 2017). The defaults are a LAN profile for a handful of
 * nodes on one machine: a kill -9 is seen by every member within about a second, by a proxy
 * within two (it pulls the view every second), and a node stalled for half a second is not
 * declared down. Config keys: `membership.*` (config/schema.ts).
 */
export interface MembershipOptions {
  /**
   * Each node probes one member per interval, round-robin over a shuffled list, so every live
   * member is probed by someone about once per interval. Why 200 ms: first detection of a crash
   * within ~interval on average; cost is one request and reply per node per interval.
   */
  readonly probeIntervalMs: number;
  /**
   * How long a direct probe waits for its ack before asking others (indirect probes). Must be
   * below probeIntervalMs: the rest of the interval is the indirect probes' time. Why 100 ms:
   * far above a loopback round trip (<1 ms), room for a busy event loop on a shared machine.
   */
  readonly probeTimeoutMs: number;
  /**
   * k, members asked to probe a target that missed its direct ack (SWIM's ping-req). One slow or
   * lossy link then does not make a suspect: all k relays and a second direct try must fail.
   */
  readonly indirectProbes: number;
  /**
   * Suspicion timeout scale. The timeout runs from max down to
   *   min = suspicionMult * max(1, log10(n)) * probeIntervalMs
   * as independent confirmations arrive (Lifeguard; n members), and k = suspicionMult - 2
   * confirmations (0 when n - 2 < k) bring it to min. Why 3: with 5 nodes min = 600 ms, time
   * enough for a stalled member to hear the suspicion and refute it.
   */
  readonly suspicionMult: number;
  /**
   * max = suspicionMaxTimeoutMult * min: the timeout of a suspicion nobody else confirms (a
   * lossy link seen from one node). Why 6: a lone suspicion waits ~3.6 s on 5 nodes.
   */
  readonly suspicionMaxTimeoutMult: number;
  /**
   * How often a node with news (a suspicion, a refutation, a down, its own change) pushes it to
   * `fanout` peers and pulls theirs in the reply. Without news nothing is sent: probes and acks
   * carry slices of the view meanwhile. Why 100 ms: a refutation reaches everyone well within
   * the 600 ms suspicion minimum.
   */
  readonly gossipIntervalMs: number;
  /**
   * Peers gossiped to per interval. An update reaches all n members in about log_fanout(n)
   * rounds (epidemic dissemination); 3 covers 5 nodes in ~1.5 rounds, 200 in ~5.
   */
  readonly fanout: number;
  /**
   * Each update is sent in retransmitMult * ceil(log10(n + 1)) messages before it leaves the
   * broadcast queue (SWIM's lambda log n): enough that every member hears it with high
   * probability, few enough that messages stay small. Full-view slices fill the rest.
   */
  readonly retransmitMult: number;
  /** Updates in one gossip or probe message, sent and accepted; more in a received message: dropped. */
  readonly updatesPerMessageMax: number;
  /** Bytes of one message's updates, sent and accepted; a larger received one is dropped and counted. */
  readonly messageBytesMax: number;
  /**
   * Lifeguard's local health awareness: a node that misses nacks, refutes suspicions of itself
   * or runs its timers late scores itself unhealthy (0..awarenessMax-1) and multiplies its probe
   * interval and timeout by score + 1, so a slow node slows its own judging of others instead
   * of accusing them. 1 turns it off.
   */
  readonly awarenessMax: number;
  /**
   * How often a proxy, client library or shard-master pulls one node's whole view (RC.VIEW),
   * and a fifth of it while the view holds a member suspect. Why 500 ms: below the suspicion
   * timeout (600 ms on a few nodes), so some pull sees every suspicion and follows it up; a
   * kill -9 then reaches the proxy ~0.1 s after the nodes. Cost: two small requests a second.
   */
  readonly viewPullIntervalMs: number;
  /**
   * A pulled view older than this is no longer believed (every server counts as up again, and
   * local failure detection alone decides): no fresh view means no node could be reached.
   */
  readonly viewStaleMs: number;
}

export const MEMBERSHIP_DEFAULTS: MembershipOptions = Object.freeze({
  probeIntervalMs: 200,
  probeTimeoutMs: 100,
  indirectProbes: 3,
  suspicionMult: 3,
  suspicionMaxTimeoutMult: 6,
  gossipIntervalMs: 100,
  fanout: 3,
  retransmitMult: 4,
  updatesPerMessageMax: 32,
  messageBytesMax: 16 * 1024,
  awarenessMax: 8,
  viewPullIntervalMs: 500,
  viewStaleMs: 5000,
});

/**
 * The checks one key's range cannot express (config/load.ts calls it; RC_ERR_CONFIG names the
 * setting). Ranges of single keys are the schema's.
 */
export function validateMembershipOptions(options: MembershipOptions): void {
  const fail = (message: string): never => { throw new RingcacheError('RC_ERR_CONFIG', `config: ${message}`); };
  if (options.probeTimeoutMs >= options.probeIntervalMs) {
    fail(`membership.probeTimeoutMs (${options.probeTimeoutMs}) must be below membership.probeIntervalMs (${options.probeIntervalMs}): the rest of the interval is for indirect probes`);
  }
  if (options.viewStaleMs <= options.viewPullIntervalMs) {
    fail(`membership.viewStaleMs (${options.viewStaleMs}) must be above membership.viewPullIntervalMs (${options.viewPullIntervalMs}), or every view goes stale before the next pull`);
  }
}

/** Lifeguard's suspicion bounds for a cluster of `members` (this node included). */
export function suspicionBoundsMs(options: MembershipOptions, members: number): { minMs: number; maxMs: number; confirmations: number } {
  const scale = Math.max(1, Math.log10(Math.max(1, members)));
  const minMs = Math.round(options.suspicionMult * scale * options.probeIntervalMs);
  const wanted = options.suspicionMult - 2;
  // The suspect and this node cannot confirm: with fewer others, expect no confirmation at all.
  const confirmations = members - 2 < wanted ? 0 : Math.max(0, wanted);
  return { minMs, maxMs: minMs * options.suspicionMaxTimeoutMult, confirmations };
}

/** SWIM's lambda log n: messages an update rides in before it leaves the broadcast queue. */
export function retransmitLimit(options: MembershipOptions, members: number): number {
  return options.retransmitMult * Math.ceil(Math.log10(members + 1));
}
