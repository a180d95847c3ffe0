import type { Versioned } from '../version/types.js';

export interface ReadResult {
  /** The merge of the replies, dead siblings included; null when no replica holds the key. */
  readonly versioned: Versioned | null;
  readonly replies: number;
}

export interface CoordinatorStats {
  writes: number;
  reads: number;
  writeFailures: number;
  readFailures: number;
  hedgedReads: number;
  readRepairs: number;
}
