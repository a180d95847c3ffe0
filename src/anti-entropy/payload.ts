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
 *   digests    width bytes per digest (3: 24 bits of one word; 8: two 4-byte words, hi first)
 *   node lists sections: count, then per vnode: vnode gap, index count >= 1, first index, gaps >= 1
 *              per child of each listed node, in order
 *   listing    per listed (vnode, leaf), in order: key count, then per key: position's low 16 bits
 *              (2 bytes), state hash (width bytes: listedHash), context weight (varint)
 *   wanted     sections: count, then per vnode: vnode gap, key count, per key: leaf gap (>= 0),
 *              state hash (width bytes)
 *   states     count, then per key: key length, key, state length, encodeVersioned bytes
 */
import { RingcacheError } from '../runtime/index.js';
import { ByteReader, decodeVersioned, encodeVersioned, varintBytes, writeVarint } from '../version/index.js';
import type { VersionLimits, Versioned } from '../version/index.js';
import { narrowDigest } from './merkle-tree.js';
import type { DigestWidth } from './merkle-tree.js';

export interface StateHash {
  readonly hi: number;
  readonly lo: number;
}

/** A 64-bit state hash as a Map key: four 16-bit code units. */
export function hashKey(hi: number, lo: number): string {
  return String.fromCharCode(hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff);
}

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

export interface VnodeRoot extends StateHash {
  readonly vnode: number;
}

/** Node (or leaf) indexes of one vnode's tree, strictly ascending. */
export interface Section {
  readonly vnode: number;
  readonly indexes: readonly number[];
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

/** A growing buffer for one payload; a message's payload is bounded by messageBytesMax. */
export class PayloadWriter {
  private bytes = Buffer.allocUnsafe(256);
  private at = 0;

  get length(): number {
    return this.at;
  }

  varint(value: number): void {
    this.reserve(8);
    this.at = writeVarint(this.bytes, this.at, value);
  }

  word(value: number): void {
    this.reserve(4);
    this.bytes.writeUInt32BE(value >>> 0, this.at);
    this.at += 4;
  }

