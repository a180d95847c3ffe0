/**
 * What the Merkle trees cost a write (issue 6, figures: "the Merkle update and the change feed
 * must not be what slows writes down"): the same puts into a MemoryEngine with no listener, with
 * a no-op listener (the change feed alone), and with the anti-entropy trees following it, and
 * the hash plus tree update alone. Medians of several rounds, in ns per write.
 */
import { VnodeTrees, MerkleTree, StateHasher, treeShapeFor } from '../src/anti-entropy/index.js';
import { MemoryEngine } from '../src/storage/index.js';
import { vnodeOf } from '../src/ring/index.js';
import { coordinatedPut } from '../src/version/index.js';
import type { Versioned } from '../src/version/index.js';
import { median } from './bench-report.js';

export interface WriteCost {
  readonly writes: number;
  readonly rounds: number;
  /** engine.put with no change-feed listener. */
  readonly putBareNs: number;
  /** engine.put with one listener that does nothing: the feed alone. */
  readonly putFeedNs: number;
  /** engine.put with the anti-entropy trees following the feed. */
  readonly putTreesNs: number;
  /** The trees' share of a put: putTreesNs - putFeedNs. */
  readonly treesPerWriteNs: number;
  /** One change (old state out, new state in) hashed and toggled, outside any engine. */
  readonly hashAndToggleNs: number;
}

const encoder = new TextEncoder();

/** `writes` overwrites of `keyCount` keys, each a new state with a one-entry context, as a blind SET makes. */
function workload(keyCount: number, writes: number, valueBytes: number, vnodeCount: number): { keys: Uint8Array[]; vnodes: number[]; states: Versioned[] } {
  const keys: Uint8Array[] = [];
  const vnodes: number[] = [];
  for (let i = 0; i < keyCount; i++) {
    const key = encoder.encode(`key:${String(i).padStart(7, '0')}`);
    keys.push(key);
    vnodes.push(vnodeOf(key, vnodeCount));
  }
  const value = new Uint8Array(valueBytes);
  const states: Versioned[] = [];
  for (let i = 0; i < writes; i++) {
    states.push(coordinatedPut(undefined, { value, context: null, dot: { actor: 'n1.bench0000', counter: i + 1 }, timestampMs: 1_700_000_000_000 + i, expiresAtMs: null }));
  }
  return { keys, vnodes, states };
}

function timePuts(engine: MemoryEngine, work: ReturnType<typeof workload>): number {
  const { keys, vnodes, states } = work;
  const started = process.hrtime.bigint();
  for (let i = 0; i < states.length; i++) {
    const index = i % keys.length;
    engine.put(keys[index] as Uint8Array, vnodes[index] as number, states[i] as Versioned);
  }
  return Number(process.hrtime.bigint() - started) / states.length;
}

export function measureWriteCost(options: { keyCount?: number; writes?: number; rounds?: number; valueBytes?: number; vnodeCount?: number } = {}): WriteCost {
  const keyCount = options.keyCount ?? 50_000;
  const writes = options.writes ?? 300_000;
  const rounds = options.rounds ?? 5;
  const vnodeCount = options.vnodeCount ?? 1024;
  const work = workload(keyCount, writes, options.valueBytes ?? 100, vnodeCount);
  const bare: number[] = [];
  const feed: number[] = [];
  const trees: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const plain = new MemoryEngine({ bytesMax: 1 << 30 });
    bare.push(timePuts(plain, work));
    const fed = new MemoryEngine({ bytesMax: 1 << 30 });
    fed.subscribe(() => undefined);
    feed.push(timePuts(fed, work));
    const followed = new MemoryEngine({ bytesMax: 1 << 30 });
    const following = new VnodeTrees(treeShapeFor(vnodeCount, 1 << 20), followed);
    following.follow();
    trees.push(timePuts(followed, work));
    following.stop();
  }
  return {
    writes, rounds,
    putBareNs: median(bare), putFeedNs: median(feed), putTreesNs: median(trees),
    treesPerWriteNs: median(trees) - median(feed),
    hashAndToggleNs: hashAndToggle(work, rounds),
  };
}

function hashAndToggle(work: ReturnType<typeof workload>, rounds: number): number {
  const { keys, states } = work;
  const hasher = new StateHasher();
  const tree = new MerkleTree(treeShapeFor(1024, 1 << 20));
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = process.hrtime.bigint();
    for (let i = 1; i < states.length; i++) {
      const position = hasher.beginKey(keys[i % keys.length] as Uint8Array);
      hasher.hashState(states[i - 1] as Versioned);
      const hi = hasher.hi;
      const lo = hasher.lo;
      hasher.hashState(states[i] as Versioned);
      tree.toggle(tree.leafOf(position), hi ^ hasher.hi, lo ^ hasher.lo);
    }
    samples.push(Number(process.hrtime.bigint() - started) / (states.length - 1));
  }
  return median(samples);
}
