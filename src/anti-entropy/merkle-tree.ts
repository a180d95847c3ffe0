/**
 * The Merkle tree of one vnode (DESIGN.md section 5; Dynamo 2007 section 4.7; Riak's hashtree):
 * a complete 4-ary tree over the key positions of the vnode, every node the XOR of the state
 * hashes (key-hash.ts) of the keys below it. Pure data: no I/O, no clock.
 *
 *   level 0                          [root]                        = XOR of every key's hash
 *   level 1         [n0]        [n1]        [n2]        [n3]       children of node i: 4i .. 4i+3
 *   ...
 *   level depth   [leaf 0] [leaf 1] ... [leaf 4^depth - 1]         leaf = top 2*depth bits of position(key)
 *
 * XOR makes every change cheap: a key's old hash is XORed out of its leaf and its new one in,
 * and the tree built incrementally equals the tree built from scratch, whatever the order of the
 * writes (XOR is commutative and its own inverse). The nodes above the leaves are XORs of their
 * children, recomputed when an exchange next reads them (so a write is O(1), a read after writes
 * O(nodes)); eagerly updating the path (O(depth)) cost a write ~100 ns more in cache misses over
 * a node's 1024 trees. A node whose subtree holds nothing hashes to 0.
 *
 * Fan-out 4, not 16: comparing a differing node costs its 4 children's digests on the wire, and
 * the bytes to find d differences among K keys grow as d * F / ln(F) * ln(K / d), lowest near
 * F = 3; 4 keeps the index arithmetic to shifts. Depth costs a write nothing (it touches a leaf).
 *
 * Hashes live in Int32Arrays, two words (hi, lo) per node: the leaves, and the levels above them.
 */
import { AssertionError, assert } from '../runtime/index.js';

export const FAN_OUT = 4;
const FAN_OUT_BITS = 2;
/** 4^12 = 16.8M leaves in one vnode: far past any leavesPerNode / vnodeCount a node can afford. */
export const TREE_DEPTH_MAX = 12;

export interface TreeShape {
  readonly fanOut: number;
  /** Levels below the root; leaves = fanOut^depth. */
  readonly depth: number;
}

/**
 * The shape every replica uses for every vnode, from settings that are the same cluster-wide:
 * the deepest tree whose leaves, over all V vnodes, stay within `leavesPerNode` (at least depth 1).
 * With the defaults (V = 1024, 2^20 leaves) a vnode has 4^5 = 1024 leaves, so a node holding
 * 1M keys has about one key per leaf.
 */
export function treeShapeFor(vnodeCount: number, leavesPerNode: number): TreeShape {
  assert(Number.isSafeInteger(vnodeCount) && vnodeCount >= 1, 'vnodeCount >= 1');
  assert(Number.isSafeInteger(leavesPerNode) && leavesPerNode >= 1, 'leavesPerNode >= 1');
  let depth = 1;
  while (depth < TREE_DEPTH_MAX && FAN_OUT ** (depth + 1) * vnodeCount <= leavesPerNode) depth++;
  return Object.freeze({ fanOut: FAN_OUT, depth });
}

/** Nodes at one level: 4^level. */
export function levelWidth(level: number): number {
  return 1 << (FAN_OUT_BITS * level);
}

export function leafCount(shape: TreeShape): number {
  return levelWidth(shape.depth);
}

/** Index of the first node of `level` in the level-after-level layout: (4^level - 1) / 3. */
function levelOffset(level: number): number {
  return (levelWidth(level) - 1) / (FAN_OUT - 1);
}

export class MerkleTree {
  readonly shape: TreeShape;
  /** Leaves, two words (hi, lo) each: what a write changes. */
  private readonly leaves: Int32Array;
  /** Levels 0 .. depth-1, two words a node, level after level; recomputed from the leaves when stale. */
  private readonly inner: Int32Array;
  private stale = false;
  private readonly leafShift: number;

  constructor(shape: TreeShape) {
    assert(shape.fanOut === FAN_OUT && Number.isSafeInteger(shape.depth) && shape.depth >= 1 && shape.depth <= TREE_DEPTH_MAX,
      `a tree shape has fan-out ${FAN_OUT} and depth 1..${TREE_DEPTH_MAX}`);
    this.shape = shape;
    this.leaves = new Int32Array(2 * leafCount(shape));
    this.inner = new Int32Array(2 * levelOffset(shape.depth));
    this.leafShift = 32 - FAN_OUT_BITS * shape.depth;
  }

  /** The leaf of a key: the top bits of its position (key-hash.ts). */
  leafOf(position: number): number {
    return this.leafShift === 32 ? 0 : position >>> this.leafShift;
  }

  /**
   * XORs a hash into a leaf: adds a key's hash, or removes it (XOR is its own inverse), or both
   * at once (old XOR new). The nodes above are brought up to date when next read, so a write
   * touches one leaf (8 bytes) however deep the tree: the levels above cost a write nothing and
   * an exchange a pass over the leaves (a few microseconds with the default 1024 leaves).
   */
  toggle(leaf: number, hi: number, lo: number): void {
    if ((hi | lo) === 0) return;
    const slot = 2 * leaf;
    this.leaves[slot] = (this.leaves[slot] as number) ^ hi;
    this.leaves[slot + 1] = (this.leaves[slot + 1] as number) ^ lo;
    this.stale = true;
  }

