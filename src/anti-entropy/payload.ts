/**
 * The binary payloads of anti-entropy messages: each list travels as one bulk string in a compact
 * encoding of its own (varints from version/byte-reader.ts), decoded by the receiver against its
 * limits, in the simulator as over TCP. Decoding trusts nothing: every count, index, length and
 * state is checked, and anything malformed throws RC_ERR_PROTOCOL.
 *
 * An exchange covers several vnodes at once, so most lists come in *sections*, one per vnode,
 * vnodes strictly ascending (a gap >= 1 from the one before; the first is absolute):
 *
 *   roots      count, then per vnode: vnode gap, root hi, root lo (4 bytes each, big-endian)
 *   verdicts   per vnode of the roots, in order: flags (bit 0 pending there, bit 1 roots equal),
 *              then unless equal its root's children's digests (fanOut x width bytes)
 *   node lists sections: count, then per vnode: vnode gap, index count >= 1, first index, gaps >= 1
 *   digests    per child of each listed node, in order, width bytes (3: 24 bits of one word;
 *              8: two 4-byte words, hi first)
 *   listing    per listed (vnode, leaf), in order: key count, then per key: position's low 16 bits
 *              (2 bytes), state hash (width bytes: listedHash), context weight (varint)
 *   wanted     sections: count, then per vnode: vnode gap, key count, per key: leaf gap (>= 0),
 *              state hash (width bytes)
 *   states     count, then per key: key length, key, state length, encodeVersioned bytes
 */
export { PayloadWriter, hashKey, payloadReader } from './payload-io.js';
export type { StateHash } from './payload-io.js';
export { decodeDigests, decodeRoots, decodeSections, decodeVerdicts, encodeDigests, encodeRoots, encodeSections, encodeVerdicts } from './tree-payload.js';
export type { Section, Verdict, VnodeRoot } from './tree-payload.js';
export {
  LISTED_KEY_BYTES_MIN, WANTED_BYTES_MAX, contextWeight, decodeListing, decodeStates, decodeWanted, encodeListing, encodeStates, encodeWanted, listedHash,
  listedPosition, listingBytes, stateBytes,
} from './key-payload.js';
export type { KeyState, ListedKey, StateLimits, WantedState } from './key-payload.js';
