/**
 * The Merkle tree of a vnode and the state hash it XORs: shapes, O(depth) toggles, what the hash
 * covers (key, context, dots) and what it does not (values), and the digests exchanged.
 */
import { describe, expect, it } from 'vitest';
import {
  MerkleTree, StateHasher, TREE_DEPTH_MAX, VnodeTrees, childDigests, differingChildren, leafCount, narrowDigest, saltedDigest, treeShapeFor,
} from '../../src/anti-entropy/index.js';
import { MemoryEngine } from '../../src/storage/index.js';
import { vnodeOf } from '../../src/ring/index.js';
import type { Versioned } from '../../src/version/index.js';

const encoder = new TextEncoder();
const key = (text: string): Uint8Array => encoder.encode(text);

function state(entries: [string, number][], dots: [string, number][], value = 'v'): Versioned {
  return {
    context: entries.map(([actor, counter]) => ({ actor, counter })),
    siblings: dots.map(([actor, counter]) => ({ dot: { actor, counter }, value: encoder.encode(value), timestampMs: 5, expiresAtMs: null })),
  };
}

function hashOf(hasher: StateHasher, bytes: Uint8Array, versioned: Versioned): [number, number] {
  hasher.beginKey(bytes);
  hasher.hashState(versioned);
  return [hasher.hi, hasher.lo];
}

describe('tree shape', () => {
  it('is the deepest 4-ary tree whose leaves over V vnodes stay within leavesPerNode', () => {
    expect(treeShapeFor(1024, 1 << 20)).toEqual({ fanOut: 4, depth: 5 });
    expect(leafCount(treeShapeFor(1024, 1 << 20)) * 1024).toBe(1 << 20);
    expect(treeShapeFor(16, 1024)).toEqual({ fanOut: 4, depth: 3 });
    expect(treeShapeFor(16, 1023)).toEqual({ fanOut: 4, depth: 2 });
    expect(treeShapeFor(65536, 4).depth).toBe(1);
    expect(treeShapeFor(1, 1 << 30).depth).toBe(TREE_DEPTH_MAX);
  });
});

describe('MerkleTree', () => {
  it('toggles a leaf and every node above it, and toggling twice undoes it', () => {
    const tree = new MerkleTree({ fanOut: 4, depth: 2 });
    expect(tree.isEmpty()).toBe(true);
    tree.toggle(13, 0xdeadbeef, 7);
    expect([tree.hi(2, 13), tree.hi(1, 3), tree.hi(0, 0)]).toEqual([0xdeadbeef, 0xdeadbeef, 0xdeadbeef]);
    expect(tree.lo(1, 3)).toBe(7);
    expect(tree.hi(1, 2)).toBe(0);
    tree.toggle(12, 1, 1);
    expect(tree.hi(1, 3)).toBe((0xdeadbeef ^ 1) >>> 0);
    tree.toggle(13, 0xdeadbeef, 7);
    tree.toggle(12, 1, 1);
    expect(tree.isEmpty()).toBe(true);
    expect([...tree.leafHashes()].every((word) => word === 0)).toBe(true);
  });

  it('places a position by its top bits', () => {
    const tree = new MerkleTree({ fanOut: 4, depth: 3 });
    expect(tree.leafOf(0)).toBe(0);
    expect(tree.leafOf(0xffffffff)).toBe(63);
    expect(tree.leafOf(0x80000000)).toBe(32);
  });

  it('refuses node coordinates outside the tree (a programming error)', () => {
    const tree = new MerkleTree({ fanOut: 4, depth: 2 });
    expect(() => tree.hi(3, 0)).toThrow(/inside a tree of depth 2/);
    expect(() => tree.hi(1, 4)).toThrow(/inside a tree of depth 2/);
  });
});