  /** A node's hash, high half (unsigned). */
  hi(level: number, index: number): number {
    return (this.words(level)[this.slot(level, index)] as number) >>> 0;
  }

  /** A node's hash, low half (unsigned). */
  lo(level: number, index: number): number {
    return (this.words(level)[this.slot(level, index) + 1] as number) >>> 0;
  }

  isEmpty(): boolean {
    return this.hi(0, 0) === 0 && this.lo(0, 0) === 0;
  }

  /** Leaf hashes as hi/lo pairs, for tests that compare trees. */
  leafHashes(): Uint32Array {
    return new Uint32Array(this.leaves.buffer, this.leaves.byteOffset, this.leaves.length).slice();
  }

  private words(level: number): Int32Array {
    if (level === this.shape.depth) return this.leaves;
    if (this.stale) this.recompute();
    return this.inner;
  }

  /** Each node the XOR of its children, from the leaves up: O(nodes). */
  private recompute(): void {
    const { depth } = this.shape;
    for (let level = depth - 1; level >= 0; level--) {
      const below = level + 1 === depth ? this.leaves : this.inner;
      const belowOffset = level + 1 === depth ? 0 : levelOffset(level + 1);
      const offset = levelOffset(level);
      for (let index = 0; index < levelWidth(level); index++) {
        let hi = 0;
        let lo = 0;
        for (let child = FAN_OUT * index; child < FAN_OUT * (index + 1); child++) {
          hi ^= below[2 * (belowOffset + child)] as number;
          lo ^= below[2 * (belowOffset + child) + 1] as number;
        }
        this.inner[2 * (offset + index)] = hi;
        this.inner[2 * (offset + index) + 1] = lo;
      }
    }
    this.stale = false;
  }

  private slot(level: number, index: number): number {
    // Peers name nodes: the responder validates ranges first, this catches our own mistakes.
    if (!(level >= 0 && level <= this.shape.depth && index >= 0 && index < levelWidth(level))) {
      throw new AssertionError(`tree node (${level}, ${index}) is inside a tree of depth ${this.shape.depth}`);
    }
    return 2 * (level === this.shape.depth ? index : levelOffset(level) + index);
  }
}

/**
 * append only: values are on the wire. Bytes of a hash as exchanges compare it: 3, mixed with a
 * per-exchange salt (narrowDigest), or the whole 8.
 */
export type DigestWidth = 3 | 8;

/** 32-bit words a digest of this width is held in: one (3 bytes of it on the wire) or two. */
export function digestWords(width: DigestWidth): number {
  return width === 8 ? 2 : 1;
}

/**
 * A node's (or a key's) hash as exchanges compare it at width 3: 24 bits of a salted mix of the
 * 64. Two different hashes give equal digests with probability ~2^-24 (~6e-8); the salt changes
 * every exchange, so such a miss costs a repair one cycle and never repeats. 3 bytes, not 4: the
 * tree comparison is most of what an exchange spends beyond the states themselves (about 40
 * bytes a differing key at 1% divergence). 0 is reserved for an empty subtree (hash 0), so an
 * empty side never mistakes a filled one for equal. A recovering vnode compares all 8 bytes: a
 * miss there could end its recovery early.
 */
export function narrowDigest(hi: number, lo: number, salt: number): number {
  if ((hi | lo) === 0) return 0;
  return Math.max(1, saltedDigest(hi, lo, salt) >>> 8);
}

/** The 32-bit salted mix narrowDigest keeps 24 bits of; 0 only for an empty hash. */
export function saltedDigest(hi: number, lo: number, salt: number): number {
  if ((hi | lo) === 0) return 0;
  const digest = (avalancheMix(hi ^ avalancheMix(lo ^ salt)) >>> 0);
  return digest === 0 ? 1 : digest;
}

function avalancheMix(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h;
}

/**
 * The digests of the children of `nodes` (at `level`): what a responder sends. An absent tree
 * is an empty one. Width 8 gives each child's hi and lo words; width 3 one salted 24-bit word.
 */
export function childDigests(tree: MerkleTree | undefined, level: number, nodes: readonly number[], width: DigestWidth, salt: number): number[] {
  const words: number[] = [];
  const childLevel = level + 1;
  for (const index of nodes) {
    for (let child = FAN_OUT * index; child < FAN_OUT * (index + 1); child++) {
      const hi = tree?.hi(childLevel, child) ?? 0;
      const lo = tree?.lo(childLevel, child) ?? 0;
      if (width === 8) words.push(hi, lo);
      else words.push(narrowDigest(hi, lo, salt));
    }
  }
  return words;
}

/** The children of `nodes` whose digests (from `childDigests` of the other tree) differ from ours. */
export function differingChildren(
  tree: MerkleTree | undefined, level: number, nodes: readonly number[], digests: ArrayLike<number>, width: DigestWidth, salt: number,
): number[] {
  const mine = childDigests(tree, level, nodes, width, salt);
  assert(mine.length === digests.length, 'digests come one per child (two words at full width)');
  const step = digestWords(width);
  const differing: number[] = [];
  for (let word = 0, child = 0; word < mine.length; word += step, child++) {
    if (mine[word] !== digests[word] || (step === 2 && mine[word + 1] !== digests[word + 1])) {
      differing.push(FAN_OUT * (nodes[Math.floor(child / FAN_OUT)] as number) + (child % FAN_OUT));
    }
  }
  return differing;
}
