/**
 * The binary payloads of anti-entropy messages: each list travels as one bulk string in a compact
 * encoding of its own (varints from version/byte-reader.ts), decoded by the receiver against its
 * limits, in the simulator as over TCP. Decoding trusts nothing: every count, index, length and
 * state is checked, and anything malformed throws RC_ERR_PROTOCOL.
 *
 *   node list   count, first index, then gaps (>= 1: strictly ascending, so no duplicates)
 *   digests     width bytes per child of each listed node, big-endian, in order
 *   listing     per listed leaf: key count, then per key: 4-byte position, 8-byte state hash (hi, lo)
 *   wanted      count, then per key: leaf gap (>= 0: leaves ascending), 8-byte state hash
 *   states      count, then per key: key length, key, state length, encodeVersioned bytes
 */
import { RingcacheError } from '../runtime/index.js';
import { ByteReader, decodeVersioned, encodeVersioned, varintBytes, writeVarint } from '../version/index.js';
import type { VersionLimits, Versioned } from '../version/index.js';

export interface StateHash {
  readonly hi: number;
  readonly lo: number;
}

/** A 64-bit state hash as a Map key: four 16-bit code units. */
export function hashKey(hi: number, lo: number): string {
  return String.fromCharCode(hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff);
}

/** A key of a listing: its position (which key, for the other side) and its state hash. */
export interface ListedKey extends StateHash {
  readonly position: number;
}

export interface WantedState extends StateHash {
  readonly leaf: number;
}

export interface KeyState {
  readonly key: Uint8Array;
  readonly versioned: Versioned;
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

function reader(bytes: Uint8Array, subject: string): ByteReader {
  return new ByteReader(bytes, 'RC_ERR_PROTOCOL', `anti-entropy ${subject}`);
}

function word(source: ByteReader, field: string): number {
  const start = source.skip(4, field);
  const bytes = source.bytes;
  return (((bytes[start] as number) << 24) | ((bytes[start + 1] as number) << 16) | ((bytes[start + 2] as number) << 8) | (bytes[start + 3] as number)) >>> 0;
}

function count(source: ByteReader, field: string, max: number): number {
  const value = source.varint(field);
  if (value > max) source.fail(`${field} ${value} is more than ${max} (a limit of this node: see antiEntropy.messageBytesMax)`);
  return value;
}

/** Strictly ascending indexes below `end`. */
export function encodeIndexList(indexes: readonly number[]): Buffer {
  const writer = new PayloadWriter();
  writer.varint(indexes.length);
  let previous = -1;
  for (const index of indexes) {
    writer.varint(previous < 0 ? index : index - previous);
    previous = index;
  }
  return writer.finish();
}

export function decodeIndexList(bytes: Uint8Array, end: number, countMax: number, subject: string): number[] {
  const source = reader(bytes, subject);
  const length = count(source, 'count', countMax);
  if (length === 0) source.fail('an empty list (a request for nothing)');
  const indexes: number[] = [];
  let previous = -1;
  for (let i = 0; i < length; i++) {
    source.locate('index', i);
    const gap = source.varint('value');
    if (previous >= 0 && gap === 0) source.fail(`index ${i} repeats the one before (a list is strictly ascending)`);
    const index = previous < 0 ? gap : previous + gap;
    if (index >= end) source.fail(`index ${index} is not below ${end}`);
    indexes.push(index);
    previous = index;
  }
  source.expectEnd();
  return indexes;
}

/** `digests` as words (4 bytes each); a full-width digest is two words, hi first. */
export function encodeWords(words: readonly number[] | Uint32Array): Buffer {
  const bytes = Buffer.allocUnsafe(4 * words.length);
  for (let i = 0; i < words.length; i++) bytes.writeUInt32BE((words[i] as number) >>> 0, 4 * i);
  return bytes;
}

export function decodeWords(bytes: Uint8Array, expected: number, subject: string): Uint32Array {
  if (bytes.length !== 4 * expected) {
    throw new RingcacheError('RC_ERR_PROTOCOL', `anti-entropy ${subject}: ${bytes.length} bytes, expected ${4 * expected}`);
  }
  const words = new Uint32Array(expected);
  const source = reader(bytes, subject);
  for (let i = 0; i < expected; i++) words[i] = word(source, 'digest');
  return words;
}

/** Per listed leaf, its keys' positions and state hashes. */
export function encodeListing(leaves: readonly (readonly ListedKey[])[]): Buffer {
  const writer = new PayloadWriter();
  for (const keys of leaves) {
    writer.varint(keys.length);
    for (const listed of keys) {
      writer.word(listed.position);
      writer.word(listed.hi);
      writer.word(listed.lo);
    }
  }
  return writer.finish();
}

/** Bytes one listed key takes. */
export const LISTED_KEY_BYTES = 12;

/** Bytes a leaf with `keys` keys adds to a listing. */
export function listingBytes(keys: number): number {
  return varintBytes(keys) + LISTED_KEY_BYTES * keys;
}

export function decodeListing(bytes: Uint8Array, leaves: number, keysMax: number): ListedKey[][] {
  const source = reader(bytes, 'listing');
  const listing: ListedKey[][] = [];
  let total = 0;
  for (let leaf = 0; leaf < leaves; leaf++) {
    source.locate('leaf', leaf);
    const keys = count(source, 'key count', keysMax - total);
    total += keys;
    const listed: ListedKey[] = [];
    for (let i = 0; i < keys; i++) listed.push({ position: word(source, 'position'), hi: word(source, 'hash'), lo: word(source, 'hash') });
    listing.push(listed);
  }
  source.expectEnd();
  return listing;
}

/** Wanted keys sorted by leaf. */
export function encodeWanted(wanted: readonly WantedState[]): Buffer {
  const writer = new PayloadWriter();
  writer.varint(wanted.length);
  let previous = 0;
  for (const entry of wanted) {
    writer.varint(entry.leaf - previous);
    writer.word(entry.hi);
    writer.word(entry.lo);
    previous = entry.leaf;
  }
  return writer.finish();
}

/** Bytes one wanted key adds (the leaf gap is at most a few bytes; counted at its largest). */
export const WANTED_BYTES_MAX = 8 + 4;

export function decodeWanted(bytes: Uint8Array, leafEnd: number, countMax: number): WantedState[] {
  const source = reader(bytes, 'wanted keys');
  const length = count(source, 'count', countMax);
  const wanted: WantedState[] = [];
  let leaf = 0;
  for (let i = 0; i < length; i++) {
    source.locate('wanted key', i);
    leaf += source.varint('leaf gap');
    if (leaf >= leafEnd) source.fail(`leaf ${leaf} is not below ${leafEnd}`);
    wanted.push({ leaf, hi: word(source, 'hash'), lo: word(source, 'hash') });
  }
  source.expectEnd();
  return wanted;
}

/** Encodes states; each entry's encoded size is known after, for budgets (`stateBytes`). */
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

/** Decodes states (keys and values are views of `bytes`); `check` refuses a key (wrong vnode). */
export function decodeStates(bytes: Uint8Array, limits: StateLimits, check: (key: Uint8Array) => string | undefined): KeyState[] {
  const source = reader(bytes, 'states');
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
