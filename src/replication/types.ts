import type { Versioned } from '../version/types.js';

export type ReadQuorum = 'strict' | 'sloppy' | 'partial';

export interface ReadResult {
  /** The merge of the replies, dead siblings included; null when no replica holds the key. */
  readonly versioned: Versioned | null;
  readonly replies: number;
  /**
   * How the R answers were made up (append only: values are part of the library's API):
   *   'strict'   R replicas of the row answered
   *   'sloppy'   fallbacks' answers counted toward R (sloppy quorum): such a read need not see a
   *              write acknowledged by W replicas of the row, as in Dynamo
   *   'partial'  fewer than R answers counted: every other replica and fallback was recovering
   *              and empty, so this is the best the cluster knew (ReadRound's comment)
   */
  readonly quorum: ReadQuorum;
}

export interface CoordinatorStats {
  writes: number;
  reads: number;
  writeFailures: number;
  readFailures: number;
  hedgedReads: number;
  readRepairs: number;
  /** Replicas behind only by siblings newer than readRepairDelayMs: left to the write's MERGE. */
  readRepairsSkipped: number;
  /** Hints sent to fallbacks (sloppy quorum). */
  hintsSent: number;
  /** Writes acknowledged with at least one fallback's hint among the W acks. */
  hintedWrites: number;
  /** Sloppy reads sent to fallbacks (RC.HINTREAD). */
  fallbackReads: number;
  /**
   * Reads that answered with fewer than R counted answers because every replica and fallback
   * that could answer had (the rest recovering and empty): the best the cluster knew.
   */
  partialReads: number;
  /** Rounds that a node's fencing refusal (stale epoch, vnode not held) sent to fetch the table and retry. */
  fencingRetries: number;
}
