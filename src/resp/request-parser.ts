import { RingcacheError } from '../runtime/index.js';
import { CR, FrameReader, LF, NEED_MORE, OK, TOO_BIG, viewOf } from './frame-reader.js';
import { splitInlineArguments } from './inline.js';
import type { RespLimits } from './options.js';

/**
 * A streaming parser of RESP2 requests, as Redis's processInputBuffer reads them:
 *
 *   idle --'*'--> array header --n>0--> bulk header --> bulk body --(n args read)--> idle
 *     |               `--n<=0: ignored (`*0`, `*-1`), back to idle       ^      |
 *     |                                                                  `------' (more args)
 *     `--any other byte--> inline line (`PING\r\n`, split like sdssplitargs) --> idle
 *
 *   *2\r\n $3\r\n GET\r\n $16\r\n user:00000000042\r\n
 *   ^array ^bulk  ^body   ^bulk   ^body               -> onCommand([GET, user:00000000042])
 *
 * A well-formed command lying whole in one chunk (nearly all of them) skips the state machine:
 * readWholeCommand() reads it in one loop; the state machine takes over at a chunk's end.
 *
 * Each command reaches `onCommand` as `Buffer[]` whose arguments are views of the input chunk
 * when they lie inside one chunk (zero copy), copies only when they straddle chunks. A handler
 * that keeps an argument beyond the command (a stored value) must copy it, or it pins the whole
 * socket chunk in memory.
 *
 * Errors are Redis's messages (networking.c), thrown as RingcacheError RC_ERR_PROTOCOL; after one
 * the parser is dead (every later feed throws it again) and the connection is to be closed after
 * replying `-ERR <message>`. Commands completed before the error were already delivered.
 * Errors do not depend on how the stream was chunked.
 */
export const PROTOCOL_ERRORS = Object.freeze({
  multibulkLength: 'Protocol error: invalid multibulk length',
  bulkLength: 'Protocol error: invalid bulk length',
  expectedDollar: (got: number) => `Protocol error: expected '$', got '${String.fromCharCode(got)}'`,
  inlineTooBig: 'Protocol error: too big inline request',
  unbalancedQuotes: 'Protocol error: unbalanced quotes in request',
  /** Redis does not check the CR LF after a bulk (it skips 2 bytes); we do, garbage is garbage. */
  bulkTerminator: 'Protocol error: bulk argument not followed by CRLF',
  commandTooBig: (bytesMax: number) => `Protocol error: command arguments exceed ${bytesMax} bytes; see limits.frameBytesMax`,
});

export type CommandCallback = (args: Buffer[]) => void;

const STAR = 42;
const DOLLAR = 36;
const DIGIT_0 = 48;
const DIGIT_9 = 57;
/** Request lengths are bounded far below 2^53 by the limits; 15 digits never overflow. */
const LENGTH_DIGITS_MAX = 15;

const IDLE = 0;
const ARRAY_HEADER = 1;
const BULK_HEADER = 2;
const BULK_BODY = 3;
const INLINE = 4;
type State = typeof IDLE | typeof ARRAY_HEADER | typeof BULK_HEADER | typeof BULK_BODY | typeof INLINE;

export class RequestParser {
  private readonly reader = new FrameReader();
  private state: State = IDLE;
  private args: Buffer[] = [];
  private argsRemaining = 0;
  private bulkLength = 0;
  private commandBytes = 0;
  private failure: RingcacheError | null = null;
  private pauseRequested = false;
  /** Whether the command being delivered came as an inline line (read it inside onCommand). */
  inline = false;
  /** Where the last scanLength() ended (a second return value without an allocation). */
  private scanEnd = 0;
  /** Chunks fed while paused (a socket may deliver one more); parsed in order on resume(). */
  private readonly waiting: Buffer[] = [];

  /** `onCommand` must not throw: a throw loses the rest of the chunk. */
  constructor(private readonly limits: RespLimits, private readonly onCommand: CommandCallback) {}

  /** Bytes held: an unfinished command's carried line or partial bulk, and input kept by pause(). */
  get bufferedBytes(): number {
    let bytes = this.reader.bufferedBytes + this.reader.input.length - this.reader.pos;
    for (const chunk of this.waiting) bytes += chunk.length;
    return bytes;
  }

  /** Parses as much as `chunk` completes; throws RC_ERR_PROTOCOL on malformed input. */
  feed(chunk: Buffer): void {
    if (this.failure !== null) throw this.failure;
    if (this.pauseRequested || this.waiting.length > 0) {
      this.waiting.push(chunk);
      return;
    }
    this.reader.begin(chunk);
    this.run();
  }

  /**
   * Stops parsing after the command being delivered (call it from `onCommand`): the rest of the
   * input is kept, unparsed, until resume(). Backpressure at command granularity: one 64 KiB
   * chunk can hold thousands of commands, and GETs of large values amplify them a thousandfold.
   */
  pause(): void {
    this.pauseRequested = true;
  }

  get paused(): boolean {
    return this.pauseRequested;
  }

  /** Parses the input kept by pause(), then any chunks fed while paused. */
  resume(): void {
    if (this.failure !== null) throw this.failure;
    this.pauseRequested = false;
    this.run();
    while (!this.pauseRequested) {
      const chunk = this.waiting.shift();
      if (chunk === undefined) return;
      this.reader.begin(chunk);
      this.run();
    }
  }

