/**
 * Merkle trees over random histories of a store: the tree kept up to date by the change feed
 * equals the tree rebuilt from scratch, two stores' trees differ exactly at the leaves of the
 * keys whose states differ, and a descent from the root (at either digest width) finds exactly
 * those leaves.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VnodeTrees, differingChildren, childDigests, leafCount, treeShapeFor } from '../../src/anti-entropy/index.js';
import type { MerkleTree, TreeShape } from '../../src/anti-entropy/index.js';
import { MemoryEngine } from '../../src/storage/index.js';
import { vnodeOf } from '../../src/ring/index.js';
import { versionsEqual } from '../../src/version/index.js';
import type { Versioned } from '../../src/version/index.js';
import { versionedArbitrary } from '../support/version-arbitraries.js';

const V = 4;
const SHAPE: TreeShape = treeShapeFor(V, 256);
const keyName = fc.integer({ min: 0, max: 60 }).map((i) => `k${i}`);
const state = versionedArbitrary(3, 3);
const encoder = new TextEncoder();

type Operation = { kind: 'put' | 'merge'; key: string; state: Versioned } | { kind: 'delete'; key: string };
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key: keyName, state }),
  fc.record({ kind: fc.constant('merge' as const), key: keyName, state }),
  fc.record({ kind: fc.constant('delete' as const), key: keyName }),
);

function apply(engine: MemoryEngine, op: Operation): void {
  const key = encoder.encode(op.key);
  if (op.kind === 'delete') engine.delete(key);
  else if (op.kind === 'put') engine.put(key, vnodeOf(key, V), op.state);
  else engine.merge(key, vnodeOf(key, V), op.state);
}

function followed(engine: MemoryEngine): VnodeTrees {
  const trees = new VnodeTrees(SHAPE, engine);
  trees.follow();
  return trees;
}

function leaves(tree: MerkleTree | undefined): Uint32Array {
  return tree?.leafHashes() ?? new Uint32Array(2 * leafCount(SHAPE));
}

/** `vnode:leaf` of every leaf whose hashes differ between two sets of trees. */
function differingLeaves(a: VnodeTrees, b: VnodeTrees): Set<string> {
  const result = new Set<string>();
  for (let vnode = 0; vnode < V; vnode++) {
    const x = leaves(a.tree(vnode));
    const y = leaves(b.tree(vnode));
    for (let leaf = 0; leaf < leafCount(SHAPE); leaf++) {
      if (x[2 * leaf] !== y[2 * leaf] || x[2 * leaf + 1] !== y[2 * leaf + 1]) result.add(`${vnode}:${leaf}`);
    }
  }
  return result;
}

/** The leaves a descent from the root reaches, comparing `mine` with digests of `theirs`. */
function descend(mine: MerkleTree | undefined, theirs: MerkleTree | undefined, width: 3 | 8, salt: number): number[] {
  let nodes = [0];
  for (let level = 0; level < SHAPE.depth && nodes.length > 0; level++) {
    nodes = differingChildren(mine, level, nodes, childDigests(theirs, level, nodes, width, salt), width, salt);
  }
  return nodes;
}

describe('Merkle trees (property)', () => {
  it('the tree kept by the change feed equals the tree rebuilt from the store', () => {
    fc.assert(fc.property(fc.array(operation, { maxLength: 120 }), (operations) => {
      const engine = new MemoryEngine({ bytesMax: 1 << 24 });
      const incremental = followed(engine);
      for (const op of operations) apply(engine, op);
      const rebuilt = followed(engine);
      expect([...differingLeaves(incremental, rebuilt)]).toEqual([]);
      for (let vnode = 0; vnode < V; vnode++) {
        const empty = engine.vnodeStats(vnode).keys === 0;
        expect(incremental.tree(vnode)?.isEmpty() ?? true).toBe(empty);
      }
    }), { numRuns: 150 });
  });

  it('two stores\' trees differ exactly at the leaves of the keys whose states differ, and a descent finds them', () => {
    const divergence = fc.record({ base: fc.dictionary(keyName, state, { maxKeys: 40 }), changes: fc.array(operation, { maxLength: 15 }), salt: fc.nat() });
    fc.assert(fc.property(divergence, ({ base, changes, salt }) => {
      const a = new MemoryEngine({ bytesMax: 1 << 24 });
      const b = new MemoryEngine({ bytesMax: 1 << 24 });
      const treesA = followed(a);
      const treesB = followed(b);
      for (const [key, versioned] of Object.entries(base)) {
        apply(a, { kind: 'put', key, state: versioned });
        apply(b, { kind: 'put', key, state: versioned });
      }
      for (const change of changes) apply(b, change);
      const expected = new Set<string>();
      const names = new Set([...Object.keys(base), ...changes.map((change) => change.key)]);
      for (const name of names) {
        const key = encoder.encode(name);
        const x = a.get(key);
        const y = b.get(key);
        const same = x === undefined || y === undefined ? x === y : versionsEqual(x, y);
        if (!same) expected.add(`${vnodeOf(key, V)}:${treesA.leafOfKey(key)}`);
      }
      expect([...differingLeaves(treesA, treesB)].sort()).toEqual([...expected].sort());
      for (let vnode = 0; vnode < V; vnode++) {
        const wanted = [...expected].filter((entry) => entry.startsWith(`${vnode}:`)).map((entry) => Number(entry.split(':')[1])).sort((x, y) => x - y);
        expect(descend(treesA.tree(vnode), treesB.tree(vnode), 8, 0)).toEqual(wanted);
        expect(descend(treesA.tree(vnode), treesB.tree(vnode), 3, salt >>> 0)).toEqual(wanted);
      }
    }), { numRuns: 150 });
  });
});
