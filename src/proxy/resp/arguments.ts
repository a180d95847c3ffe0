/**
 * Reading command arguments the way Redis does, without turning each one into a string.
 * Arguments are views of socket buffers (see RespHandler): read them here, copy what is kept.
 */

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const MINUS = 45;
const UPPER_A = 65;
const UPPER_Z = 90;
/** Redis's string2ll: at most 20 characters ("-9223372036854775808"). */
const INTEGER_CHARS_MAX = 20;
const INT64_MAX_DIGITS = '9223372036854775807';
const INT64_MIN_DIGITS = '9223372036854775808';

/**
 * Parses a signed 64-bit decimal integer exactly as Redis's string2ll accepts it: no sign '+', no
 * spaces, no leading zeros, no '-0', within int64. Returns undefined otherwise (Redis's
 * "value is not an integer or out of range"). Values beyond 2^53 come back rounded, which is
 * enough for the range checks every caller makes next.
 */
export function parseInteger(arg: Uint8Array): number | undefined {
  const length = arg.length;
  if (length === 0 || length > INTEGER_CHARS_MAX) return undefined;
  if (length === 1 && arg[0] === DIGIT_0) return 0;
  const negative = arg[0] === MINUS;
  const start = negative ? 1 : 0;
  if (start >= length) return undefined;
  const first = arg[start] as number;
  if (first <= DIGIT_0 || first > DIGIT_9) return undefined;
  let value = 0;
  for (let i = start; i < length; i++) {
    const byte = arg[i] as number;
    if (byte < DIGIT_0 || byte > DIGIT_9) return undefined;
    value = value * 10 + (byte - DIGIT_0);
  }
  const digits = length - start;
  if (digits > 19) return undefined;
  if (digits === 19 && !withinDigits(arg, start, negative ? INT64_MIN_DIGITS : INT64_MAX_DIGITS)) return undefined;
  return negative ? -value : value;
}

/** Lexicographic compare of 19 digits against the int64 limit (equal lengths, so text order is numeric order). */
function withinDigits(arg: Uint8Array, start: number, limit: string): boolean {
  for (let i = 0; i < limit.length; i++) {
    const difference = (arg[start + i] as number) - limit.charCodeAt(i);
    if (difference !== 0) return difference < 0;
  }
  return true;
}

/** True when `arg` spells `lowerToken` (ASCII, lowercase) in any case: Redis's strcasecmp. */
export function isToken(arg: Uint8Array, lowerToken: string): boolean {
  const length = lowerToken.length;
  if (arg.length !== length) return false;
  for (let i = 0; i < length; i++) {
    let byte = arg[i] as number;
    if (byte >= UPPER_A && byte <= UPPER_Z) byte += 32;
    if (byte !== lowerToken.charCodeAt(i)) return false;
  }
  return true;
}

/** A command or subcommand name, lowercased, for table lookups (short by the caller's bound). */
export function lowerName(arg: Uint8Array): string {
  let name = '';
  for (let i = 0; i < arg.length; i++) {
    let byte = arg[i] as number;
    if (byte >= UPPER_A && byte <= UPPER_Z) byte += 32;
    name += String.fromCharCode(byte);
  }
  return name;
}

/** Text of an argument for messages and names (UTF-8; invalid bytes become U+FFFD). */
export function text(arg: Uint8Array): string {
  return Buffer.from(arg.buffer, arg.byteOffset, arg.length).toString('utf8');
}

/**
 * A copy that owns its memory. Values are kept by the in-process engines (tests, the simulator)
 * and by queued internode writes, so a view must not pin or alias the socket's chunk.
 */
export function ownedCopy(arg: Buffer): Buffer {
  return Buffer.from(arg);
}

/**
 * Redis's rule for client names and library info (CLIENT SETNAME, SETINFO): printable ASCII
 * without spaces, so CLIENT LIST stays splittable on spaces.
 */
export function isPrintableWord(arg: Uint8Array): boolean {
  for (let i = 0; i < arg.length; i++) {
    const byte = arg[i] as number;
    if (byte < 0x21 || byte > 0x7e) return false;
  }
  return true;
}
