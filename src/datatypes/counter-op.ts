/**
 * A key's counter as Redis shows it, and INCRBY at the coordinating replica (docs/ARCHITECTURE.md,
 * "Typed values"): `value = base + delta`, where `base` is the integer the key's resolved string
 * holds (0 without one) and `delta` what the counter's lanes add beyond their offsets.
 *
 *   siblings {"5"}  counter delta +1    GET "6", TYPE string, INCR -> 7
 *   siblings {}     counter delta +3    GET "3"
 *   siblings {"hi"} counter delta +2    GET "hi" (a SET concurrent with the increments), INCR refused
 *
 * The key's expiry is its string's: once the newest sibling has expired (or is a delete), the key
 * is absent, its counter included; the next INCR starts from zero by resetting the lanes it holds.
 */
import { assert } from '../runtime/index.js';
import { compareRecency, withTypes } from '../version/dvv.js';
import { keyType } from './key-type.js';
import { isExpired } from '../version/read.js';
import type { Dot, Sibling, Versioned } from '../version/types.js';
import { joinDot } from '../version/vector.js';
import { EMPTY_COUNTER, INT64_MAX, INT64_MIN, counterDelta, increment, isFullyReset, resetCounter } from './pn-counter.js';

export type CounterView =
  | { readonly kind: 'absent' }
  | { readonly kind: 'integer'; readonly value: bigint; readonly expiresAtMs: number | null }
  | { readonly kind: 'string'; readonly sibling: Sibling };

const ABSENT: CounterView = Object.freeze({ kind: 'absent' });
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const MINUS = 0x2d;

/** Redis's string2ll, exactly: no '+', no spaces, no leading zeros, no '-0', within int64. */
export function parseInt64(bytes: Uint8Array): bigint | undefined {
  const length = bytes.length;
  if (length === 0 || length > 20) return undefined;
  if (length === 1 && bytes[0] === DIGIT_0) return 0n;
  const negative = bytes[0] === MINUS;
  const start = negative ? 1 : 0;
  const first = bytes[start];
  if (first === undefined || first <= DIGIT_0 || first > DIGIT_9) return undefined;
  let text = '';
  for (let i = start; i < length; i++) {
    const byte = bytes[i] as number;
    if (byte < DIGIT_0 || byte > DIGIT_9) return undefined;
    text += String.fromCharCode(byte);
  }
  const value = negative ? -BigInt(text) : BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

function newestSibling(versioned: Versioned): Sibling | undefined {
  let newest: Sibling | undefined;
  for (const sibling of versioned.siblings) if (newest === undefined || compareRecency(sibling, newest) < 0) newest = sibling;
  return newest;
}

/** What GET, TYPE and INCR see of a key that may hold a counter. */
export function counterView(versioned: Versioned | undefined, nowMs: number): CounterView {
  if (versioned === undefined) return ABSENT;
  const newest = newestSibling(versioned);
  // Expired: the whole key is gone, the increments on top of its value too.
  if (newest !== undefined && isExpired(newest, nowMs)) return ABSENT;
  const counter = versioned.counter;
  const delta = counter === undefined ? 0n : counterDelta(counter);
  if (newest?.value === undefined || newest.value === null) {
    // No string, or a delete: what the delete did not observe is still counted.
    return counter === undefined || isFullyReset(counter) ? ABSENT : { kind: 'integer', value: delta, expiresAtMs: null };
  }
  const base = parseInt64(newest.value);
  if (base === undefined) return { kind: 'string', sibling: newest };
  return { kind: 'integer', value: base + delta, expiresAtMs: newest.expiresAtMs };
}

export interface IncrementResult {
  readonly versioned: Versioned;
  readonly value: bigint;
}

/** Why an increment was refused (Redis's errors); nothing is stored either way. */
export type IncrementRefusal = 'not-integer' | 'overflow' | 'wrong-type';

/** INCRBY `amount` at the coordinating replica, which drew `dot` for it. */
export function coordinatedIncrement(local: Versioned | undefined, amount: bigint, dot: Dot, nowMs: number): IncrementResult | IncrementRefusal {
  assert(amount >= INT64_MIN && amount <= INT64_MAX, 'an increment is a 64-bit signed integer');
  const state = local ?? { context: [], siblings: [] };
  // A hash, set or sorted set shown at the key: Redis's WRONGTYPE, nothing stored.
  // Without collections the key is a string or nothing, so the type walk (a second counterView) is skipped.
  if (state.collections !== undefined) {
    const type = keyType(state, nowMs);
    if (type !== 'none' && type !== 'string') return 'wrong-type';
  }
  const view = counterView(state, nowMs);
  if (view.kind === 'string') return 'not-integer';
  const current = view.kind === 'integer' ? view.value : 0n;
  const value = current + amount;
  if (value < INT64_MIN || value > INT64_MAX) return 'overflow';
  // An absent key starts from zero: the lanes it still holds (under a delete or an expiry) are
  // reset, and the dead siblings dropped (the new context covers them, so every replica drops them).
  const absent = view.kind === 'absent';
  const counter = absent ? resetCounter(state.counter ?? EMPTY_COUNTER, null) : state.counter ?? EMPTY_COUNTER;
  const outcome = increment(counter, dot.actor, dot.counter, amount);
  if (outcome === 'lane-overflow') return 'overflow';
  return {
    versioned: withTypes({ context: joinDot(state.context, dot), siblings: absent ? [] : state.siblings }, outcome.state, state.collections),
    value,
  };
}
