/**
 * The reading and writing the anti-entropy payloads share (tree-payload.ts, key-payload.ts):
 * a growing writer, a bounded reader that fails with RC_ERR_PROTOCOL, counts checked against a
 * limit, strictly ascending sequences (a first value, then gaps >= 1), and digests and state
 * hashes at a width (merkle-tree.ts DigestWidth).
 */
import { ByteReader, writeVarint } from '../version/index.js';
import type { DigestWidth } from './merkle-tree.js';

export interface StateHash {
  readonly hi: number;
  readonly lo: number;
}

/** A 64-bit state hash as a Map key: four 16-bit code units. */
export function hashKey(hi: number, lo: number): string {
  return String.fromCharCode(hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff);
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

export function count(source: ByteReader, field: string, max: number): number {
  const value = source.varint(field);
  if (value > max) source.fail(`${field} ${value} is more than ${max} (a limit of this node: see antiEntropy.messageBytesMax)`);
  return value;
}

/** Reads a strictly ascending sequence: the first value absolute, then gaps >= 1, each below `end`. */
export function ascending(source: ByteReader, previous: number, end: number, field: string): number {
  const gap = source.varint(field);
  if (previous >= 0 && gap === 0) source.fail(`${field} repeats the one before (lists are strictly ascending)`);
  const value = previous < 0 ? gap : previous + gap;
  if (value >= end) source.fail(`${field} ${value} is not below ${end}`);
  return value;
}

/** Digest words (childDigests) at a width: 3 bytes of one word each, or 4 bytes a word (two a digest). */
export function writeDigestWord(writer: PayloadWriter, word: number, width: DigestWidth): void {
  if (width === 8) writer.word(word);
  else writer.word24(word);
}

export function readDigestWord(source: ByteReader, width: DigestWidth): number {
  return width === 8 ? readWord(source, 'digest') : readWord24(source, 'digest');
}


export function writeHash(writer: PayloadWriter, hash: StateHash, width: DigestWidth): void {
  writeDigestWord(writer, hash.hi, width);
  if (width === 8) writer.word(hash.lo);
}

export function readHash(source: ByteReader, width: DigestWidth): StateHash {
  const hi = readDigestWord(source, width);
  return { hi, lo: width === 8 ? readWord(source, 'hash') : 0 };
}

