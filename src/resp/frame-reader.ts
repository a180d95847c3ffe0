/**
 * The byte-level half of both RESP parsers: integer lines, text lines and bulk bodies read out of
 * a stream that arrives in arbitrary chunks. The parsers above it own the grammar and the error
 * messages; this file only says OK, NEED_MORE, INVALID or TOO_BIG.
 *
 * Zero copy when a piece lies inside one chunk (the result is a view of the chunk); a copy only
 * for the part that straddles chunks:
 *
 *   chunk 1: ... *2\r\n$3\r\nGET\r\n$16\r\nuser:00    chunk 2: 000042\r\n*1\r\n ...
 *                           ^^^ view of chunk 1        '$16' read, body straddles:
 *                                                      target = alloc(16), copy 7 + 9 bytes
 *
 *   a header line cut in two ('*1' | '2\r\n') is carried (at most HEADER_BYTES_MAX bytes) and
 *   joined with the first bytes of the next chunk; a text line is carried as pieces, joined once.
 */

export const CR = 13;
export const LF = 10;
const MINUS = 45;
const DIGIT_0 = 48;
const DIGIT_9 = 57;

/** Results of the read methods (plain numbers: this is the hot path). */
export const OK = 0;
export const NEED_MORE = 1;
export const INVALID = 2;
export const TOO_BIG = 3;
export type ReadStatus = typeof OK | typeof NEED_MORE | typeof INVALID | typeof TOO_BIG;

/** Type byte, sign, 19 digits (int64), CR, LF: longer header lines are invalid without a CR. */
const HEADER_BYTES_MAX = 23;

/**
 * Zero-copy views that are real Buffers, made three times faster than `buffer.subarray()`: that
 * goes through Buffer's species constructor (the deprecated `new Buffer(arrayBuffer, ...)` path,
 * ~35 ns), while this is a plain typed-array construction (~12 ns), and a command has 2-3
 * arguments. It is Node's own FastBuffer trick: a Uint8Array subclass whose prototype inherits
 * Buffer.prototype (every Buffer method works, Buffer.isBuffer() is true) and whose constructor
 * is Buffer (so it prints, compares in tests and sub-slices exactly like any other Buffer).
 */
class BufferView extends Uint8Array {}
Object.setPrototypeOf(BufferView.prototype, Buffer.prototype as object);
Object.defineProperty(BufferView.prototype, 'constructor', { value: Buffer, writable: true, configurable: true });

export function viewOf(bytes: Buffer, start: number, end: number): Buffer {
  return new BufferView(bytes.buffer as ArrayBuffer, bytes.byteOffset + start, end - start) as unknown as Buffer;
}

export class FrameReader {
  /** The chunk being parsed and the next unread byte in it. */
  input: Buffer = Buffer.alloc(0);
  pos = 0;
  /** Results of the last successful read. */
  integer = 0;
  line: Buffer = this.input;
  lineStart = 0;
  lineEnd = 0;
  bulk: Buffer = this.input;

  /** Bytes of an unfinished line, copied out of earlier chunks. */
  private carry: Buffer[] = [];
  private carryBytes = 0;
  /** An unfinished bulk body: its destination and progress, CR and LF included. */
  private target: Buffer | null = null;
  private filled = 0;
  private terminatorSeen = 0;

  begin(chunk: Buffer): void {
    this.input = chunk;
    this.pos = 0;
  }

  /** True while a line or bulk body is unfinished (its first byte was already seen). */
  get midFrame(): boolean {
    return this.carryBytes > 0 || this.target !== null;
  }

  /** Bytes held for an unfinished line or bulk body. */
  get bufferedBytes(): number {
    return this.carryBytes + (this.target === null ? 0 : this.filled);
  }

  /**
   * Reads `<type byte>[-]<digits>\r\n` the way Redis's string2ll accepts it (no '+', no leading
   * zeros, no '-0'), at most `digitsMax` digits. The value goes to `integer`.
   */
  readInteger(digitsMax: number): ReadStatus {
    if (this.carryBytes === 0) {
      const next = parseIntegerLine(this.input, this.pos + 1, this.input.length, digitsMax, this);
      if (next >= 0) {
        this.pos = next;
        return OK;
      }
      if (next === -INVALID) return INVALID;
      this.carryRest();
      return NEED_MORE;
    }
    // Join the carried start of the line with just enough of this chunk to decide.
    const taken = Math.min(this.input.length - this.pos, HEADER_BYTES_MAX);
    const joined = Buffer.concat([...this.carry, this.input.subarray(this.pos, this.pos + taken)]);
    const next = parseIntegerLine(joined, 1, joined.length, digitsMax, this);
    if (next === -INVALID) return INVALID;
    if (next === -NEED_MORE) {
      this.pos += taken;
      this.carry = [joined];
      this.carryBytes = joined.length;
      return NEED_MORE;
    }
    this.pos += next - this.carryBytes;
    this.clearCarry();
    return OK;
  }

