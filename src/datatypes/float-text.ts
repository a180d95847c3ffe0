/**
 * Floats as Redis reads and writes them (INCRBYFLOAT, HINCRBYFLOAT, ZADD scores): strtold's
 * decimal or exponent forms and inf, no spaces; results written without an exponent and
 * without trailing zeros (Redis's humanfriendly long-double format).
 */

const FLOAT_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INFINITY_TEXT = /^[+-]?inf(inity)?$/i;
/** Redis refuses longer float arguments (MAX_LONG_DOUBLE_CHARS). */
const FLOAT_TEXT_LENGTH_MAX = 5120;

/** The double a Redis float argument means, or undefined when Redis would refuse it. */
export function parseFloatText(arg: Uint8Array): number | undefined {
  if (arg.length === 0 || arg.length > FLOAT_TEXT_LENGTH_MAX) return undefined;
  const text = Buffer.from(arg.buffer, arg.byteOffset, arg.length).toString('latin1');
  if (FLOAT_TEXT.test(text)) return Number(text);
  if (INFINITY_TEXT.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  return undefined;
}

/**
 * A double as Redis's humanfriendly format writes it: no exponent, no trailing zeros. Redis
 * computes in long double, so results past 1.8e308 that Redis still prints are refused here.
 */
export function formatFloatText(value: number): string {
  const shortest = String(value);
  if (!shortest.includes('e')) return shortest;
  if (Math.abs(value) >= 1) return BigInt(value).toString();
  return value.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}
