/**
 * Relative and absolute expiry arguments (SET EX/PX/EXAT/PXAT, EXPIRE, PEXPIRE, RC.SETV EX/PX) as
 * Redis validates them (t_string.c getExpireMillisecondsOrReply, expire.c), turned into the
 * absolute `expiresAtMs` every replica stores (DESIGN.md section 3).
 */
import { parseInteger } from './arguments.js';
import { EXPIRES_AT_MS_MAX } from '../kv-store.js';

export type ExpiryUnit = 'seconds' | 'milliseconds';
export type ExpiryBase = 'relative' | 'absolute';

/** An absolute expiry in ms, or why the argument was refused (Redis answers differently for each). */
export type ExpiryParse = number | 'not-integer' | 'invalid';

/**
 * SET's rule: the number must be a positive integer; the result must fit (Redis: int64 ms; here:
 * an exact integer in a double, EXPIRES_AT_MS_MAX).
 */
export function parsePositiveExpiry(arg: Uint8Array, unit: ExpiryUnit, base: ExpiryBase, nowMs: number): ExpiryParse {
  const value = parseInteger(arg);
  if (value === undefined) return 'not-integer';
  if (value <= 0) return 'invalid';
  return absoluteExpiry(value, unit, base, nowMs);
}

/**
 * EXPIRE's and EXPIREAT's rule: any integer (zero or negative expire the key at once); the
 * absolute time must fit. Returns the absolute time, which may be at or before `nowMs`.
 */
export function parseAnyExpiry(arg: Uint8Array, unit: ExpiryUnit, nowMs: number, base: ExpiryBase = 'relative'): ExpiryParse {
  const value = parseInteger(arg);
  if (value === undefined) return 'not-integer';
  return absoluteExpiry(value, unit, base, nowMs);
}

function absoluteExpiry(value: number, unit: ExpiryUnit, base: ExpiryBase, nowMs: number): ExpiryParse {
  const ms = unit === 'seconds' ? value * 1000 : value;
  const absolute = base === 'relative' ? Math.floor(nowMs) + ms : ms;
  if (!Number.isSafeInteger(ms) || !Number.isSafeInteger(absolute) || absolute > EXPIRES_AT_MS_MAX) return 'invalid';
  // Redis stores a negative absolute time as "already expired"; a version stores times >= 0.
  return Math.max(0, absolute);
}

/**
 * TTL and PTTL of a value: -1 without expiry; otherwise the ms left, and TTL rounds to the
 * nearest second as Redis does ((ms + 500) / 1000, integer division).
 */
export function timeToLive(expiresAtMs: number | null, nowMs: number, unit: ExpiryUnit): number {
  if (expiresAtMs === null) return -1;
  const ms = Math.max(0, expiresAtMs - Math.floor(nowMs));
  return unit === 'milliseconds' ? ms : Math.floor((ms + 500) / 1000);
}
