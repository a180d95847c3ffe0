/**
 * What anti-entropy counts, exported as `ringcache_node_anti_entropy_*` (NodeMetrics) and shown
 * in the node's /v1/stats.
 */
import type { MetricSource } from '../node/peer-service.js';

/** append only: values are metric labels. */
export type RoundOutcome = 'equal' | 'repaired' | 'partial' | 'failed';
/** append only: values are metric labels. */
export type DropReason = 'malformed' | 'oversized' | 'stale';

export class AntiEntropyStats {
  /** Exchanges this node led (one per peer per visit) that got through, and those that failed. */
  exchanges = 0;
  exchangesFailed = 0;
  /** What each vnode's exchange came to, as initiator. */
  readonly vnodeOutcomes: Record<RoundOutcome, number> = { equal: 0, repaired: 0, partial: 0, failed: 0 };
  /** Roots compared (one per exchange that got an answer), as initiator. */
  vnodesCompared = 0;
  bytesSent = 0;
  bytesReceived = 0;
  /** Keys whose state here changed through anti-entropy (pulled as initiator, pushed to us as responder). */
  keysRepaired = 0;
  /** States this node sent to a peer, either way. */
  keysSent = 0;
  /** Peer messages (requests or replies) refused before anything was applied. */
  readonly dropped: Record<DropReason, number> = { malformed: 0, oversized: 0, stale: 0 };
  /** Wall-clock ms of the last exchange that finished complete, or 0. */
  lastCompleteAtMs = 0;
  /** Bytes of exchanges this node led, by kind (request and reply): where the traffic goes. */
  readonly bytesByKind: Record<'ae-root' | 'ae-nodes' | 'ae-keys' | 'ae-sync', number> = { 'ae-root': 0, 'ae-nodes': 0, 'ae-keys': 0, 'ae-sync': 0 };
  /** Round trips of exchanges this node led, by kind. */
  readonly requestsByKind: Record<'ae-root' | 'ae-nodes' | 'ae-keys' | 'ae-sync', number> = { 'ae-root': 0, 'ae-nodes': 0, 'ae-keys': 0, 'ae-sync': 0 };

  /** Zeroes the counters (a benchmark measuring one phase). */
  reset(): void {
    for (const outcome of Object.keys(this.vnodeOutcomes) as RoundOutcome[]) this.vnodeOutcomes[outcome] = 0;
    this.exchanges = 0;
    this.exchangesFailed = 0;
    for (const reason of Object.keys(this.dropped) as DropReason[]) this.dropped[reason] = 0;
    for (const kind of Object.keys(this.bytesByKind) as (keyof typeof this.bytesByKind)[]) {
      this.bytesByKind[kind] = 0;
      this.requestsByKind[kind] = 0;
    }
    this.vnodesCompared = 0;
    this.bytesSent = 0;
    this.bytesReceived = 0;
    this.keysRepaired = 0;
    this.keysSent = 0;
    this.lastCompleteAtMs = 0;
  }

  metrics(pendingVnodes: () => number): MetricSource[] {
    return [
      { name: 'anti_entropy_rounds_total', help: 'Anti-entropy exchanges this node led that got through (one per peer per visit).', type: 'counter', read: () => this.exchanges },
      { name: 'anti_entropy_rounds_failed_total', help: 'Anti-entropy exchanges this node led that failed.', type: 'counter', read: () => this.exchangesFailed },
      { name: 'anti_entropy_vnodes_compared_total', help: 'Vnode roots compared with another replica.', type: 'counter', read: () => this.vnodesCompared },
      { name: 'anti_entropy_bytes_sent_total', help: 'Anti-entropy bytes sent (requests led, replies given), RESP framing included.', type: 'counter', read: () => this.bytesSent },
      { name: 'anti_entropy_bytes_received_total', help: 'Anti-entropy bytes received, RESP framing included.', type: 'counter', read: () => this.bytesReceived },
      { name: 'anti_entropy_keys_repaired_total', help: 'Keys whose state here changed through anti-entropy.', type: 'counter', read: () => this.keysRepaired },
      { name: 'anti_entropy_keys_sent_total', help: 'Key states sent to another replica by anti-entropy.', type: 'counter', read: () => this.keysSent },
      { name: 'anti_entropy_messages_dropped_total', help: 'Anti-entropy messages refused unapplied, by reason.', type: 'counter', label: 'reason', read: () => Object.entries(this.dropped) },
      { name: 'anti_entropy_recovering_vnodes', help: 'Vnodes this node must still sync after starting empty.', type: 'gauge', read: pendingVnodes },
    ];
  }
}
