import { describe, expect, it } from 'vitest';
import { coordinatedIncrement, counterView, parseInt64 } from '../../src/datatypes/index.js';
import type { IncrementResult } from '../../src/datatypes/index.js';
import { coordinatedPut, decodeVersioned, encodeVersioned, isDead, merge } from '../../src/version/index.js';
import type { Versioned } from '../../src/version/index.js';

const NOW = 1_000_000;
const text = (value: string): Buffer => Buffer.from(value);

function incr(local: Versioned | undefined, amount: bigint, actor: string, counter: number): IncrementResult {
  const result = coordinatedIncrement(local, amount, { actor, counter }, NOW);
  if (typeof result === 'string') throw new Error(`refused: ${result}`);
  return result;
}

function set(local: Versioned | undefined, value: string | null, counter: number, expiresAtMs: number | null = null, actor = 'n1'): Versioned {
  return coordinatedPut(local, { value: value === null ? null : text(value), context: null, dot: { actor, counter }, timestampMs: NOW, expiresAtMs });
}

describe('parseInt64 (Redis string2ll)', () => {
  it('accepts exactly the int64 decimals Redis accepts', () => {
    expect(parseInt64(text('0'))).toBe(0n);
    expect(parseInt64(text('-12'))).toBe(-12n);
    expect(parseInt64(text('9223372036854775807'))).toBe(2n ** 63n - 1n);
    expect(parseInt64(text('-9223372036854775808'))).toBe(-(2n ** 63n));
    for (const bad of ['', '-', '-0', '01', '+1', ' 1', '1 ', '1.5', '9223372036854775808', '-9223372036854775809', 'abc', '1e3']) {
      expect(parseInt64(text(bad))).toBeUndefined();
    }
  });
});

describe('INCRBY at the coordinating replica', () => {
  it('starts an absent key at zero and counts on', () => {
    const one = incr(undefined, 1n, 'n1', 1);
    expect(one.value).toBe(1n);
    const five = incr(one.versioned, 4n, 'n1', 2);
    expect(five.value).toBe(5n);
    expect(counterView(five.versioned, NOW)).toEqual({ kind: 'integer', value: 5n, expiresAtMs: null });
  });

  it('counts on top of a string that holds an integer, keeping its expiry (INCR keeps the TTL, as Redis)', () => {
    const stored = set(undefined, '10', 1, NOW + 5000);
    const result = incr(stored, -3n, 'n1', 2);
    expect(result.value).toBe(7n);
    expect(counterView(result.versioned, NOW)).toEqual({ kind: 'integer', value: 7n, expiresAtMs: NOW + 5000 });
    // Once the string expires, the whole key is gone; the next INCR starts from zero.
    expect(counterView(result.versioned, NOW + 5000)).toEqual({ kind: 'absent' });
    const after = coordinatedIncrement(result.versioned, 1n, { actor: 'n1', counter: 3 }, NOW + 6000);
    expect(typeof after === 'string' ? after : after.value).toBe(1n);
  });

  it('refuses a non-integer string and a result outside int64, as Redis words it', () => {
    expect(coordinatedIncrement(set(undefined, 'hello', 1), 1n, { actor: 'n1', counter: 2 }, NOW)).toBe('not-integer');
    expect(coordinatedIncrement(set(undefined, ' 1', 1), 1n, { actor: 'n1', counter: 2 }, NOW)).toBe('not-integer');
    const max = set(undefined, '9223372036854775807', 1);
    expect(coordinatedIncrement(max, 1n, { actor: 'n1', counter: 2 }, NOW)).toBe('overflow');
    const min = set(undefined, '-9223372036854775808', 1);
    expect(coordinatedIncrement(min, -1n, { actor: 'n1', counter: 2 }, NOW)).toBe('overflow');
    expect(incr(max, -1n, 'n1', 2).value).toBe(2n ** 63n - 2n);
  });

  it('a SET resets what it observed; an increment it did not observe survives the merge', () => {
    const a = incr(undefined, 5n, 'n1', 1).versioned;
    const shared = merge(a, a);
    // n2 increments without seeing the SET; n1 SETs 100 without seeing n2's increment.
    const other = incr(shared, 2n, 'n2', 1).versioned;
    const reset = set(shared, '100', 2);
    const healed = merge(reset, other);
    expect(healed).toEqual(merge(other, reset));
    expect(counterView(healed, NOW)).toEqual({ kind: 'integer', value: 102n, expiresAtMs: null });
  });

  it('a DEL with the read\'s context hides what it saw, and the key can then be collected', () => {
    const counted = incr(undefined, 5n, 'n1', 1).versioned;
    const deleted = coordinatedPut(counted, { value: null, context: counted.context, dot: { actor: 'n1', counter: 2 }, timestampMs: NOW, expiresAtMs: null });
    expect(counterView(deleted, NOW)).toEqual({ kind: 'absent' });
    expect(isDead(counted, NOW, 1)).toBe(false);
    expect(isDead(deleted, NOW + 10, 1)).toBe(true);
  });

  it('a counter survives the internode codec', () => {
    const counted = incr(set(undefined, '3', 1), 4n, 'n2', 1).versioned;
    const decoded = decodeVersioned(encodeVersioned(counted));
    expect(counterView(decoded, NOW)).toEqual({ kind: 'integer', value: 7n, expiresAtMs: null });
    expect(encodeVersioned(decoded).equals(encodeVersioned(counted))).toBe(true);
  });
});
