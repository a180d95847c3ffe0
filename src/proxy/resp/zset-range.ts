/**
 * Sorted-set ranges as Redis 7 reads them (t_zset.c zslParseRange, zslParseLexRange) and scores
 * as it writes them (%.17g), over the members of a merged state sorted by (score, member).
 */
import { parseFloatText } from '../../datatypes/index.js';

export interface Scored {
  readonly member: Uint8Array;
  readonly score: number;
}

export interface ScoreBound {
  readonly value: number;
  readonly exclusive: boolean;
}

/** `1.5`, `(1.5`, `-inf`, `+inf`: undefined when Redis answers "min or max is not a float". */
export function parseScoreBound(arg: Uint8Array): ScoreBound | undefined {
  const exclusive = arg[0] === 0x28;
  const value = parseFloatText(exclusive ? arg.subarray(1) : arg);
  if (value === undefined || Number.isNaN(value)) return undefined;
  return { value, exclusive };
}

export function inScoreRange(score: number, min: ScoreBound, max: ScoreBound): boolean {
  const aboveMin = min.exclusive ? score > min.value : score >= min.value;
  const belowMax = max.exclusive ? score < max.value : score <= max.value;
  return aboveMin && belowMax;
}

/** `-`, `+`, `[a`, `(a`: undefined when Redis answers "min or max not valid string range item". */
export type LexBound = { readonly kind: 'min' | 'max' } | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly exclusive: boolean };

export function parseLexBound(arg: Uint8Array): LexBound | undefined {
  if (arg.length === 1 && arg[0] === 0x2d) return { kind: 'min' };
  if (arg.length === 1 && arg[0] === 0x2b) return { kind: 'max' };
  if (arg[0] === 0x28 || arg[0] === 0x5b) return { kind: 'bytes', bytes: arg.subarray(1), exclusive: arg[0] === 0x28 };
  return undefined;
}

export function inLexRange(member: Uint8Array, min: LexBound, max: LexBound): boolean {
  const aboveMin = min.kind === 'min' || (min.kind === 'bytes' && (min.exclusive ? Buffer.compare(member, min.bytes) > 0 : Buffer.compare(member, min.bytes) >= 0));
  const belowMax = max.kind === 'max' || (max.kind === 'bytes' && (max.exclusive ? Buffer.compare(member, max.bytes) < 0 : Buffer.compare(member, max.bytes) <= 0));
  return aboveMin && belowMax;
}

/** Redis's rank window: negative indexes count from the end; an empty window when out of range. */
export function rankWindow(length: number, start: number, stop: number): [number, number] | undefined {
  let first = start < 0 ? length + start : start;
  let last = stop < 0 ? length + stop : stop;
  if (first < 0) first = 0;
  if (first > last || first >= length) return undefined;
  if (last >= length) last = length - 1;
  return [first, last];
}

function trimZeros(digits: string): string {
  return digits.includes('.') ? digits.replace(/0+$/, '').replace(/\.$/, '') : digits;
}

/** A double as C's `%.17g` prints it, which Redis 7 replies scores with: 0.1 -> 0.10000000000000001. */
export function formatScore(score: number): string {
  if (score === Infinity) return 'inf';
  if (score === -Infinity) return '-inf';
  if (score === 0) return Object.is(score, -0) ? '-0' : '0';
  const exponential = score.toExponential(16);
  const exponent = Number(exponential.slice(exponential.indexOf('e') + 1));
  if (exponent < -4 || exponent >= 17) {
    const mantissa = trimZeros(exponential.slice(0, exponential.indexOf('e')));
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  return trimZeros(score.toFixed(16 - exponent));
}
