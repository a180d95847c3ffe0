/**
 * Hashing onto the ring (DESIGN.md section 2).
 *
 *   key bytes --xxHash64(seed 0)--> 64-bit h --top log2(V) bits--> vnode v in [0, V)
 *
 *   0                                                            2^64
 *   |-- vnode 0 --|-- vnode 1 --|-- ... --|-- vnode V-1 --|
 *   each vnode owns an equal slice of 2^64 / V hashes
 *
 * Equal-sized partitions are Dynamo's partitioning strategy 3 (DeCandia et al. 2007, section 6.2):
 * the partition of a key never changes for the life of a cluster, so moving data means moving
 * whole vnodes, and a table is just V rows. The top bits (not `h mod V`) keep the vnode a
 * contiguous range of the hash space, which is what the ring walk of the placement reasons about.
 */
import xxhash from 'xxhash-wasm';
import { AssertionError, RingcacheError, assert } from '../runtime/index.js';

// One WebAssembly instance per process, created when the module loads (top-level await, ESM).
const hasher = await xxhash();

/** V is at most 2^16: 65,536 rows are plenty for thousands of servers and keep tables small. */
export const VNODE_COUNT_MAX = 65_536;

/**
 * `64 - log2(V)` as a BigInt for every allowed V, indexed by log2(V), so the hot path allocates
 * no shift amount per call.
 */
const SHIFT_BY_LOG2: readonly bigint[] = Array.from({ length: 17 }, (_, log2) => BigInt(64 - log2));

/** xxHash64 (seed 0) of the key bytes, as an unsigned 64-bit BigInt. */
export function keyHash(key: Uint8Array): bigint {
  return hasher.h64Raw(key, 0n);
}

/**
 * The vnode of a key: the top log2(V) bits of its hash. On the proxy's hot path (every request),
 * so it only does integer checks and one BigInt shift; `checkVnodeCount` validated V at start-up.
 */
export function vnodeOf(key: Uint8Array, vnodeCount: number): number {
  // The message is built only when the check fails: a template argument to assert() was built on every call.
  if (!(vnodeCount >= 1 && vnodeCount <= VNODE_COUNT_MAX && (vnodeCount & (vnodeCount - 1)) === 0)) {
    throw new AssertionError(`vnodeOf: V=${vnodeCount} is not a power of two in [1, ${VNODE_COUNT_MAX}]`);
  }
  const shift = SHIFT_BY_LOG2[31 - Math.clz32(vnodeCount)];
  assert(shift !== undefined, 'vnodeOf: shift table covers every allowed V');
  return Number(hasher.h64Raw(key, 0n) >> shift);
}

/** Throws RC_ERR_CONFIG unless V is a power of two in [1, 65536] (checked once at start-up). */
export function checkVnodeCount(vnodeCount: number): void {
  const isPowerOfTwo =
    Number.isInteger(vnodeCount) && vnodeCount >= 1 && (vnodeCount & (vnodeCount - 1)) === 0;
  if (!isPowerOfTwo || vnodeCount > VNODE_COUNT_MAX) {
    throw new RingcacheError(
      'RC_ERR_CONFIG',
      `cluster.vnodeCount=${String(vnodeCount)} must be a power of two between 1 and ${VNODE_COUNT_MAX}` +
        ' (vnodes are equal slices of the hash space, fixed for the life of a cluster); see cluster.vnodeCount',
      { key: 'cluster.vnodeCount', value: vnodeCount },
    );
  }
}

/**
 * The `count` tokens of a server on the 2^64 ring: xxHash64 of `${serverId}#${i}`. Many tokens
 * per server smooth out the arcs each server owns (Dynamo's virtual nodes, section 4.2); the
 * placement only uses them to seed the table, then evens counts exactly.
 */
export function serverTokens(serverId: string, count: number): bigint[] {
  assert(Number.isInteger(count) && count >= 1, `serverTokens: count=${count} must be a positive integer`);
  const tokens: bigint[] = [];
  for (let i = 0; i < count; i++) tokens.push(hasher.h64(`${serverId}#${i}`, 0n));
  return tokens;
}
