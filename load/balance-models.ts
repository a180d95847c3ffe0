/**
 * The placements the balance benchmark compares ringcache's table with, over the same keys and
 * the same replica load model (pure: plain arrays in, per-server loads out):
 *
 *   ketama          consistent hashing with 160 points per server (libketama, twemproxy), each
 *                   key on the first N distinct servers clockwise from its hash
 *   bounded loads   consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam,
 *                   SODA 2018): a server takes a replica only while its load stays within
 *                   (1 + epsilon) x the mean; otherwise the walk goes on clockwise. Keys arrive
 *                   in a pseudo-random order (not hottest first, which would favour it)
 *
 * Hashes are the top 32 bits of xxHash64, on one 2^32 ring for keys and points.
 */
import { keyHash } from '../src/ring/index.js';
import { assert } from '../src/runtime/index.js';

export interface KeySet {
  /** Top 32 bits of each key's xxHash64. */
  readonly hashes: Uint32Array;
}

export interface KeyLoads {
  /** Load of each key on each of its replicas. */
  readonly replica: Float64Array;
  /** Load of each key on its first replica on top (it coordinates the writes). */
  readonly leader: Float64Array;
}

export const KETAMA_POINTS_PER_SERVER = 160;

export function hash32(bytes: Uint8Array): number {
  return Number(keyHash(bytes) >> 32n);
}

interface Ring {
  readonly points: Uint32Array;
  readonly owners: Uint16Array;
}

function ringOf(serverCount: number, pointsPerServer: number): Ring {
  const entries: { point: number; owner: number }[] = [];
  for (let server = 0; server < serverCount; server++) {
    for (let point = 0; point < pointsPerServer; point++) entries.push({ point: hash32(Buffer.from(`n${server + 1}-${point}`)), owner: server });
  }
  entries.sort((a, b) => a.point - b.point || a.owner - b.owner);
  return { points: Uint32Array.from(entries.map((e) => e.point)), owners: Uint16Array.from(entries.map((e) => e.owner)) };
}

/** Index of the first point >= hash (wrapping to 0). */
function successor(ring: Ring, hash: number): number {
  let low = 0;
  let high = ring.points.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((ring.points[middle] ?? 0) < hash) low = middle + 1;
    else high = middle;
  }
  return low === ring.points.length ? 0 : low;
}

/** Per-server load with plain consistent hashing. */
export function ketamaLoads(keys: KeySet, loads: KeyLoads, serverCount: number, replicaCount: number): Float64Array {
  assert(replicaCount <= serverCount, 'ketama: N <= S');
  const ring = ringOf(serverCount, KETAMA_POINTS_PER_SERVER);
  const result = new Float64Array(serverCount);
  const chosen = new Int32Array(replicaCount);
  for (let key = 0; key < keys.hashes.length; key++) {
    let at = successor(ring, keys.hashes[key] ?? 0);
    let found = 0;
    // Bounded: the ring holds every server, so N distinct ones are met within one turn.
    for (let step = 0; step < ring.points.length && found < replicaCount; step++, at = (at + 1) % ring.points.length) {
      const owner = ring.owners[at] ?? 0;
      if (chosen.subarray(0, found).includes(owner)) continue;
      chosen[found] = owner;
      result[owner] = (result[owner] ?? 0) + (loads.replica[key] ?? 0) + (found === 0 ? loads.leader[key] ?? 0 : 0);
      found++;
    }
  }
  return result;
}

/**
 * Per-server load with bounded loads. A replica heavier than any server's remaining room (a key
 * hotter than (1 + epsilon) x the mean) cannot be placed within the bound: it goes to the next
 * distinct server clockwise regardless, as unbounded consistent hashing would.
 */
export function boundedLoads(keys: KeySet, loads: KeyLoads, serverCount: number, replicaCount: number, epsilon: number): Float64Array {
  const ring = ringOf(serverCount, KETAMA_POINTS_PER_SERVER);
  let total = 0;
  for (let key = 0; key < keys.hashes.length; key++) total += replicaCount * (loads.replica[key] ?? 0) + (loads.leader[key] ?? 0);
  const capacity = (1 + epsilon) * total / serverCount;
  const result = new Float64Array(serverCount);
  const chosen = new Int32Array(replicaCount);
  const count = keys.hashes.length;
  // Multiplying by an odd number coprime with 5 permutes 0..count-1 when count is 2^a 5^b (10^6).
  const stride = gcd(2654435761 % count, count) === 1 ? 2654435761 % count : 1;
  for (let index = 0; index < count; index++) {
    const key = (index * stride) % count;
    let found = 0;
    const start = successor(ring, keys.hashes[key] ?? 0);
    for (let pass = 0; pass < 2 && found < replicaCount; pass++) {
      for (let step = 0, at = start; step < ring.points.length && found < replicaCount; step++, at = (at + 1) % ring.points.length) {
        const owner = ring.owners[at] ?? 0;
        if (chosen.subarray(0, found).includes(owner)) continue;
        const load = (loads.replica[key] ?? 0) + (found === 0 ? loads.leader[key] ?? 0 : 0);
        if (pass === 0 && (result[owner] ?? 0) + load > capacity) continue;
        chosen[found] = owner;
        result[owner] = (result[owner] ?? 0) + load;
        found++;
      }
    }
  }
  return result;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** max / mean of per-server loads (equal capacities). */
export function ratio(loads: ArrayLike<number>): number {
  let total = 0;
  let max = 0;
  for (let i = 0; i < loads.length; i++) {
    const value = loads[i] ?? 0;
    total += value;
    if (value > max) max = value;
  }
  return total > 0 ? max / (total / loads.length) : 1;
}