describe('StateHasher', () => {
  const hasher = new StateHasher();
  const base = state([['n1.a', 3], ['n2.b', 1]], [['n1.a', 3]]);

  it('depends on the key, every context entry and every sibling dot', () => {
    const reference = hashOf(hasher, key('k'), base);
    const variants: [Uint8Array, Versioned][] = [
      [key('k2'), base],
      [key('k'), state([['n1.a', 4], ['n2.b', 1]], [['n1.a', 3]])],
      [key('k'), state([['n1.a', 3], ['n2.c', 1]], [['n1.a', 3]])],
      [key('k'), state([['n1.a', 3], ['n2.b', 1]], [['n1.a', 2]])],
      [key('k'), state([['n1.a', 3], ['n2.b', 1]], [['n2.b', 1]])],
      [key('k'), state([['n1.a', 3], ['n2.b', 1]], [['n1.a', 3], ['n2.b', 1]])],
      [key('k'), state([['n1.a', 3]], [['n1.a', 3]])],
      [key('k'), state([['n1.a', 3 + 2 ** 32], ['n2.b', 1]], [['n1.a', 3]])],
    ];
    for (const [bytes, versioned] of variants) expect(hashOf(hasher, bytes, versioned)).not.toEqual(reference);
  });

  it('depends on a key\'s counter (INCR): its lanes and offsets, as versionsEqual compares them', () => {
    const lane = (actor: string, counter: number, added: bigint, removed = 0n) => ({ actor, counter, added, removed });
    const withCounter = (lanes: ReturnType<typeof lane>[], offsets: ReturnType<typeof lane>[] = []): Versioned => ({ ...base, counter: { lanes, offsets } });
    const plain = hashOf(hasher, key('k'), base);
    const one = hashOf(hasher, key('k'), withCounter([lane('n1.a', 3, 5n)]));
    expect(one).not.toEqual(plain);
    expect(hashOf(hasher, key('k'), withCounter([]))).not.toEqual(plain);
    for (const other of [
      withCounter([lane('n1.a', 4, 5n)]), withCounter([lane('n1.a', 3, 6n)]), withCounter([lane('n1.a', 3, 5n, 1n)]),
      withCounter([lane('n1.a', 3, 5n + 2n ** 40n)]), withCounter([lane('n1.a', 3, 5n)], [lane('n1.a', 3, 5n)]), withCounter([lane('n2.b', 3, 5n)]),
    ]) {
      expect(hashOf(hasher, key('k'), other)).not.toEqual(one);
    }
    expect(hashOf(hasher, key('k'), withCounter([lane('n1.a', 3, 5n)]))).toEqual(one);
  });

  it('depends on a key\'s hash, set and sorted set: types, members, add dots and field counters, as versionsEqual compares them', () => {
    const context = [{ actor: 'n1.a', counter: 3 }, { actor: 'n1.a.t', counter: 9 }];
    const add = (counter: number) => ({ dot: { actor: 'n1.a.t', counter }, value: encoder.encode('v'), timestampMs: 5 });
    const element = (member: string, dots: number[], counter?: { lanes: { actor: string; counter: number; added: bigint; removed: bigint }[]; offsets: [] }) =>
      (counter === undefined ? { member: encoder.encode(member), dots: dots.map(add) } : { member: encoder.encode(member), dots: dots.map(add), counter });
    const typed = (type: 'hash' | 'set' | 'zset', elements: ReturnType<typeof element>[]): Versioned => ({ ...base, context, collections: [{ type, elements }] });
    const reference = hashOf(hasher, key('k'), typed('set', [element('a', [7])]));
    expect(hashOf(hasher, key('k'), { ...base, context })).not.toEqual(reference);
    for (const other of [
      typed('hash', [element('a', [7])]), typed('zset', [element('a', [7])]), typed('set', [element('b', [7])]), typed('set', [element('a', [8])]),
      typed('set', [element('a', [7, 8])]), typed('set', [element('a', [7]), element('b', [7])]),
      typed('set', [element('a', [7], { lanes: [{ actor: 'n1.a.t', counter: 9, added: 1n, removed: 0n }], offsets: [] })]),
    ]) {
      expect(hashOf(hasher, key('k'), other)).not.toEqual(reference);
    }
    expect(hashOf(hasher, key('k'), typed('set', [element('a', [7])]))).toEqual(reference);
  });

  it('does not read values: a dot names its value, so the same dots are the same state', () => {
    expect(hashOf(hasher, key('k'), state([['n1.a', 3]], [['n1.a', 3]], 'x'))).toEqual(hashOf(hasher, key('k'), state([['n1.a', 3]], [['n1.a', 3]], 'a much longer value')));
  });

  it('gives a position that depends on the key alone', () => {
    const position = hasher.beginKey(key('abc'));
    hasher.hashState(base);
    expect(hasher.beginKey(key('abc'))).toBe(position);
    expect(hasher.beginKey(key('abd'))).not.toBe(position);
  });

  it('spreads positions evenly over the leaves', () => {
    const tree = new MerkleTree({ fanOut: 4, depth: 2 });
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) {
      const leaf = tree.leafOf(hasher.beginKey(key(`key:${i}`)));
      counts[leaf] = (counts[leaf] ?? 0) + 1;
    }
    // 1000 expected per leaf; 5 standard deviations is about 160.
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(160);
  });
});

