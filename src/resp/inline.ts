import { viewOf } from './frame-reader.js';

/**
 * Inline commands (`SET k "hello world"\r\n`, what telnet and `redis-cli` in a pipe send when not
 * speaking multibulk), split the way Redis's sdssplitargs does:
 *
 *   - arguments are separated by spaces, tabs, CR and LF; blanks (also \v, \f) between them skip;
 *   - "double quotes" allow \n \r \t \b \a \\ \" and \xHH escapes (any other \c is c);
 *   - 'single quotes' allow \' only;
 *   - a closing quote must be followed by a blank or the end of the line, and an unclosed quote
 *     is an error: both give `Protocol error: unbalanced quotes in request`;
 *   - quotes may start mid-argument: a"b c"d is the one argument `ab cd`.
 *
 * One difference: Redis, working on C strings, silently drops everything from a NUL byte on;
 * here NUL is an ordinary byte.
 *
 * Plain arguments are views of the line; only quoted ones are copied.
 */

const SPACE = 32;
const TAB = 9;
const LF = 10;
const VT = 11;
const FF = 12;
const CR = 13;
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;
const BACKSLASH = 92;

/** C's isspace(). */
function isBlank(byte: number): boolean {
  return byte === SPACE || byte === TAB || byte === LF || byte === VT || byte === FF || byte === CR;
}

/** What ends an unquoted argument in sdssplitargs (not \v or \f). */
function endsPlainArgument(byte: number): boolean {
  return byte === SPACE || byte === TAB || byte === LF || byte === CR;
}

/** Splits `line[start, end)`; returns null when quotes are unbalanced. */
export function splitInlineArguments(line: Buffer, start: number, end: number): Buffer[] | null {
  const args: Buffer[] = [];
  let index = start;
  for (;;) {
    while (index < end && isBlank(line[index] ?? 0)) index++;
    if (index >= end) return args;
    const argumentStart = index;
    let byte = 0;
    while (index < end) {
      byte = line[index] ?? 0;
      if (endsPlainArgument(byte) || byte === DOUBLE_QUOTE || byte === SINGLE_QUOTE) break;
      index++;
    }
    if (index >= end || endsPlainArgument(byte)) {
      args.push(viewOf(line, argumentStart, index));
      index++;
      continue;
    }
    const bytes = Array.from(line.subarray(argumentStart, index));
    index = readQuotedArgument(line, index, end, bytes);
    if (index < 0) return null;
    args.push(Buffer.from(bytes));
  }
}

/**
 * Continues an argument at its first quote; appends its bytes to `bytes` and returns the index
 * after the byte that ended it, or -1 on unbalanced quotes. A transcription of sdssplitargs's
 * inner loop, where C's `*p == 0` is `index >= end`.
 */
function readQuotedArgument(line: Buffer, start: number, end: number, bytes: number[]): number {
  let quote = 0;
  let index = start;
  for (;;) {
    const byte = index < end ? (line[index] ?? 0) : -1;
    const next = index + 1 < end ? (line[index + 1] ?? 0) : -1;
    if (quote === DOUBLE_QUOTE) {
      if (byte === -1) return -1;
      if (byte === BACKSLASH && next === 0x78 && index + 3 < end && isHex(line[index + 2] ?? 0) && isHex(line[index + 3] ?? 0)) {
        bytes.push(hexValue(line[index + 2] ?? 0) * 16 + hexValue(line[index + 3] ?? 0));
        index += 3;
      } else if (byte === BACKSLASH && next !== -1) {
        bytes.push(unescape(next));
        index++;
      } else if (byte === DOUBLE_QUOTE) {
        return next !== -1 && !isBlank(next) ? -1 : index + 1;
      } else {
        bytes.push(byte);
      }
    } else if (quote === SINGLE_QUOTE) {
      if (byte === -1) return -1;
      if (byte === BACKSLASH && next === SINGLE_QUOTE) {
        bytes.push(SINGLE_QUOTE);
        index++;
      } else if (byte === SINGLE_QUOTE) {
        return next !== -1 && !isBlank(next) ? -1 : index + 1;
      } else {
        bytes.push(byte);
      }
    } else {
      if (byte === -1 || endsPlainArgument(byte)) return index + 1;
      if (byte === DOUBLE_QUOTE || byte === SINGLE_QUOTE) quote = byte;
      else bytes.push(byte);
    }
    index++;
  }
}

function unescape(byte: number): number {
  switch (byte) {
    case 0x6e: return LF; // \n
    case 0x72: return CR; // \r
    case 0x74: return TAB; // \t
    case 0x62: return 8; // \b
    case 0x61: return 7; // \a
    default: return byte;
  }
}

function isHex(byte: number): boolean {
  return (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 70) || (byte >= 97 && byte <= 102);
}

function hexValue(byte: number): number {
  if (byte <= 57) return byte - 48;
  return (byte | 0x20) - 87;
}
