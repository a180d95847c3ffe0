/**
 * Unsigned LEB128 varints and a bounds-checked reader, shared by context tokens and the internode
 * codec. Every read checks what is left, so malformed input ends in a RingcacheError with the
 * offset and the field, never a RangeError or a garbage value.
 *
 *   300 = 0b10_0101100  ->  [1010 1100] [0000 0010]   low 7 bits first, high bit = "more follows"
 *
 * Varints are canonical: at most 8 bytes (ceil(53 / 7)), no value above 2^53 - 1 (exact in a
 * double), and no trailing zero group, so one value has one encoding and equal states encode equally.
 */
import { AssertionError, RingcacheError } from '../runtime/index.js';
import type { ErrorCode } from '../runtime/index.js';

const VARINT_BYTES_MAX = 8;

/** Bytes `value` takes as a varint. */
export function varintBytes(value: number): number {
  // A hot path: the message is only built when the check fails.
  if (!(Number.isSafeInteger(value) && value >= 0)) throw new AssertionError(`varint value ${value} is an integer in 0..2^53-1`);
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  if (value < 0x800000000) return 5;
  if (value < 0x40000000000) return 6;
  if (value < 0x2000000000000) return 7;
  return 8;
}

/** Writes `value` at `offset`; returns the offset after it. The caller sized the buffer. */
export function writeVarint(target: Uint8Array, offset: number, value: number): number {
  let at = offset;
  let rest = value;
  if (value >= 0x80000000) {
    // Above 31 bits (timestamps): the low 28 bits as four full groups with 32-bit integer ops,
    // then the remaining 25 bits (4 of the low word, 21 of the high word) as one integer.
    let low = value >>> 0;
    for (let group = 0; group < 4; group++) {
      target[at++] = (low & 0x7f) | 0x80;
      low >>>= 7;
    }
    rest = low | (Math.floor(value / 0x100000000) << 4);
  }
  while (rest >= 0x80) {
    target[at++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  target[at++] = rest;
  return at;
}

/** A cursor over bytes from a client or a peer; every failure is a RingcacheError with `code`. */
export class ByteReader {
  readonly bytes: Uint8Array;
  offset = 0;
  private readonly code: ErrorCode;
  private readonly subject: string;
  /** The item being read ("entry 3"), named in errors; kept as parts so no string is built per read. */
  private itemKind = '';
  private itemIndex = 0;

  constructor(bytes: Uint8Array, code: ErrorCode, subject: string) {
    this.bytes = bytes;
    this.code = code;
    this.subject = subject;
  }

  /** Names the item the next fields belong to; `field` names stay constant strings. */
  locate(itemKind: string, itemIndex: number): void {
    this.itemKind = itemKind;
    this.itemIndex = itemIndex;
  }

  fail(problem: string): never {
    throw new RingcacheError(this.code, `${this.subject}: ${problem}`, { offset: this.offset, length: this.bytes.length });
  }

  byte(field: string): number {
    const value = this.bytes[this.offset];
    if (value === undefined) this.truncated(field, 1);
    this.offset++;
    return value;
  }

  varint(field: string): number {
    const bytes = this.bytes;
    const first = bytes[this.offset];
    if (first === undefined) this.truncated(field, 1);
    if (first < 0x80) {
      this.offset++;
      return first;
    }
    let value = first & 0x7f;
    let scale = 0x80;
    for (let index = 1; index < VARINT_BYTES_MAX; index++) {
      const next = bytes[this.offset + index];
      if (next === undefined) this.truncated(field, index + 1);
      value += (next & 0x7f) * scale;
      if (next < 0x80) {
        if (next === 0) this.fail(`${this.label(field)} is a non-canonical varint (trailing zero byte) at offset ${this.offset}`);
        if (value > Number.MAX_SAFE_INTEGER) this.fail(`${this.label(field)} is above 2^53-1 at offset ${this.offset}`);
        this.offset += index + 1;
        return value;
      }
      scale *= 0x80;
    }
    return this.fail(`${this.label(field)} is a varint longer than ${VARINT_BYTES_MAX} bytes (above 2^53-1) at offset ${this.offset}`);
  }

  /** Skips `length` bytes and returns where they started. */
  skip(length: number, field: string): number {
    const start = this.offset;
    if (length > this.bytes.length - start) this.truncated(field, length);
    this.offset = start + length;
    return start;
  }

  /** Throws unless every byte was consumed: trailing bytes mean a different format or garbage. */
  expectEnd(): void {
    const left = this.bytes.length - this.offset;
    if (left !== 0) this.fail(`${left} trailing byte(s) after offset ${this.offset}`);
  }

  private label(field: string): string {
    return this.itemKind === '' ? field : `${this.itemKind} ${this.itemIndex} ${field}`;
  }

  private truncated(field: string, needed: number): never {
    return this.fail(`truncated: ${this.label(field)} needs ${needed} byte(s) at offset ${this.offset} but only ${this.bytes.length - this.offset} remain`);
  }
}
