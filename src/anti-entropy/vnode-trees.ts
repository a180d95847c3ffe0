/**
 * One Merkle tree per vnode, kept in step with the store by its change feed (storage/engine.ts):
 * every put, merge, delete, sweep and eviction XORs the key's old state hash out and its new one
 * in, synchronously inside the engine's write, so a tree can never disagree with the store.
 *
 *   engine.put / merge / delete / sweep / evict
 *        `--> feed (vnode, key, before, after) --> tree[vnode].toggle(leaf(key), hash(before) ^ hash(after))
 *
 * A tree is allocated when its vnode first holds a key (a node allocates only what it holds);
 * an absent tree reads as an empty one.
 */
import type { StorageEngine } from '../storage/index.js';
import type { Versioned } from '../version/index.js';
import { StateHasher } from './key-hash.js';
import { MerkleTree } from './merkle-tree.js';
import type { TreeShape } from './merkle-tree.js';

/** One key of a vnode with the coordinates the exchange works with. */
export interface HashedEntry {
  readonly key: Uint8Array;
  readonly versioned: Versioned;
  /** position(key) (key-hash.ts): listings carry it so the other side can tell its own copy of the key. */
  readonly position: number;
  readonly leaf: number;
  readonly hi: number;
  readonly lo: number;
}

export class VnodeTrees {
  readonly shape: TreeShape;
  private readonly trees = new Map<number, MerkleTree>();
  private readonly hasher = new StateHasher();
  /** A tree only decides leaves; this one answers leafOf for vnodes without a tree yet. */
  private readonly shapeTree: MerkleTree;
  private unsubscribe: (() => void) | undefined;

  constructor(shape: TreeShape, private readonly engine: StorageEngine) {
    this.shape = shape;
    this.shapeTree = new MerkleTree(shape);
  }

  /** Builds every tree from the store, then follows its feed; in one synchronous step, so no change falls between. */
  follow(): void {
    if (this.unsubscribe !== undefined) return;
    this.trees.clear();
    for (const vnode of this.engine.vnodes()) {
      for (const [key, versioned] of this.engine.entries(vnode)) this.change(vnode, key, undefined, versioned);
    }
    this.unsubscribe = this.engine.subscribe((_cause, vnode, key, before, after) => { this.change(vnode, key, before, after); });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** The tree of a vnode, undefined while it holds nothing (every hash 0). */
  tree(vnode: number): MerkleTree | undefined {
    return this.trees.get(vnode);
  }

  /** The leaf a key falls in (the same in every replica's tree). */
  leafOfKey(key: Uint8Array): number {
    return this.shapeTree.leafOf(this.hasher.beginKey(key));
  }

  /**
   * The keys of one vnode that fall in `leaves`, with their state hashes: O(keys of the vnode)
   * position hashes, one state hash per selected key. The engine has no per-leaf index (it would
   * cost a map entry per key); a listing walks the vnode instead.
   */
  entriesIn(vnode: number, leaves: ReadonlySet<number>): HashedEntry[] {
    const selected: HashedEntry[] = [];
    if (leaves.size === 0) return selected;
    const hasher = this.hasher;
    for (const [key, versioned] of this.engine.entries(vnode)) {
      const position = hasher.beginKey(key);
      const leaf = this.shapeTree.leafOf(position);
      if (!leaves.has(leaf)) continue;
      hasher.hashState(versioned);
      selected.push({ key, versioned, position, leaf, hi: hasher.hi, lo: hasher.lo });
    }
    return selected;
  }

  private change(vnode: number, key: Uint8Array, before: Versioned | undefined, after: Versioned | undefined): void {
    const hasher = this.hasher;
    const position = hasher.beginKey(key);
    let hi = 0;
    let lo = 0;
    if (before !== undefined) {
      hasher.hashState(before);
      hi = hasher.hi;
      lo = hasher.lo;
    }
    if (after !== undefined) {
      hasher.hashState(after);
      hi ^= hasher.hi;
      lo ^= hasher.lo;
    }
    let tree = this.trees.get(vnode);
    if (tree === undefined) {
      tree = new MerkleTree(this.shape);
      this.trees.set(vnode, tree);
    }
    tree.toggle(tree.leafOf(position), hi, lo);
  }
}