  /**
   * Reads a line ending in LF into `line[lineStart, lineEnd)`, without the LF and without a CR
   * before it. `crRequired`: a line not ending in CR LF is INVALID. TOO_BIG once more than
   * `bytesMax` bytes precede the LF, however the line was chunked.
   */
  readLine(bytesMax: number, crRequired: boolean): ReadStatus {
    const input = this.input;
    const lf = input.indexOf(LF, this.pos);
    const before = (lf < 0 ? input.length : lf) - this.pos + this.carryBytes;
    if (before > bytesMax) return TOO_BIG;
    if (lf < 0) {
      this.carryRest();
      return NEED_MORE;
    }
    if (this.carryBytes === 0) {
      this.line = input;
      this.lineStart = this.pos;
    } else {
      this.carry.push(input.subarray(this.pos, lf));
      this.line = Buffer.concat(this.carry);
      this.lineStart = 0;
      this.clearCarry();
    }
    this.lineEnd = this.lineStart + before;
    this.pos = lf + 1;
    const hasCr = this.lineEnd > this.lineStart && this.line[this.lineEnd - 1] === CR;
    if (hasCr) this.lineEnd--;
    else if (crRequired) return INVALID;
    return OK;
  }

  /** Reads a bulk body of `length` bytes and its CR LF into `bulk`. */
  readBulk(length: number): ReadStatus {
    const input = this.input;
    let target = this.target;
    if (target === null) {
      const start = this.pos;
      const end = start + length;
      if (input.length - start >= length + 2) {
        if (input[end] !== CR || input[end + 1] !== LF) return INVALID;
        this.bulk = viewOf(input, start, end);
        this.pos = end + 2;
        return OK;
      }
      target = Buffer.allocUnsafe(length);
      this.target = target;
      this.filled = 0;
      this.terminatorSeen = 0;
    }
    return this.continueBulk(target, length);
  }

  private continueBulk(target: Buffer, length: number): ReadStatus {
    const input = this.input;
    const copied = Math.min(input.length - this.pos, length - this.filled);
    input.copy(target, this.filled, this.pos, this.pos + copied);
    this.filled += copied;
    this.pos += copied;
    while (this.filled === length && this.terminatorSeen < 2 && this.pos < input.length) {
      if (input[this.pos] !== (this.terminatorSeen === 0 ? CR : LF)) return INVALID;
      this.terminatorSeen++;
      this.pos++;
    }
    if (this.terminatorSeen < 2) return NEED_MORE;
    this.bulk = target;
    this.target = null;
    return OK;
  }

  /** Copies the rest of the chunk into the carry: the chunk itself is not kept alive. */
  private carryRest(): void {
    if (this.pos < this.input.length) {
      this.carry.push(Buffer.from(this.input.subarray(this.pos)));
      this.carryBytes += this.input.length - this.pos;
    }
    this.pos = this.input.length;
  }

  private clearCarry(): void {
    this.carry = [];
    this.carryBytes = 0;
  }
}

/**
 * Parses `[-]digits\r\n` in `bytes[start, end)`. Returns the index after the LF (value in
 * `out.integer`), or -NEED_MORE, or -INVALID. Digits are read from bytes, never via a string.
 */
function parseIntegerLine(bytes: Buffer, start: number, end: number, digitsMax: number, out: { integer: number }): number {
  let index = start;
  if (index >= end) return -NEED_MORE;
  const negative = bytes[index] === MINUS;
  if (negative) index++;
  const digitsStart = index;
  let value = 0;
  for (; index < end; index++) {
    const byte = bytes[index] ?? 0;
    if (byte >= DIGIT_0 && byte <= DIGIT_9) {
      if (index - digitsStart >= digitsMax) return -INVALID;
      value = value * 10 + (byte - DIGIT_0);
      continue;
    }
    if (byte !== CR) return -INVALID;
    const digits = index - digitsStart;
    if (digits === 0) return -INVALID;
    if (digits > 1 && bytes[digitsStart] === DIGIT_0) return -INVALID;
    if (negative && value === 0) return -INVALID;
    if (index + 1 >= end) return -NEED_MORE;
    if (bytes[index + 1] !== LF) return -INVALID;
    out.integer = negative ? -value : value;
    return index + 2;
  }
  return -NEED_MORE;
}
