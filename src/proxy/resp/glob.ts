/**
 * Redis's glob patterns (util.c stringmatchlen), for CONFIG GET and SCAN/KEYS MATCH:
 *
 *   *       any run of bytes, empty included      ?      exactly one byte
 *   [abc]   one of a, b, c    [^a] [!a]  not a    [a-z]  a range (either order)
 *   \x      x itself (also inside brackets)
 *
 * Every token but '*' consumes exactly one byte, so one remembered '*' (the last one) is enough to
 * backtrack: O(pattern x subject) in the worst case, no recursion, no exponential blow-up (Redis
 * bounds its recursive matcher's nesting for the same reason).
 */

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const BACKSLASH = 0x5c;
const CARET = 0x5e;
const BANG = 0x21;
const DASH = 0x2d;

function fold(byte: number, noCase: boolean): number {
  return noCase && byte >= 0x41 && byte <= 0x5a ? byte + 32 : byte;
}

/** Whether the one-byte token at pattern[at] matches `byte`, and where the next token starts. */
function matchOne(pattern: Uint8Array, at: number, byte: number, noCase: boolean): { matched: boolean; next: number } {
  const token = pattern[at] as number;
  if (token === QUESTION) return { matched: true, next: at + 1 };
  if (token === BACKSLASH && at + 1 < pattern.length) {
    return { matched: fold(pattern[at + 1] as number, noCase) === fold(byte, noCase), next: at + 2 };
  }
  if (token !== OPEN) return { matched: fold(token, noCase) === fold(byte, noCase), next: at + 1 };
  let i = at + 1;
  const negate = pattern[i] === CARET || pattern[i] === BANG;
  if (negate) i++;
  let matched = false;
  const subject = fold(byte, noCase);
  // As Redis: an unterminated class runs to the end of the pattern.
  while (i < pattern.length && pattern[i] !== CLOSE) {
    if (pattern[i] === BACKSLASH && i + 1 < pattern.length) {
      if (fold(pattern[i + 1] as number, noCase) === subject) matched = true;
      i += 2;
    } else if (i + 2 < pattern.length && pattern[i + 1] === DASH && pattern[i + 2] !== CLOSE) {
      let low = fold(pattern[i] as number, noCase);
      let high = fold(pattern[i + 2] as number, noCase);
      if (low > high) [low, high] = [high, low];
      if (subject >= low && subject <= high) matched = true;
      i += 3;
    } else {
      if (fold(pattern[i] as number, noCase) === subject) matched = true;
      i++;
    }
  }
  return { matched: matched !== negate, next: Math.min(i + 1, pattern.length) };
}

export function globMatch(pattern: Uint8Array, subject: Uint8Array, noCase = false): boolean {
  let p = 0;
  let s = 0;
  let starAt = -1;
  let starSubject = 0;
  while (s < subject.length) {
    if (p < pattern.length && pattern[p] === STAR) {
      while (p < pattern.length && pattern[p] === STAR) p++;
      if (p === pattern.length) return true;
      starAt = p;
      starSubject = s;
      continue;
    }
    if (p < pattern.length) {
      const { matched, next } = matchOne(pattern, p, subject[s] as number, noCase);
      if (matched) {
        p = next;
        s++;
        continue;
      }
    }
    if (starAt < 0) return false;
    p = starAt;
    s = ++starSubject;
  }
  while (p < pattern.length && pattern[p] === STAR) p++;
  return p === pattern.length;
}
