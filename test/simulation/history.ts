import type { RoutingTable } from '../../src/ring/index.js';
import type { Dot, VersionVector, Versioned } from '../../src/version/types.js';
import type { ServerId } from '../../src/ring/index.js';

/** What one client asked and what it was told, on the virtual clock. */
export type Operation = WriteOperation | ReadOperation;

export interface WriteOperation {
  readonly type: 'write';
  readonly client: string;
  readonly key: string;
  /** A value unique to this write, or null for a delete. */
  readonly value: string | null;
  readonly context: VersionVector | null;
  readonly invokedMs: number;
  completedMs: number;
  outcome: 'pending' | 'ok' | 'failed';
  dot?: Dot;
  /** What the coordinating replica stored: its context minus its siblings is what this write superseded. */
  stored?: Versioned;
  /**
   * Fallbacks whose hint counted toward W (sloppy quorum): R + W > N does not cover this write
   * until they are replayed, and it survives as long as one of its W acknowledgers, these included.
   */
  hintedBy?: readonly ServerId[];
  errorCode?: string;
}

export interface ReadOperation {
  readonly type: 'read';
  readonly client: string;
  readonly key: string;
  readonly invokedMs: number;
  completedMs: number;
  outcome: 'pending' | 'ok' | 'failed';
  result?: Versioned | null;
  /** Answered with fallbacks counted toward R, or with fewer than R answers (ReadResult): outside what R + W > N promises. */
  sloppy?: boolean;
  errorCode?: string;
}

export interface Crash {
  readonly server: ServerId;
  readonly atMs: number;
}

/** A fault that makes a live member look dead for a while: a partition (everyone) or a slow node. */
export interface Disturbance {
  readonly kind: 'partition' | 'slow';
  /** The slowed node; undefined for a partition, which may separate any two nodes. */
  readonly server?: ServerId;
  readonly fromMs: number;
  /** Infinity while it lasts. */
  toMs: number;
}

/** One node's board turning a member to a new status (gossip's verdict as that node sees it). */
export interface StatusChange {
  readonly atMs: number;
  readonly observer: ServerId;
  readonly member: ServerId;
  readonly status: 'up' | 'suspect' | 'down';
}

/** Ground truth, recorded at the nodes: every dot ever minted, acknowledged or not. */
export interface MintedWrite {
  readonly key: string;
  readonly value: string | null;
  readonly context: VersionVector | null;
  readonly requestId: string;
}

export function dotName(dot: Dot): string {
  return `${dot.actor}:${String(dot.counter)}`;
}

export class History {
  readonly operations: Operation[] = [];
  readonly crashes: Crash[] = [];
  /** When crashed servers came back (empty, under a new actor). */
  readonly restarts: Crash[] = [];
  readonly disturbances: Disturbance[] = [];
  readonly statusChanges: StatusChange[] = [];
  readonly minted = new Map<string, MintedWrite>();
  /** Every table the master committed, from the first, with when (the table in motion). */
  readonly tables: { readonly atMs: number; readonly table: RoutingTable }[] = [];
  /** Broken invariants seen while running (a dot minted twice). */
  readonly violations: string[] = [];

  mint(dot: Dot, write: MintedWrite): void {
    const name = dotName(dot);
    const earlier = this.minted.get(name);
    if (earlier !== undefined && earlier.requestId !== write.requestId) {
      this.violations.push(`dot ${name} minted twice: for ${earlier.requestId} and ${write.requestId}`);
    }
    this.minted.set(name, write);
  }
}
