/**
 * Key payloads (formats in payload.ts): the listing of differing leaves' keys, the wishes for
 * the other side's states, and the states themselves.
 */
import { decodeVersioned, encodeVersioned, varintBytes } from '../version/index.js';
import type { VersionLimits, Versioned } from '../version/index.js';
import { narrowDigest } from './merkle-tree.js';
import type { DigestWidth } from './merkle-tree.js';
import { PayloadWriter, ascending, count, payloadReader, readHash, writeHash } from './payload-io.js';
import type { StateHash } from './payload-io.js';

/**
 * A key of a listing: the low 16 bits of its position (which key it is, for the other side: a
 * leaf holds a few keys, so they rarely share them, and a mistaken pairing only costs a repair
 * its shortcut), its state hash (listedHash), and its context weight (contextWeight): enough for
 * the other side to tell its copy of the key and which of the two copies is probably ahead.
 */
export interface ListedKey extends StateHash {
  readonly position: number;
  readonly weight: number;
}

/** The 16 bits of a position a listing carries. */
export function listedPosition(position: number): number {
  return position & 0xffff;
}

/**
 * A state hash as listings and wishes carry it: all 8 bytes at width 8, else 3 bytes mixed with
 * the exchange's salt (hi = the digest, lo = 0), as the tree digests are (merkle-tree.ts
 * narrowDigest): within a leaf of a few keys two states rarely collide, and not again in the
 * next exchange.
 */
export function listedHash(hi: number, lo: number, width: DigestWidth, salt: number): StateHash {
  return width === 8 ? { hi, lo } : { hi: narrowDigest(hi, lo, salt), lo: 0 };
}

export interface WantedState extends StateHash {
  readonly vnode: number;
  readonly leaf: number;
}

export interface KeyState {
  readonly key: Uint8Array;
  readonly versioned: Versioned;
}

/**
 * The sum of a state's context counters, capped at 2^53 - 1: if one state has seen all of
 * another (merging the other in changes nothing), its weight is at least the other's. So the
 * copy with the lower weight is never the one ahead, which lets an exchange pull instead of
 * pushing a state the other side has already superseded.
 */
export function contextWeight(versioned: Versioned): number {
  let sum = 0;
  for (const entry of versioned.context) sum += entry.counter;
  return Math.min(sum, Number.MAX_SAFE_INTEGER);
}

/** Per listed leaf, its keys (positions already cut to listedPosition, hashes to listedHash). */
export function encodeListing(leaves: readonly (readonly ListedKey[])[], width: DigestWidth): Buffer {
  const writer = new PayloadWriter();
  for (const keys of leaves) {
    writer.varint(keys.length);
    for (const listed of keys) {
      writer.raw(Uint8Array.of(listed.position >>> 8, listed.position & 0xff));
      writeHash(writer, listed, width);
      writer.varint(listed.weight);
    }
  }
  return writer.finish();
}

/** Bytes a leaf with these keys adds to a listing. */
export function listingBytes(keys: readonly ListedKey[], width: DigestWidth): number {
  let bytes = varintBytes(keys.length);
  for (const key of keys) bytes += 2 + width + varintBytes(key.weight);
  return bytes;
}

/** The least a listed key takes: what bounds a listing's key count. */
export const LISTED_KEY_BYTES_MIN = 6;

export function decodeListing(bytes: Uint8Array, leaves: number, keysMax: number, width: DigestWidth): ListedKey[][] {
  const source = payloadReader(bytes, 'listing');
  const listing: ListedKey[][] = [];
  let total = 0;
  for (let leaf = 0; leaf < leaves; leaf++) {
    source.locate('leaf', leaf);
    const keys = count(source, 'key count', keysMax - total);
    total += keys;
    const listed: ListedKey[] = [];
    for (let i = 0; i < keys; i++) {
      const at = source.skip(2, 'position');
      const position = ((source.bytes[at] as number) << 8) | (source.bytes[at + 1] as number);
      const { hi, lo } = readHash(source, width);
      listed.push({ position, hi, lo, weight: source.varint('weight') });
    }
    listing.push(listed);
  }
  source.expectEnd();
  return listing;
}