  private run(): void {
    const reader = this.reader;
    const chunk = reader.input;
    while (reader.pos < chunk.length && !this.pauseRequested) {
      switch (this.state) {
        case IDLE:
          if (chunk[reader.pos] !== STAR) this.state = INLINE;
          else if (!this.readWholeCommand(chunk)) this.state = ARRAY_HEADER;
          break;
        case ARRAY_HEADER:
          if (!this.readArrayHeader()) return;
          break;
        case BULK_HEADER:
          if (!this.readBulkHeader(chunk)) return;
          break;
        case BULK_BODY:
          if (!this.readBulkBody()) return;
          break;
        case INLINE:
          if (!this.readInline()) return;
          break;
      }
    }
  }

  /**
   * The fast path: a well-formed multibulk command lying whole in the chunk is read in one tight
   * loop, without the state machine. Anything else (cut by the chunk end, malformed, over a
   * limit, `*0`) returns false untouched, and the state machine reads it, errors included.
   */
  private readWholeCommand(chunk: Buffer): boolean {
    const limits = this.limits;
    const count = this.scanLength(chunk, this.reader.pos + 1);
    if (count <= 0 || count > limits.arrayLengthMax) return false;
    let pos = this.scanEnd;
    let bytes = 0;
    const args: Buffer[] = [];
    for (let index = 0; index < count; index++) {
      if (chunk[pos] !== DOLLAR) return false;
      const length = this.scanLength(chunk, pos + 1);
      bytes += length;
      if (length < 0 || length > limits.bulkBytesMax || bytes > limits.frameBytesMax) return false;
      const start = this.scanEnd;
      const end = start + length;
      if (end + 2 > chunk.length || chunk[end] !== CR || chunk[end + 1] !== LF) return false;
      args.push(viewOf(chunk, start, end));
      pos = end + 2;
    }
    this.reader.pos = pos;
    this.inline = false;
    this.onCommand(args);
    return true;
  }

  /** Reads `<digits>\r\n` at `pos` (no sign, no leading zero); -1 if it is not one. */
  private scanLength(chunk: Buffer, pos: number): number {
    let index = pos;
    let value = 0;
    for (let byte = chunk[index] ?? 0; byte >= DIGIT_0 && byte <= DIGIT_9; byte = chunk[++index] ?? 0) {
      value = value * 10 + byte - DIGIT_0;
    }
    const digits = index - pos;
    if (digits === 0 || digits > LENGTH_DIGITS_MAX || (digits > 1 && chunk[pos] === DIGIT_0)) return -1;
    if (chunk[index] !== CR || chunk[index + 1] !== LF) return -1;
    this.scanEnd = index + 2;
    return value;
  }

  private readArrayHeader(): boolean {
    const status = this.reader.readInteger(LENGTH_DIGITS_MAX);
    if (status === NEED_MORE) return false;
    const length = this.reader.integer;
    if (status !== OK || length > this.limits.arrayLengthMax) this.fail(PROTOCOL_ERRORS.multibulkLength);
    if (length <= 0) {
      this.state = IDLE;
    } else {
      this.argsRemaining = length;
      this.commandBytes = 0;
      this.state = BULK_HEADER;
    }
    return true;
  }

  private readBulkHeader(chunk: Buffer): boolean {
    const reader = this.reader;
    if (!reader.midFrame) {
      const prefix = chunk[reader.pos] ?? 0;
      if (prefix !== DOLLAR) this.fail(PROTOCOL_ERRORS.expectedDollar(prefix));
    }
    const status = reader.readInteger(LENGTH_DIGITS_MAX);
    if (status === NEED_MORE) return false;
    const length = reader.integer;
    if (status !== OK || length < 0 || length > this.limits.bulkBytesMax) this.fail(PROTOCOL_ERRORS.bulkLength);
    this.commandBytes += length;
    if (this.commandBytes > this.limits.frameBytesMax) this.fail(PROTOCOL_ERRORS.commandTooBig(this.limits.frameBytesMax));
    this.bulkLength = length;
    this.state = BULK_BODY;
    return true;
  }

  private readBulkBody(): boolean {
    const status = this.reader.readBulk(this.bulkLength);
    if (status === NEED_MORE) return false;
    if (status !== OK) this.fail(PROTOCOL_ERRORS.bulkTerminator);
    this.args.push(this.reader.bulk);
    if (--this.argsRemaining > 0) {
      this.state = BULK_HEADER;
    } else {
      this.state = IDLE;
      const args = this.args;
      this.args = [];
      this.inline = false;
      this.onCommand(args);
    }
    return true;
  }

  private readInline(): boolean {
    const reader = this.reader;
    const status = reader.readLine(this.limits.inlineBytesMax, false);
    if (status === NEED_MORE) return false;
    if (status === TOO_BIG) this.fail(PROTOCOL_ERRORS.inlineTooBig);
    const args = splitInlineArguments(reader.line, reader.lineStart, reader.lineEnd);
    if (args === null) this.fail(PROTOCOL_ERRORS.unbalancedQuotes);
    this.state = IDLE;
    // An empty line is ignored, as in Redis (telnet users hit return).
    if (args.length > 0) {
      this.inline = true;
      this.onCommand(args);
    }
    return true;
  }

  private fail(message: string): never {
    this.failure = new RingcacheError('RC_ERR_PROTOCOL', message);
    throw this.failure;
  }
}

/** Parses a whole byte string at once (tests, tools); throws like `feed`. */
export function parseRequests(bytes: Buffer, limits: RespLimits): Buffer[][] {
  const commands: Buffer[][] = [];
  const parser = new RequestParser(limits, (args) => commands.push(args));
  parser.feed(bytes);
  return commands;
}
