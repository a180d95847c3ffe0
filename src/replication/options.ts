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
  /**
   * Primaries that must acknowledge a write (Riak's PW): replicas of the row, the coordinating one
   * included, as opposed to fallbacks that hold a hint. 0 (the default) is Dynamo's sloppy quorum:
   * any W acknowledgements will do.
   */
  readonly pw: number;
  /** Send the merged result to replicas that answered a read with an older or missing version. */
  readonly readRepair: boolean;
  /**
   * A replica that misses only siblings whose timestamps are this recent is not repaired (and
   * does not make the read ask the remaining replicas): the write's own MERGE is most likely on
   * its way (11% of N=3 reads repaired exactly that), and a hint or anti-entropy covers the rest.
   * About requestTimeoutMs: by then the background MERGE has landed or failed. Assumes node clock
   * skew well below it; more skew only delays a repair. 0 repairs every replica that is behind.
   */
  readonly readRepairDelayMs: number;
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
  pw: 0,
  readRepair: true,
  readRepairDelayMs: 1000,
  keyBytesMax: 1024,
  valueBytesMax: 1024 * 1024,
  siblingsMax: 64,
});