  /** The low 24 bits, big-endian. */
  word24(value: number): void {
    this.reserve(3);
    this.bytes.writeUIntBE(value & 0xffffff, this.at, 3);
    this.at += 3;
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** The payload; the writer is not used after. */
  finish(): Buffer {
    return this.bytes.subarray(0, this.at);
  }

  private reserve(extra: number): void {
    if (this.at + extra <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.at + extra));
    this.bytes.copy(grown, 0, 0, this.at);
    this.bytes = grown;
  }
}

export function payloadReader(bytes: Uint8Array, subject: string): ByteReader {
  return new ByteReader(bytes, 'RC_ERR_PROTOCOL', `anti-entropy ${subject}`);
}

export function readWord24(source: ByteReader, field: string): number {
  const start = source.skip(3, field);
  const bytes = source.bytes;
  return ((bytes[start] as number) << 16) | ((bytes[start + 1] as number) << 8) | (bytes[start + 2] as number);
}

export function readWord(source: ByteReader, field: string): number {
  const start = source.skip(4, field);
  const bytes = source.bytes;
  return (((bytes[start] as number) << 24) | ((bytes[start + 1] as number) << 16) | ((bytes[start + 2] as number) << 8) | (bytes[start + 3] as number)) >>> 0;
}

function count(source: ByteReader, field: string, max: number): number {
  const value = source.varint(field);
  if (value > max) source.fail(`${field} ${value} is more than ${max} (a limit of this node: see antiEntropy.messageBytesMax)`);
  return value;
}

/** Reads a strictly ascending sequence: the first value absolute, then gaps >= 1, each below `end`. */
function ascending(source: ByteReader, previous: number, end: number, field: string): number {
  const gap = source.varint(field);
  if (previous >= 0 && gap === 0) source.fail(`${field} repeats the one before (lists are strictly ascending)`);
  const value = previous < 0 ? gap : previous + gap;
  if (value >= end) source.fail(`${field} ${value} is not below ${end}`);
  return value;
}

export function encodeRoots(roots: readonly VnodeRoot[]): Buffer {
  const writer = new PayloadWriter();
  writer.varint(roots.length);
  let previous = -1;
  for (const root of roots) {
    writer.varint(previous < 0 ? root.vnode : root.vnode - previous);
    writer.word(root.hi);
    writer.word(root.lo);
    previous = root.vnode;
  }
  return writer.finish();
}

export function decodeRoots(bytes: Uint8Array, vnodeCount: number, countMax: number): VnodeRoot[] {
  const source = payloadReader(bytes, 'roots');
  const length = count(source, 'vnode count', countMax);
  if (length === 0) source.fail('no vnode (a request for nothing)');
  const roots: VnodeRoot[] = [];
  let previous = -1;
  for (let i = 0; i < length; i++) {
    source.locate('root', i);
    previous = ascending(source, previous, vnodeCount, 'vnode');
    roots.push({ vnode: previous, hi: readWord(source, 'hi'), lo: readWord(source, 'lo') });
  }
  source.expectEnd();
  return roots;
}

/** One responder verdict: pending there, and the root's children's digests unless the roots agree. */
export interface Verdict {
  readonly pending: boolean;
  /** undefined: the roots are equal. */
  readonly children: readonly number[] | undefined;
}

const VERDICT_PENDING = 0x01;
const VERDICT_EQUAL = 0x02;

/** Digest words (childDigests) at a width: 3 bytes of one word each, or 4 bytes a word (two a digest). */
function writeDigestWord(writer: PayloadWriter, word: number, width: DigestWidth): void {
  if (width === 8) writer.word(word);
  else writer.word24(word);
}

function readDigestWord(source: ByteReader, width: DigestWidth): number {
  return width === 8 ? readWord(source, 'digest') : readWord24(source, 'digest');
}

export function encodeVerdicts(verdicts: readonly Verdict[], width: DigestWidth): Buffer {
  const writer = new PayloadWriter();
  for (const verdict of verdicts) {
    writer.varint((verdict.pending ? VERDICT_PENDING : 0) | (verdict.children === undefined ? VERDICT_EQUAL : 0));
    for (const word of verdict.children ?? []) writeDigestWord(writer, word, width);
  }
  return writer.finish();
}

/** `wordsPerVerdict` digest words (fanOut x digestWords(width)) for each differing root. */
export function decodeVerdicts(bytes: Uint8Array, vnodes: number, wordsPerVerdict: number, width: DigestWidth): Verdict[] {
  const source = payloadReader(bytes, 'verdicts');
  const verdicts: Verdict[] = [];
  for (let i = 0; i < vnodes; i++) {
    source.locate('verdict', i);
    const flags = source.byte('flags');
    if ((flags & ~(VERDICT_PENDING | VERDICT_EQUAL)) !== 0) source.fail(`unknown verdict flag bits 0x${flags.toString(16)}`);
    let children: number[] | undefined;
    if ((flags & VERDICT_EQUAL) === 0) {
      children = [];
      for (let word = 0; word < wordsPerVerdict; word++) children.push(readDigestWord(source, width));
    }
    verdicts.push({ pending: (flags & VERDICT_PENDING) !== 0, children });
  }
  source.expectEnd();
  return verdicts;
}

export function encodeSections(sections: readonly Section[]): Buffer {
  const writer = new PayloadWriter();
  writer.varint(sections.length);
  let previousVnode = -1;
  for (const section of sections) {
    writer.varint(previousVnode < 0 ? section.vnode : section.vnode - previousVnode);
    previousVnode = section.vnode;
    writer.varint(section.indexes.length);
    let previous = -1;
    for (const index of section.indexes) {
      writer.varint(previous < 0 ? index : index - previous);
      previous = index;
    }
  }
  return writer.finish();
}

/** Sections with every index below `end`, at most `indexesMax` indexes in all. */
export function decodeSections(bytes: Uint8Array, vnodeCount: number, end: number, indexesMax: number, subject: string): Section[] {
  const source = payloadReader(bytes, subject);
  const sectionCount = count(source, 'vnode count', Math.min(vnodeCount, indexesMax));
  if (sectionCount === 0) source.fail('no vnode (a request for nothing)');
  const sections: Section[] = [];
  let vnode = -1;
  let total = 0;
  for (let i = 0; i < sectionCount; i++) {
    source.locate('section', i);
    vnode = ascending(source, vnode, vnodeCount, 'vnode');
    const indexCount = count(source, 'index count', indexesMax - total);
    if (indexCount === 0) source.fail(`vnode ${vnode} lists no index`);
    total += indexCount;
    const indexes: number[] = [];
    let previous = -1;
    for (let j = 0; j < indexCount; j++) {
      previous = ascending(source, previous, end, 'index');
      indexes.push(previous);
    }
    sections.push({ vnode, indexes });
  }
  source.expectEnd();
  return sections;
}

/** Digest words (childDigests) at a width, big-endian: 3 bytes each, or 4 (two a full digest, hi first). */
export function encodeDigests(words: readonly number[] | Uint32Array, width: DigestWidth): Buffer {
  const writer = new PayloadWriter();
  for (const word of words) writeDigestWord(writer, word, width);
  return writer.finish();
}

export function decodeDigests(bytes: Uint8Array, expected: number, width: DigestWidth): Uint32Array {
  const size = width === 8 ? 4 : 3;
  if (bytes.length !== size * expected) {
    throw new RingcacheError('RC_ERR_PROTOCOL', `anti-entropy digests: ${bytes.length} bytes, expected ${size * expected}`);
  }
  const words = new Uint32Array(expected);
  const source = payloadReader(bytes, 'digests');
  for (let i = 0; i < expected; i++) words[i] = readDigestWord(source, width);
  return words;
}

function writeHash(writer: PayloadWriter, hash: StateHash, width: DigestWidth): void {
  writeDigestWord(writer, hash.hi, width);
  if (width === 8) writer.word(hash.lo);
}

function readHash(source: ByteReader, width: DigestWidth): StateHash {
  const hi = readDigestWord(source, width);
  return { hi, lo: width === 8 ? readWord(source, 'hash') : 0 };
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
