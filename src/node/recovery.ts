/**
 * Whether this node is recovering (DESIGN.md section 5): a node whose memory is gone (every start
 * of the memory engine) may be behind on every vnode it holds until anti-entropy has synced each
 * of them with a replica that is not itself behind. Until then its "not found" must not count
 * toward R (read replies say so), gossip shows it as recovering, and a rolling restart waits.
 *
 *   start --(anti-entropy: vnodes to sync)--> recovering [v3 v9 v17 ...]
 *         --(each vnode synced)--> ... --(none left)--> in sync
 *
 * Anti-entropy owns the transitions; the data handlers, membership and /health read them.
 */
export type RecoveryListener = (recovering: boolean) => void;

export class RecoveryState {
  private readonly pendingVnodes = new Set<number>();
  private phase: 'waiting' | 'syncing' | 'in-sync';
  private readonly listeners = new Set<RecoveryListener>();

  /** `startsInSync`: a node with nothing to catch up on (a test, or a durable engine's restart). */
  constructor(startsInSync = false) {
    this.phase = startsInSync ? 'in-sync' : 'waiting';
  }

  get recovering(): boolean {
    return this.phase !== 'in-sync';
  }

  /** Vnodes still to sync; 0 before anti-entropy has said which. */
  get pending(): number {
    return this.pendingVnodes.size;
  }

  /** Anti-entropy names the vnodes this node must sync (those it holds in the table). */
  begin(vnodes: Iterable<number>): void {
    if (this.phase === 'in-sync') return;
    this.pendingVnodes.clear();
    for (const vnode of vnodes) this.pendingVnodes.add(vnode);
    this.phase = 'syncing';
    this.settle();
  }

  /** Adds a vnode to sync (the table gave this node a new one while it recovers). */
  add(vnode: number): void {
    if (this.phase === 'syncing') this.pendingVnodes.add(vnode);
  }

  markSynced(vnode: number): void {
    if (this.phase !== 'syncing') return;
    this.pendingVnodes.delete(vnode);
    this.settle();
  }

  isPending(vnode: number): boolean {
    return this.phase === 'waiting' || this.pendingVnodes.has(vnode);
  }

  onChange(listener: RecoveryListener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  private settle(): void {
    if (this.phase !== 'syncing' || this.pendingVnodes.size > 0) return;
    this.phase = 'in-sync';
    for (const listener of this.listeners) listener(false);
  }
}
