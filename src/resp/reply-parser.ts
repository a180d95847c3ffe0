import { RingcacheError } from '../runtime/index.js';
import { FrameReader, NEED_MORE, OK, TOO_BIG } from './frame-reader.js';
import type { RespLimits } from './options.js';

/**
 * A streaming parser of RESP2 replies, for tests and a lean internode client:
 *
 *   +OK\r\n          {kind: 'simple', text: 'OK'}
 *   -ERR bad\r\n     {kind: 'error', message: 'ERR bad'}
 *   :42\r\n          {kind: 'integer', value: 42}        beyond 2^53 is a protocol error
 *   $3\r\nabc\r\n    {kind: 'bulk', value: <abc>}        $-1\r\n: value null
 *   *2\r\n:1\r\n...  {kind: 'array', items: [...]}       *-1\r\n: items null
 *
 * The shapes are those of the encoder's ReplyValue, so a parsed value can be encoded again.
 * Open arrays wait on a stack; a finished value goes into the innermost open array, or out to
 * `onReply` when the stack is empty. Bulk values are views of the input chunk when they lie in
 * one chunk, like request arguments. Errors are RC_ERR_PROTOCOL, after which the parser is dead.
 */
export type RespValue =
  | { readonly kind: 'simple'; readonly text: string }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'integer'; readonly value: number }
  | { readonly kind: 'bulk'; readonly value: Buffer | null }
  | { readonly kind: 'array'; readonly items: readonly RespValue[] | null };

export type ReplyCallback = (value: RespValue) => void;

/** Deepest array nesting accepted. Why: Redis's own replies nest 3 or 4 deep (COMMAND, EXEC). */
export const REPLY_NESTING_MAX = 32;

export const REPLY_PROTOCOL_ERRORS = Object.freeze({
  typeByte: (got: number) => `Protocol error: got '${String.fromCharCode(got)}' as reply type byte`,
  bulkLength: 'Protocol error: invalid bulk length',
  multibulkLength: 'Protocol error: invalid multibulk length',
  integer: 'Protocol error: invalid integer reply (not a decimal within +-2^53)',
  lineTooBig: (bytesMax: number) => `Protocol error: status or error reply longer than ${bytesMax} bytes; see limits.inlineBytesMax`,
  lineTerminator: 'Protocol error: status or error reply not terminated by CRLF',
  bulkTerminator: 'Protocol error: bulk string not followed by CRLF',
  nesting: `Protocol error: reply arrays nested deeper than ${REPLY_NESTING_MAX}`,
  tooManyItems: (itemsMax: number) => `Protocol error: reply holds more than ${itemsMax} array items; see limits.arrayLengthMax`,
  tooManyBytes: (bytesMax: number) => `Protocol error: reply holds more than ${bytesMax} bulk bytes; see limits.frameBytesMax`,
});

const PLUS = 43;
const MINUS = 45;
const COLON = 58;
const DOLLAR = 36;
const STAR = 42;
/** int64 has 19 digits; anything that long is checked against 2^53 after parsing. */
const INTEGER_DIGITS_MAX = 19;
const LENGTH_DIGITS_MAX = 15;

const TYPE = 0;
const LINE = 1;
const INTEGER = 2;
const BULK_HEADER = 3;
const BULK_BODY = 4;
const ARRAY_HEADER = 5;
type State = typeof TYPE | typeof LINE | typeof INTEGER | typeof BULK_HEADER | typeof BULK_BODY | typeof ARRAY_HEADER;

interface OpenArray {
  readonly items: RespValue[];
  readonly length: number;
}

export class ReplyParser {
  private readonly reader = new FrameReader();
  private state: State = TYPE;
  private lineType = PLUS;
  private bulkLength = 0;
  private readonly stack: OpenArray[] = [];
  /** Array items and bulk bytes announced so far by the reply being read (frame limits). */
  private itemsInReply = 0;
  private bytesInReply = 0;
  private failure: RingcacheError | null = null;

  /** `onReply` must not throw: a throw loses the rest of the chunk. */
  constructor(private readonly limits: RespLimits, private readonly onReply: ReplyCallback) {}

  /** True while a reply is started but not finished (a client with this set has lost a reply). */
  get midReply(): boolean {
    return this.state !== TYPE || this.stack.length > 0;
  }

  feed(chunk: Buffer): void {
    if (this.failure !== null) throw this.failure;
    const reader = this.reader;
    reader.begin(chunk);
    while (reader.pos < chunk.length) {
      if (this.state === TYPE) this.readType(chunk[reader.pos] ?? 0);
      else if (!this.step()) return;
    }
  }