describe('digests', () => {
  it('reserve 0 for an empty subtree and change with the salt', () => {
    expect(saltedDigest(0, 0, 12345)).toBe(0);
    expect(narrowDigest(0, 0, 12345)).toBe(0);
    expect(narrowDigest(1, 2, 3)).toBeGreaterThan(0);
    expect(narrowDigest(1, 2, 3)).toBeLessThan(1 << 24);
    expect(saltedDigest(1, 2, 3)).not.toBe(0);
    expect(saltedDigest(1, 2, 3)).not.toBe(saltedDigest(1, 2, 4));
    expect(saltedDigest(1, 2, 3)).toBe(saltedDigest(1, 2, 3));
  });

  it('name exactly the children that differ, at either width', () => {
    const shape = { fanOut: 4, depth: 2 };
    const a = new MerkleTree(shape);
    const b = new MerkleTree(shape);
    a.toggle(1, 5, 5);
    b.toggle(1, 5, 5);
    a.toggle(9, 1, 2);
    b.toggle(14, 3, 4);
    for (const width of [3, 8] as const) {
      expect(differingChildren(a, 0, [0], childDigests(b, 0, [0], width, 99), width, 99)).toEqual([2, 3]);
      expect(differingChildren(a, 1, [2, 3], childDigests(b, 1, [2, 3], width, 99), width, 99)).toEqual([9, 14]);
      expect(differingChildren(a, 1, [0], childDigests(b, 1, [0], width, 99), width, 99)).toEqual([]);
      expect(differingChildren(undefined, 1, [2], childDigests(b, 1, [2], width, 7), width, 7)).toEqual([]);
    }
  });
});

describe('VnodeTrees', () => {
  it('follows the change feed, allocates a tree per vnode on its first key, and rebuilds from a filled store', () => {
    const engine = new MemoryEngine({ bytesMax: 1 << 20 });
    const trees = new VnodeTrees(treeShapeFor(16, 256), engine);
    trees.follow();
    const k = key('alpha');
    const vnode = vnodeOf(k, 16);
    expect(trees.tree(vnode)).toBeUndefined();
    engine.put(k, vnode, state([['n1.a', 1]], [['n1.a', 1]]));
    const tree = trees.tree(vnode);
    expect(tree?.isEmpty()).toBe(false);
    engine.merge(k, vnode, state([['n1.a', 1], ['n2.b', 1]], [['n2.b', 1]]));
    const root = [tree?.hi(0, 0), tree?.lo(0, 0)];
    const rebuilt = new VnodeTrees(treeShapeFor(16, 256), engine);
    rebuilt.follow();
    expect([rebuilt.tree(vnode)?.hi(0, 0), rebuilt.tree(vnode)?.lo(0, 0)]).toEqual(root);
    engine.delete(k);
    expect(tree?.isEmpty()).toBe(true);
    trees.stop();
    rebuilt.stop();
  });

  it('lists the keys of chosen leaves with their hashes', () => {
    const engine = new MemoryEngine({ bytesMax: 1 << 20 });
    const trees = new VnodeTrees(treeShapeFor(1, 64), engine);
    trees.follow();
    for (let i = 0; i < 50; i++) engine.put(key(`k${i}`), 0, state([['n1.a', i + 1]], [['n1.a', i + 1]]));
    const leaf = trees.leafOfKey(key('k7'));
    const listed = trees.entriesIn(0, new Set([leaf]));
    expect(listed.map((entry) => Buffer.from(entry.key).toString())).toContain('k7');
    expect(listed.every((entry) => entry.leaf === leaf)).toBe(true);
    expect(trees.entriesIn(0, new Set())).toEqual([]);
    trees.stop();
  });
});
