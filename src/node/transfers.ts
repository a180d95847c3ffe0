/**
 * A node's side of replica moves (DESIGN.md section 6), beside anti-entropy which does the copying:
 *
 *   incoming  the table names this node a row's pending target: anti-entropy (which counts the
 *             target a holder) marks the vnode pending in RecoveryState and syncs it with every
 *             replica; `progress(v)` tells the master's executor whether that is done, and how
 *             many keys and bytes the vnode holds here
 *   outgoing  a table where this node no longer holds a vnode it held: after transferGraceMs its
 *             keys are dropped (engine.delete: no tombstone, other replicas keep theirs), unless
 *             a later table gave the vnode back meanwhile
 *
 * Dropping is bounded per step (dropKeysPerStepMax) so a large vnode does not stall the node.
 */
import type { RoutingTable } from '../ring/index.js';
import type { Timer } from '../runtime/index.js';
import type { MetricSource, NodeContext, PeerService } from './peer-service.js';

export interface TransferProgress {
  readonly vnode: number;
  readonly epoch: number;
  /** This node is the row's pending target in its table. */
  readonly target: boolean;
  /** Target, and anti-entropy has synced the vnode with every replica since it became one. */
  readonly synced: boolean;
  readonly keys: number;
  readonly bytes: number;
}

/** Keys one drop step deletes before yielding to the event loop. */
const DROP_KEYS_PER_STEP_MAX = 1024;

export class VnodeTransfers implements PeerService {
  readonly name = 'transfers';
  private unsubscribe: (() => void) | undefined;
  private held = new Set<number>();
  private readonly drops = new Map<number, Timer>();
  private stopped = false;
  private keysDropped = 0;
  private vnodesDropped = 0;

  constructor(private readonly context: NodeContext) {}

  start(): void {
    this.unsubscribe = this.context.table.onChange?.((table) => { this.follow(table); });
    const table = this.context.table.current();
    if (table !== undefined) this.held = this.holdings(table);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    for (const timer of this.drops.values()) timer.cancel();
    this.drops.clear();
  }

  progress(vnode: number): TransferProgress {
    const { table, serverId, recovery, engine } = this.context;
    const current = table.current();
    const target = current !== undefined && vnode >= 0 && vnode < current.vnodeCount && current.row(vnode).pending?.to === serverId;
    const stats = engine.vnodes().includes(vnode) ? engine.vnodeStats(vnode) : { keys: 0, bytes: 0 };
    return { vnode, epoch: table.epoch(), target, synced: target && !recovery.isPending(vnode), keys: stats.keys, bytes: stats.bytes };
  }

  metrics(): readonly MetricSource[] {
    return [
      { name: 'transfer_vnodes_dropped_total', help: 'Vnodes whose keys this node dropped transferGraceMs after the table moved them away.', type: 'counter', read: () => this.vnodesDropped },
      { name: 'transfer_keys_dropped_total', help: 'Keys dropped with those vnodes (no tombstones: the new replicas keep theirs).', type: 'counter', read: () => this.keysDropped },
      { name: 'transfer_drops_pending', help: 'Vnodes moved away and waiting out transferGraceMs.', type: 'gauge', read: () => this.drops.size },
    ];
  }

  private holdings(table: RoutingTable): Set<number> {
    const { serverId } = this.context;
    const held = new Set<number>();
    for (let vnode = 0; vnode < table.vnodeCount; vnode++) {
      const row = table.row(vnode);
      if (row.replicas.includes(serverId) || row.pending?.to === serverId) held.add(vnode);
    }
    return held;
  }

  private follow(table: RoutingTable): void {
    const next = this.holdings(table);
    for (const vnode of this.held) if (!next.has(vnode)) this.scheduleDrop(vnode);
    for (const vnode of next) {
      this.drops.get(vnode)?.cancel();
      this.drops.delete(vnode);
    }
    this.held = next;
  }

  private scheduleDrop(vnode: number): void {
    if (this.stopped || this.drops.has(vnode)) return;
    const graceMs = this.context.config.node.transferGraceMs;
    this.drops.set(vnode, this.context.clock.schedule(graceMs, () => { this.dropStep(vnode); }));
  }

  /** Deletes up to DROP_KEYS_PER_STEP_MAX keys, then yields; re-checks the table each step. */
  private dropStep(vnode: number): void {
    this.drops.delete(vnode);
    if (this.stopped || this.held.has(vnode)) return;
    const { engine, clock } = this.context;
    const keys: Uint8Array[] = [];
    for (const [key] of engine.entries(vnode)) {
      keys.push(key.slice());
      if (keys.length >= DROP_KEYS_PER_STEP_MAX) break;
    }
    for (const key of keys) if (engine.delete(key)) this.keysDropped++;
    if (keys.length >= DROP_KEYS_PER_STEP_MAX) {
      this.drops.set(vnode, clock.schedule(0, () => { this.dropStep(vnode); }));
    } else {
      this.vnodesDropped++;
      this.context.logger.info({ vnode, keysDropped: this.keysDropped }, 'dropped a vnode the table moved away');
    }
  }
}
