/**
 * Whether this node is recovering (DESIGN.md section 5): a node whose memory is gone (every start
 * of the memory engine) may be behind on every vnode it holds until anti-entropy has synced each
 * of them with a replica that is not itself behind. Until then its "not found" must not count
 * toward R (read replies say so), gossip shows it as recovering, and a rolling restart waits.
 *
 *   start --(anti-entropy: vnodes to sync)--> recovering [v3 v9 v17 ...]
 *         --(each vnode synced)--> ... --(none left)--> in sync
 *   in sync --(the table gives this node a vnode)--> recovering [v40] --> in sync
 *
 * A vnode the table newly gives a node is as empty as a vnode after a restart, so it makes the
 * node recovering again until that vnode is synced: the node's "not found" is only trusted once
 * every vnode it holds has been compared with a replica that is not behind.
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

  /** Adds a vnode to sync (the table gave this node a new one); an in-sync node is recovering again. */
  add(vnode: number): void {
    if (this.phase === 'waiting' || this.pendingVnodes.has(vnode)) return;
    this.pendingVnodes.add(vnode);
    if (this.phase === 'in-sync') {
      this.phase = 'syncing';
      for (const listener of this.listeners) listener(true);
    }
  }

  /** The table took a vnode away: nothing left to sync there. */
  remove(vnode: number): void {
    if (this.phase !== 'syncing') return;
    this.pendingVnodes.delete(vnode);
    this.settle();
  }

  /** The vnodes still to sync, ascending. */
  pendingList(): number[] {
    return [...this.pendingVnodes].sort((a, b) => a - b);
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
