/**
 * Quorum options of a coordinator (the proxy or the client library). DESIGN.md section 4.
 */
export interface ReplicationOptions {
  /** Replicas that must answer a read (R). R + W > N makes a read see the latest acknowledged write. */
  readonly r: number;
  /** Replicas that must acknowledge a write, coordinator included (W). */
  readonly w: number;
  /** Deadline of one internode request; past it the replica counts as failed for this request. */
  readonly requestTimeoutMs: number;
  /**
   * A read that has fewer than R answers after this long asks one more replica (a hedged request,
   * Dean & Barroso, "The Tail at Scale", 2013); a few ms above the internode p99 costs ~1% extra reads.
   */
  readonly speculativeRetryMs: number;
  /** After a failed request the coordinator treats the node as down this long (local failure detection, Dynamo 4.8.1). */
  readonly failureBackoffMs: number;
  /** Send the merged result to replicas that answered a read with an older or missing version. */
  readonly readRepair: boolean;
  /** Longest key accepted (DESIGN.md section 8). */
  readonly keyBytesMax: number;
  /** Longest value accepted (DESIGN.md section 8). */
  readonly valueBytesMax: number;
  /**
   * Siblings kept when merging replies, the same bound the nodes apply: a read repair carrying
   * more would be refused by every node's wire decoder.
   */
  readonly siblingsMax: number;
}

export const REPLICATION_DEFAULTS: ReplicationOptions = Object.freeze({
  r: 2,
  w: 2,
  requestTimeoutMs: 1000,
  speculativeRetryMs: 30,
  failureBackoffMs: 1000,
  readRepair: true,
  keyBytesMax: 1024,
  valueBytesMax: 1024 * 1024,
  siblingsMax: 64,
});
