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
 * XOR makes every change O(depth): a key's old hash is XORed out and its new one in along one
 * path, and the tree built incrementally equals the tree built from scratch, whatever the order
 * of the writes (XOR is commutative and its own inverse). A node whose subtree holds nothing
 * hashes to 0.
 *
 * Fan-out 4, not 16: comparing a differing node costs its 4 children's digests on the wire, and
 * the bytes to find d differences among K keys grow as d * F / ln(F) * ln(K / d), lowest near
 * F = 3; 4 keeps the index arithmetic to shifts. Updates stay cheap at the extra depth (two
 * 32-bit XORs per level).
 *
 * Hashes live in one Int32Array, two words (hi, lo) per node, level after level.
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
  private readonly hashes: Int32Array;
  private readonly leafShift: number;
  private readonly leafOffset: number;

  constructor(shape: TreeShape) {
    assert(shape.fanOut === FAN_OUT && Number.isSafeInteger(shape.depth) && shape.depth >= 1 && shape.depth <= TREE_DEPTH_MAX,
      `a tree shape has fan-out ${FAN_OUT} and depth 1..${TREE_DEPTH_MAX}`);
    this.shape = shape;
    this.hashes = new Int32Array(2 * levelOffset(shape.depth + 1));
    this.leafShift = 32 - FAN_OUT_BITS * shape.depth;
    this.leafOffset = levelOffset(shape.depth);
  }

  /** The leaf of a key: the top bits of its position (key-hash.ts). */
  leafOf(position: number): number {
    return this.leafShift === 32 ? 0 : position >>> this.leafShift;
  }

  /**
   * XORs a hash into a leaf and every node above it: adds a key's hash, or removes it (XOR is
   * its own inverse), or both at once (old XOR new).
   */
  toggle(leaf: number, hi: number, lo: number): void {
    if ((hi | lo) === 0) return;
    const hashes = this.hashes;
    let index = leaf;
    for (let level = this.shape.depth; level >= 0; level--) {
      const slot = 2 * (levelOffset(level) + index);
      hashes[slot] = (hashes[slot] as number) ^ hi;
      hashes[slot + 1] = (hashes[slot + 1] as number) ^ lo;
      index >>>= FAN_OUT_BITS;
    }
  }

  /** A node's hash, high half (unsigned). */
  hi(level: number, index: number): number {
    return (this.hashes[this.slot(level, index)] as number) >>> 0;
  }

  /** A node's hash, low half (unsigned). */
  lo(level: number, index: number): number {
    return (this.hashes[this.slot(level, index) + 1] as number) >>> 0;
  }

  isEmpty(): boolean {
    return this.hashes[0] === 0 && this.hashes[1] === 0;
  }

  /** Leaf hashes as hi/lo pairs, for tests that compare trees. */
  leafHashes(): Uint32Array {
    return new Uint32Array(this.hashes.buffer, this.hashes.byteOffset + 8 * this.leafOffset, 2 * leafCount(this.shape)).slice();
  }

  private slot(level: number, index: number): number {
    // Peers name nodes: the responder validates ranges first, this catches our own mistakes.
    if (!(level >= 0 && level <= this.shape.depth && index >= 0 && index < levelWidth(level))) {
      throw new AssertionError(`tree node (${level}, ${index}) is inside a tree of depth ${this.shape.depth}`);
    }
    return 2 * (levelOffset(level) + index);
  }
}

/**
 * A node's hash as it goes on the wire when comparing trees: 4 bytes, mixed with a per-exchange
 * salt, or the whole 8 bytes. Two different 64-bit hashes give equal salted digests with
 * probability ~2^-32; the salt changes every exchange, so such a miss does not repeat. 0 is
 * reserved for an empty subtree (hash 0), so an empty side never mistakes a filled one for
 * equal. A recovering vnode compares full hashes: a miss there would end its recovery early.
 */
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
 * is an empty one. Width 8 gives each child's hi and lo words; width 4 one salted word.
 */
export function childDigests(tree: MerkleTree | undefined, level: number, nodes: readonly number[], width: 4 | 8, salt: number): number[] {
  const words: number[] = [];
  const childLevel = level + 1;
  for (const index of nodes) {
    for (let child = FAN_OUT * index; child < FAN_OUT * (index + 1); child++) {
      const hi = tree?.hi(childLevel, child) ?? 0;
      const lo = tree?.lo(childLevel, child) ?? 0;
      if (width === 8) words.push(hi, lo);
      else words.push(saltedDigest(hi, lo, salt));
    }
  }
  return words;
}

/** The children of `nodes` whose digests (from `childDigests` of the other tree) differ from ours. */
export function differingChildren(
  tree: MerkleTree | undefined, level: number, nodes: readonly number[], digests: ArrayLike<number>, width: 4 | 8, salt: number,
): number[] {
  const mine = childDigests(tree, level, nodes, width, salt);
  assert(mine.length === digests.length, 'digests come one per child (two words at full width)');
  const step = width / 4;
  const differing: number[] = [];
  for (let word = 0, child = 0; word < mine.length; word += step, child++) {
    if (mine[word] !== digests[word] || (step === 2 && mine[word + 1] !== digests[word + 1])) {
      differing.push(FAN_OUT * (nodes[Math.floor(child / FAN_OUT)] as number) + (child % FAN_OUT));
    }
  }
  return differing;
}
