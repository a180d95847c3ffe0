import { AssertionError, assert, unreachable } from '../runtime/index.js';
import { RESP_NULL_ARRAY, RESP_NULL_BULK } from './reply.js';
import type { ReplyValue } from './reply.js';

/**
 * RESP2 encoding into a batch: every reply of one connection that is ready in one turn of the
 * event loop is appended to one slab and leaves in one socket.write (per-reply buffers and
 * per-reply writes are what make Node proxies slow, see BENCHMARKS.md).
 *
 *   slab (64 KiB, allocated once, then again only when full)
 *   +-----------------------+----------------------+----------------------------+
 *   | batch 1 (taken, owned | batch 2 (taken)      | batch 3 being written ...  |  free
 *   | by socket 7's queue)  |                      | start            offset -> |
 *   +-----------------------+----------------------+----------------------------+
 *
 * `take()` hands out a view of [start, offset) and the next batch continues after it, so a slab
 * is never overwritten while a socket may still hold a view of it; a full slab is dropped (the
 * views keep it alive until written) and a new one started, carrying the unfinished batch over.
 * One writer is meant to serve a whole server: batches are built one connection at a time.
 * A request is an array of bulk strings, so a client batches its commands with a writer too
 * (transport/resp-link.ts: one writer per connection, `arrayHeader` then `bulk*` per command).
 */

const CR = 13;
const LF = 10;
const PLUS = 43;
const MINUS = 45;
const COLON = 58;
const DOLLAR = 36;
const STAR = 42;
/** Copying a tiny value byte by byte beats the native call of TypedArray#set. */
const SMALL_COPY_BYTES = 32;
/** Type byte, sign, 16 digits (2^53), CR LF. */
const INTEGER_LINE_BYTES_MAX = 20;
export const SLAB_BYTES_DEFAULT = 64 * 1024;
const EMPTY = Buffer.alloc(0);
const LINE_BREAK = /[\r\n]/g;

export class ReplyWriter {
  private slab: Buffer;
  private start = 0;
  private offset = 0;

  constructor(private readonly slabBytes: number = SLAB_BYTES_DEFAULT) {
    assert(Number.isSafeInteger(slabBytes) && slabBytes >= 64, `slabBytes must be an integer >= 64, got ${slabBytes}`);
    this.slab = Buffer.allocUnsafe(slabBytes);
  }

  /** Bytes appended since the last take(). */
  get batchBytes(): number {
    return this.offset - this.start;
  }

  /** Hands back the batch (a view; empty when nothing was appended) and starts the next one. */
  take(): Buffer {
    if (this.offset === this.start) return EMPTY;
    const batch = this.slab.subarray(this.start, this.offset);
    this.start = this.offset;
    return batch;
  }

  /** Drops what was appended after `batchBytes` was `length` (a reply that failed half-way). */
  truncate(length: number): void {
    assert(length >= 0 && length <= this.batchBytes, `truncate(${length}) outside the batch of ${this.batchBytes} bytes`);
    this.offset = this.start + length;
  }

  simple(text: string): void {
    this.line(PLUS, text);
  }

  /** `message` is the whole line without '-': 'ERR unknown command', 'WRONGTYPE ...'. */
  error(message: string): void {
    this.line(MINUS, message);
  }

  integer(value: number): void {
    // Hot path (every reply's epoch): the message is only built when the check fails.
    if (!Number.isSafeInteger(value)) throw new AssertionError(`RESP integer must be a safe integer, got ${value}`);
    this.reserve(INTEGER_LINE_BYTES_MAX);
    this.header(COLON, value);
  }

  bulk(value: Uint8Array | null): void {
    if (value === null) {
      this.raw(RESP_NULL_BULK);
      return;
    }
    const length = value.length;
    this.reserve(INTEGER_LINE_BYTES_MAX + length + 2);
    this.header(DOLLAR, length);
    const slab = this.slab;
    let offset = this.offset;
    if (length <= SMALL_COPY_BYTES) {
      for (let index = 0; index < length; index++) slab[offset++] = value[index] ?? 0;
    } else {
      slab.set(value, offset);
      offset += length;
    }
    slab[offset++] = CR;
    slab[offset++] = LF;
    this.offset = offset;
  }

  /** A bulk string of text, UTF-8 encoded. */
  bulkText(text: string): void {
    const length = Buffer.byteLength(text);
    this.reserve(INTEGER_LINE_BYTES_MAX + length + 2);
    this.header(DOLLAR, length);
    this.offset += this.slab.write(text, this.offset, length);
    this.slab[this.offset++] = CR;
    this.slab[this.offset++] = LF;
  }

  /** A non-negative integer as a bulk string of its canonical decimal (`$2\r\n42\r\n`), no string built. */
  bulkDecimal(value: number): void {
    if (!(Number.isSafeInteger(value) && value >= 0)) throw new AssertionError(`bulkDecimal takes a safe integer >= 0, got ${value}`);
    let digits = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    this.reserve(INTEGER_LINE_BYTES_MAX + digits + 2);
    this.header(DOLLAR, digits);
    const slab = this.slab;
    let magnitude = value;
    let digit = this.offset + digits;
    do {
      slab[--digit] = 48 + (magnitude % 10);
      magnitude = Math.floor(magnitude / 10);
    } while (magnitude > 0);
    this.offset += digits;
    slab[this.offset++] = CR;
    slab[this.offset++] = LF;
  }

