/**
 * Versions of a key: dotted version vectors with siblings (DVV 2012, Riak 2.x), the one join
 * `merge`, the coordinator's write, readers' views, context tokens and the internode codec.
 * Pure functions over plain data: no I/O, no clocks (time comes in as `nowMs`).
 */
export type { Actor, Dot, Sibling, VectorEntry, Versioned, VersionVector } from './types.js';
export type { VersionLimits } from './options.js';
export { VERSION_DEFAULTS } from './options.js';
export type { Ordering } from './vector.js';
export {
  compareActors, compareDots, compareVectors, covers, joinDot, joinVectors, vectorCounter, vectorProblem, vectorsEqual,
} from './vector.js';
export type { CoordinatedWrite, Truncation } from './dvv.js';
export {
  EMPTY_VERSIONED, compareRecency, coordinatedPut, isTimeMs, merge, truncateSiblings, versionedProblem, versionsEqual, withTypes,
} from './dvv.js';
export { isDead, isExpired, liveSiblings, resolve } from './read.js';
export { versionedBytes } from './size.js';
export {
  CONTEXT_FORMAT_VERSION, ContextTokens, TOKEN_FORMAT_VERSION, TOKEN_MAC_BYTES, contextBytesMax, decodeContext, encodeContext,
} from './context-token.js';
export { VERSIONED_FORMAT_VERSION, copyVersioned, decodeVersioned, encodeVersioned } from './codec.js';
export { ByteReader, varintBytes, writeVarint } from './byte-reader.js';