/** Wanted keys sorted by vnode, then leaf; hashes as listed (listedHash). */
export function encodeWanted(wanted: readonly WantedState[], width: DigestWidth): Buffer {
  const writer = new PayloadWriter();
  const sections: WantedState[][] = [];
  for (const entry of wanted) {
    const last = sections[sections.length - 1];
    if (last !== undefined && (last[0] as WantedState).vnode === entry.vnode) last.push(entry);
    else sections.push([entry]);
  }
  writer.varint(sections.length);
  let previousVnode = -1;
  for (const section of sections) {
    const vnode = (section[0] as WantedState).vnode;
    writer.varint(previousVnode < 0 ? vnode : vnode - previousVnode);
    previousVnode = vnode;
    writer.varint(section.length);
    let previousLeaf = 0;
    for (const entry of section) {
      writer.varint(entry.leaf - previousLeaf);
      writeHash(writer, entry, width);
      previousLeaf = entry.leaf;
    }
  }
  return writer.finish();
}

/** Bytes one wanted key adds at most (a leaf gap of up to 4 bytes, the hash). */
export const WANTED_BYTES_MAX = 4 + 8;

export function decodeWanted(bytes: Uint8Array, vnodeCount: number, leafEnd: number, countMax: number, width: DigestWidth): WantedState[] {
  const source = payloadReader(bytes, 'wanted keys');
  const sectionCount = count(source, 'vnode count', Math.min(vnodeCount, countMax));
  const wanted: WantedState[] = [];
  let vnode = -1;
  for (let i = 0; i < sectionCount; i++) {
    source.locate('section', i);
    vnode = ascending(source, vnode, vnodeCount, 'vnode');
    const keys = count(source, 'key count', countMax - wanted.length);
    if (keys === 0) source.fail(`vnode ${vnode} wants no key`);
    let leaf = 0;
    for (let j = 0; j < keys; j++) {
      leaf += source.varint('leaf gap');
      if (leaf >= leafEnd) source.fail(`leaf ${leaf} is not below ${leafEnd}`);
      wanted.push({ vnode, leaf, ...readHash(source, width) });
    }
  }
  source.expectEnd();
  return wanted;
}

/** Encodes states; `encoded` saves encoding a state twice when the caller sized it already. */
export function encodeStates(states: readonly (KeyState & { readonly encoded?: Uint8Array })[]): Buffer {
  const writer = new PayloadWriter();
  writer.varint(states.length);
  for (const state of states) {
    const encoded = state.encoded ?? encodeVersioned(state.versioned);
    writer.varint(state.key.length);
    writer.raw(state.key);
    writer.varint(encoded.length);
    writer.raw(encoded);
  }
  return writer.finish();
}

/** Bytes a key and its encoded state add to a states payload. */
export function stateBytes(keyBytes: number, encodedBytes: number): number {
  return varintBytes(keyBytes) + keyBytes + varintBytes(encodedBytes) + encodedBytes;
}

export interface StateLimits {
  readonly keyBytesMax: number;
  readonly countMax: number;
  readonly version: VersionLimits;
}

/** Decodes states (keys and values are views of `bytes`); `check` refuses a key (a vnode not in the exchange). */
export function decodeStates(bytes: Uint8Array, limits: StateLimits, check: (key: Uint8Array) => string | undefined): KeyState[] {
  const source = payloadReader(bytes, 'states');
  const length = count(source, 'count', limits.countMax);
  const states: KeyState[] = [];
  for (let i = 0; i < length; i++) {
    source.locate('state', i);
    const keyLength = source.varint('key length');
    if (keyLength === 0 || keyLength > limits.keyBytesMax) source.fail(`state ${i} key of ${keyLength} bytes is outside 1..limits.keyBytesMax (${limits.keyBytesMax})`);
    const keyStart = source.skip(keyLength, 'key');
    const key = bytes.subarray(keyStart, keyStart + keyLength);
    const problem = check(key);
    if (problem !== undefined) source.fail(`state ${i}: ${problem}`);
    const stateLength = source.varint('state length');
    const stateStart = source.skip(stateLength, 'state');
    const versioned = decodeVersioned(bytes.subarray(stateStart, stateStart + stateLength), limits.version);
    states.push({ key, versioned });
  }
  source.expectEnd();
  return states;
}
