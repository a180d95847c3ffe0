import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { byteMutation, mutate } from '../support/byte-mutation.js';
import {
  VERSION_DEFAULTS, compareActors, contextFromBase64Url, contextToBase64Url, decodeContext, encodeContext,
} from '../../src/version/index.js';
import type { VersionLimits, VersionVector } from '../../src/version/index.js';
import { RingcacheError, isRingcacheError } from '../../src/runtime/index.js';

/** Bytes from numbers and ASCII strings, to spell tokens by hand. */
function bytes(...parts: (number | string)[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => (typeof part === 'number' ? [part] : [...Buffer.from(part)])));
}

function badContext(decode: () => unknown): string {
  try {
    decode();
  } catch (error) {
    expect(isRingcacheError(error, 'RC_ERR_BAD_CONTEXT')).toBe(true);
    return (error as Error).message;
  }
  return expect.unreachable('decoding should have failed');
}

const actor = fc.oneof(
  fc.constantFrom('n1.k3f9', 'n2.a0', 'n10.ff', '\u00e9', '\u{1F600}', '\uFFFD', '\uFEFFbom'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }).filter((text) => Buffer.byteLength(text) <= 64),
);
const vectorArbitrary: fc.Arbitrary<VersionVector> = fc
  .uniqueArray(fc.record({ actor, counter: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }), {
    selector: (entry) => entry.actor,
    maxLength: 8,
  })
  .map((entries) => entries.sort((a, b) => compareActors(a.actor, b.actor)));

describe('context tokens', () => {
  it('round-trip any vector, the empty one included, in bytes and in base64url', () => {
    expect(contextToBase64Url([])).toBe('AQA');
    expect(contextFromBase64Url('AQA')).toEqual([]);
    fc.assert(fc.property(vectorArbitrary, (vector) => {
      expect(decodeContext(encodeContext(vector))).toEqual(vector);
      const token = contextToBase64Url(vector);
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(contextFromBase64Url(token)).toEqual(vector);
    }), { numRuns: 300 });
  });

  it('are compact: a three-server context is a short header', () => {
    const vector = [{ actor: 'n1.k3f9', counter: 1_000_000 }, { actor: 'n2.a0', counter: 12 }, { actor: 'n3.77', counter: 5 }];
    expect(encodeContext(vector).length).toBe(1 + 1 + (1 + 7 + 3) + (1 + 5 + 1) + (1 + 5 + 1));
  });

  it('reject each kind of malformed token with a message saying what is wrong', () => {
    const cases: [Uint8Array, RegExp, Partial<VersionLimits>?][] = [
      [bytes(), /truncated: format version/],
      [bytes(2, 0), /format version 2 is not 1/],
      [bytes(1), /truncated: entry count/],
      [bytes(1, 1), /truncated: entry 0 actor length/],
      [bytes(1, 1, 2, 'n'), /truncated: entry 0 actor needs 2/],
      [bytes(1, 1, 2, 'n1'), /truncated: entry 0 counter/],
      [bytes(1, 1, 2, 'n1', 0x80), /truncated: entry 0 counter/],
      [bytes(1, 0, 0), /1 trailing byte/],
      [bytes(1, 2, 2, 'n2', 1, 2, 'n1', 1), /entry 1 actor is not after the previous one/],
      [bytes(1, 2, 2, 'n1', 1, 2, 'n1', 2), /entry 1 actor is not after the previous one/],
      [bytes(1, 1, 2, 'n1', 0), /counter 0/],
      [bytes(1, 1, 2, 'n1', 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10), /above 2\^53-1/],
      [bytes(1, 1, 2, 'n1', 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01), /longer than 8 bytes/],
      [bytes(1, 1, 2, 'n1', 0x81, 0x00), /non-canonical varint/],
      [bytes(1, 1, 0, 1), /empty actor/],
      [bytes(1, 1, 1, 0xff, 1), /not valid UTF-8/],
      [bytes(1, 1, 3, 0xed, 0xa0, 0x80, 1), /not valid UTF-8/],
      [bytes(1, 3, 1, 'a', 1, 1, 'b', 1, 1, 'c', 1), /3 entries, more than limits.contextEntriesMax \(2\)/, { contextEntriesMax: 2 }],
      [bytes(1, 1, 6, 'n1.abc', 1), /6 bytes, more than limits.actorBytesMax \(4\)/, { actorBytesMax: 4 }],
    ];
    for (const [token, message, limits] of cases) {
      expect(badContext(() => decodeContext(token, { ...VERSION_DEFAULTS, ...limits }))).toMatch(message);
    }
  });

  it('accept a counter of exactly 2^53-1', () => {
    const vector = [{ actor: 'n1', counter: Number.MAX_SAFE_INTEGER }];
    expect(decodeContext(encodeContext(vector))).toEqual(vector);
  });

  it('reject text that is not the canonical base64url of a token', () => {
    expect(badContext(() => contextFromBase64Url(''))).toMatch(/truncated/);
    expect(badContext(() => contextFromBase64Url('AQA='))).toMatch(/not base64url/);
    expect(badContext(() => contextFromBase64Url('A+A'))).toMatch(/not base64url/);
    expect(badContext(() => contextFromBase64Url('AQA A'))).toMatch(/not base64url/);
    expect(badContext(() => contextFromBase64Url('AQAAA'))).toMatch(/not base64url/);
    expect(badContext(() => contextFromBase64Url('AQB'))).toMatch(/not canonical/);
    expect(badContext(() => contextFromBase64Url('A'.repeat(100), { ...VERSION_DEFAULTS, contextEntriesMax: 1, actorBytesMax: 8 })))
      .toMatch(/100 characters, more than/);
  });

  it('throw only RC_ERR_BAD_CONTEXT on random bytes and text, and accept only canonical encodings', () => {
    const decodesCanonically = (input: Uint8Array): void => {
      try {
        expect(Buffer.from(encodeContext(decodeContext(input))).equals(Buffer.from(input))).toBe(true);
      } catch (error) {
        if (!(error instanceof RingcacheError) || error.code !== 'RC_ERR_BAD_CONTEXT') throw error;
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (input) => decodesCanonically(input)), { numRuns: 500 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 8 }), (tail) => decodesCanonically(bytes(1, 1, 2, 'n1', ...tail))), { numRuns: 300 });
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (text) => {
      try {
        contextFromBase64Url(text);
      } catch (error) {
        if (!(error instanceof RingcacheError) || error.code !== 'RC_ERR_BAD_CONTEXT') throw error;
      }
    }), { numRuns: 300 });
  });

  it('throw only RC_ERR_BAD_CONTEXT on mutated valid tokens', () => {
    fc.assert(fc.property(vectorArbitrary, fc.array(byteMutation, { minLength: 1, maxLength: 3 }), (vector, mutations) => {
      const input = mutate(encodeContext(vector), mutations);
      try {
        const decoded = decodeContext(Uint8Array.from(input));
        expect([...encodeContext(decoded)]).toEqual([...input]);
      } catch (error) {
        if (!(error instanceof RingcacheError) || error.code !== 'RC_ERR_BAD_CONTEXT') throw error;
      }
    }), { numRuns: 1000 });
  });
});