  /** `*<length>\r\n`; the caller appends `length` values next. */
  arrayHeader(length: number): void {
    if (!(Number.isSafeInteger(length) && length >= 0)) throw new AssertionError(`array length must be a non-negative integer, got ${length}`);
    this.reserve(INTEGER_LINE_BYTES_MAX);
    this.header(STAR, length);
  }

  array(items: readonly ReplyValue[] | null): void {
    if (items === null) {
      this.raw(RESP_NULL_ARRAY);
      return;
    }
    this.arrayHeader(items.length);
    for (const item of items) this.value(item);
  }

  /** Pre-encoded bytes, written as they are. */
  raw(bytes: Uint8Array): void {
    const length = bytes.length;
    this.reserve(length);
    if (length <= SMALL_COPY_BYTES) {
      const slab = this.slab;
      let offset = this.offset;
      for (let index = 0; index < length; index++) slab[offset++] = bytes[index] ?? 0;
      this.offset = offset;
    } else {
      this.slab.set(bytes, this.offset);
      this.offset += length;
    }
  }

  value(reply: ReplyValue): void {
    switch (reply.kind) {
      case 'raw': this.raw(reply.bytes); return;
      case 'bulk':
        if (typeof reply.value === 'string') this.bulkText(reply.value);
        else this.bulk(reply.value);
        return;
      case 'simple': this.simple(reply.text); return;
      case 'error': this.error(reply.message); return;
      case 'integer': this.integer(reply.value); return;
      case 'array': this.array(reply.items); return;
      default: unreachable(reply, 'unknown reply kind');
    }
  }

  /** A '+' or '-' line; CR and LF inside would end the line early, so they become spaces (as Redis does). */
  private line(type: number, text: string): void {
    const safe = text.includes('\r') || text.includes('\n') ? text.replace(LINE_BREAK, ' ') : text;
    this.reserve(safe.length * 3 + 3);
    this.slab[this.offset++] = type;
    this.offset += this.slab.write(safe, this.offset);
    this.slab[this.offset++] = CR;
    this.slab[this.offset++] = LF;
  }

  /** `<type><decimal>\r\n`; room already reserved. */
  private header(type: number, value: number): void {
    this.offset = writeHeader(this.slab, this.offset, type, value);
  }

  private reserve(bytes: number): void {
    if (this.offset + bytes <= this.slab.length) return;
    const batch = this.offset - this.start;
    // Doubling keeps a batch that outgrows its slab from being copied once per reply.
    const next = Buffer.allocUnsafe(Math.max(this.slabBytes, 2 * batch + bytes));
    this.slab.copy(next, 0, this.start, this.offset);
    this.slab = next;
    this.start = 0;
    this.offset = batch;
  }
}

/** One reply encoded on its own (tests, tools); servers batch with a shared ReplyWriter. */
export function encodeReply(reply: ReplyValue): Buffer {
  const writer = new ReplyWriter(256);
  writer.value(reply);
  return Buffer.from(writer.take());
}

/**
 * A command as a RESP multibulk request (`*<n>\r\n$<len>\r\n<bytes>\r\n...`), in one buffer.
 * Strings are UTF-8. For clients and tests.
 */
export function encodeCommand(args: readonly (string | Uint8Array)[]): Buffer {
  let size = INTEGER_LINE_BYTES_MAX;
  for (const arg of args) {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings reserve that and the result is
    // cut to what was written; long ones are measured, not to hold 3x their size.
    const length = typeof arg !== 'string' ? arg.length : arg.length <= 64 ? arg.length * 3 : Buffer.byteLength(arg);
    size += INTEGER_LINE_BYTES_MAX + length + 2;
  }
  const out = Buffer.allocUnsafe(size);
  let offset = writeHeader(out, 0, STAR, args.length);
  for (const arg of args) {
    if (typeof arg === 'string') {
      const length = Buffer.byteLength(arg);
      offset = writeHeader(out, offset, DOLLAR, length);
      offset += out.write(arg, offset, length);
    } else {
      offset = writeHeader(out, offset, DOLLAR, arg.length);
      out.set(arg, offset);
      offset += arg.length;
    }
    out[offset++] = CR;
    out[offset++] = LF;
  }
  return out.subarray(0, offset);
}

/** Writes `<type><decimal>\r\n` at `offset` with digits straight from the number; returns the end. */
function writeHeader(out: Buffer, offset: number, type: number, value: number): number {
  let cursor = offset;
  out[cursor++] = type;
  let magnitude = value;
  if (value < 0) {
    out[cursor++] = MINUS;
    magnitude = -value;
  }
  let digits = 1;
  for (let rest = magnitude; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  cursor += digits;
  let digit = cursor;
  do {
    out[--digit] = 48 + (magnitude % 10);
    magnitude = Math.floor(magnitude / 10);
  } while (magnitude > 0);
  out[cursor++] = CR;
  out[cursor++] = LF;
  return cursor;
}
