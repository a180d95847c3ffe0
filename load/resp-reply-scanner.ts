/**
 * Finds where RESP2 replies end without building them: the load driver only needs to count
 * replies and notice errors, and allocating a value per reply would make the driver, not the
 * server, the bottleneck at a 16-deep pipeline. A reply cut by a socket read is kept and
 * finished by the next chunk.
 *
 *   +OK\r\n   -ERR x\r\n   :1\r\n   $3\r\nabc\r\n   $-1\r\n   *2\r\n<reply><reply>
 */
const CR = 13;
const PLUS = 43;
const MINUS = 45;
const COLON = 58;
const DOLLAR = 36;
const STAR = 42;
const INCOMPLETE = -1;
/** Nesting accepted in array replies; GET/SET never nest, INFO-like replies barely. */
const DEPTH_MAX = 8;

export class RespProtocolError extends Error {
  override readonly name = 'RespProtocolError';
}

/** Parses the decimal between `from` and `to` (an optional leading '-'). */
function decimal(buffer: Buffer, from: number, to: number): number {
  let negative = false;
  let index = from;
  if (buffer[index] === MINUS) {
    negative = true;
    index++;
  }
  let value = 0;
  for (; index < to; index++) {
    const digit = buffer[index]! - 48;
    if (digit < 0 || digit > 9) throw new RespProtocolError(`bad length in reply: ${buffer.toString('latin1', from, to)}`);
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/** The offset just past the reply that starts at `start`, or INCOMPLETE. */
function skipReply(buffer: Buffer, start: number, depth: number): number {
  if (start >= buffer.length) return INCOMPLETE;
  const lineEnd = buffer.indexOf(CR, start + 1);
  if (lineEnd === -1 || lineEnd + 1 >= buffer.length) return INCOMPLETE;
  const type = buffer[start];
  if (type === PLUS || type === MINUS || type === COLON) return lineEnd + 2;
  if (type === DOLLAR) {
    const length = decimal(buffer, start + 1, lineEnd);
    if (length < 0) return lineEnd + 2;
    const end = lineEnd + 2 + length + 2;
    return end > buffer.length ? INCOMPLETE : end;
  }
  if (type === STAR) {
    if (depth >= DEPTH_MAX) throw new RespProtocolError(`reply arrays nested deeper than ${DEPTH_MAX}`);
    const count = decimal(buffer, start + 1, lineEnd);
    let offset = lineEnd + 2;
    for (let item = 0; item < count; item++) {
      offset = skipReply(buffer, offset, depth + 1);
      if (offset === INCOMPLETE) return INCOMPLETE;
    }
    return offset;
  }
  throw new RespProtocolError(`unexpected reply type byte ${JSON.stringify(String.fromCharCode(type ?? 0))}`);
}

export class ReplyScanner {
  private pending: Buffer | null = null;
  /** Error replies seen so far, and the first one's text. */
  errors = 0;
  firstError: string | undefined;
  /** Error replies by kind (errorKind), at most ERROR_KINDS_MAX kinds; the rest count as 'other'. */
  readonly errorKinds = new Map<string, number>();

  /** Consumes a chunk; returns how many replies it completed. Throws RespProtocolError on garbage. */
  feed(chunk: Buffer): number {
    const buffer = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    let offset = 0;
    let replies = 0;
    while (offset < buffer.length) {
      const end = skipReply(buffer, offset, 0);
      if (end === INCOMPLETE) {
        this.pending = Buffer.from(buffer.subarray(offset));
        break;
      }
      if (buffer[offset] === MINUS) {
        this.errors++;
        const text = buffer.toString('utf8', offset + 1, end - 2);
        this.firstError ??= text;
        countErrorKind(this.errorKinds, errorKind(text));
      }
      replies++;
      offset = end;
    }
    return replies;
  }
}

const ERROR_KINDS_MAX = 16;

/**
 * An error reply's kind: its prefix word and the ringcache code when it names one
 * ("ERR RC_ERR_TIMEOUT"), else its first four words with digits as '#' ("ERR write acknowledged by").
 */
export function errorKind(text: string): string {
  const words = text.split(' ', 4);
  const code = /RC_ERR_[A-Z_]+/.exec(text)?.[0];
  return code === undefined ? words.join(' ').replace(/\d+/g, '#') : `${words[0] ?? ''} ${code}`;
}

/** Adds one to `kind`, keeping at most ERROR_KINDS_MAX kinds (a server with free-text errors cannot grow the map). */
export function countErrorKind(kinds: Map<string, number>, kind: string, count = 1): void {
  const key = kinds.has(kind) || kinds.size < ERROR_KINDS_MAX ? kind : 'other';
  kinds.set(key, (kinds.get(key) ?? 0) + count);
}