  private readType(type: number): void {
    switch (type) {
      case PLUS:
      case MINUS:
        this.lineType = type;
        this.state = LINE;
        return;
      case COLON: this.state = INTEGER; return;
      case DOLLAR: this.state = BULK_HEADER; return;
      case STAR: this.state = ARRAY_HEADER; return;
      default: this.fail(REPLY_PROTOCOL_ERRORS.typeByte(type));
    }
  }

  /** Advances the current state; false when the chunk ran out first. */
  private step(): boolean {
    const reader = this.reader;
    switch (this.state) {
      case LINE: {
        // The limit is on the text: the type byte and CR also precede the LF.
        const status = reader.readLine(this.limits.inlineBytesMax + 2, true);
        if (status === NEED_MORE) return false;
        if (status === TOO_BIG) this.fail(REPLY_PROTOCOL_ERRORS.lineTooBig(this.limits.inlineBytesMax));
        if (status !== OK) this.fail(REPLY_PROTOCOL_ERRORS.lineTerminator);
        const text = reader.line.toString('utf8', reader.lineStart + 1, reader.lineEnd);
        this.complete(this.lineType === PLUS ? { kind: 'simple', text } : { kind: 'error', message: text });
        return true;
      }
      case INTEGER: {
        const status = reader.readInteger(INTEGER_DIGITS_MAX);
        if (status === NEED_MORE) return false;
        if (status !== OK || !Number.isSafeInteger(reader.integer)) this.fail(REPLY_PROTOCOL_ERRORS.integer);
        this.complete({ kind: 'integer', value: reader.integer });
        return true;
      }
      case BULK_HEADER: return this.readBulkHeader();
      case BULK_BODY: {
        const status = reader.readBulk(this.bulkLength);
        if (status === NEED_MORE) return false;
        if (status !== OK) this.fail(REPLY_PROTOCOL_ERRORS.bulkTerminator);
        this.complete({ kind: 'bulk', value: reader.bulk });
        return true;
      }
      case ARRAY_HEADER: return this.readArrayHeader();
      case TYPE: return true;
    }
  }

  private readBulkHeader(): boolean {
    const status = this.reader.readInteger(LENGTH_DIGITS_MAX);
    if (status === NEED_MORE) return false;
    const length = this.reader.integer;
    if (status !== OK || length < -1 || length > this.limits.bulkBytesMax) this.fail(REPLY_PROTOCOL_ERRORS.bulkLength);
    if (length === -1) {
      this.complete({ kind: 'bulk', value: null });
      return true;
    }
    this.bytesInReply += length;
    if (this.bytesInReply > this.limits.frameBytesMax) this.fail(REPLY_PROTOCOL_ERRORS.tooManyBytes(this.limits.frameBytesMax));
    this.bulkLength = length;
    this.state = BULK_BODY;
    return true;
  }

  private readArrayHeader(): boolean {
    const status = this.reader.readInteger(LENGTH_DIGITS_MAX);
    if (status === NEED_MORE) return false;
    const length = this.reader.integer;
    if (status !== OK || length < -1 || length > this.limits.arrayLengthMax) this.fail(REPLY_PROTOCOL_ERRORS.multibulkLength);
    if (length <= 0) {
      this.complete({ kind: 'array', items: length === 0 ? [] : null });
      return true;
    }
    this.itemsInReply += length;
    if (this.itemsInReply > this.limits.arrayLengthMax) this.fail(REPLY_PROTOCOL_ERRORS.tooManyItems(this.limits.arrayLengthMax));
    if (this.stack.length >= REPLY_NESTING_MAX) this.fail(REPLY_PROTOCOL_ERRORS.nesting);
    this.stack.push({ items: [], length });
    this.state = TYPE;
    return true;
  }

  /** Puts a finished value into the innermost open array, closing arrays that become full. */
  private complete(value: RespValue): void {
    this.state = TYPE;
    let finished = value;
    for (;;) {
      const open = this.stack[this.stack.length - 1];
      if (open === undefined) break;
      open.items.push(finished);
      if (open.items.length < open.length) return;
      this.stack.pop();
      finished = { kind: 'array', items: open.items };
    }
    this.itemsInReply = 0;
    this.bytesInReply = 0;
    this.onReply(finished);
  }

  private fail(message: string): never {
    this.failure = new RingcacheError('RC_ERR_PROTOCOL', message);
    throw this.failure;
  }
}

/** Parses a whole byte string at once (tests, tools); throws like `feed`. */
export function parseReplies(bytes: Buffer, limits: RespLimits): RespValue[] {
  const replies: RespValue[] = [];
  new ReplyParser(limits, (value) => replies.push(value)).feed(bytes);
  return replies;
}
