import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { byteMutation, mutate } from '../support/byte-mutation.js';
import {
  ContextTokens, TOKEN_MAC_BYTES, VERSION_DEFAULTS, compareActors, decodeContext, encodeContext,
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

const tokens = new ContextTokens('');

describe('context tokens', () => {
  it('round-trip any vector, the empty one included, in bytes and as signed base64url tokens', () => {
    expect([...encodeContext([])]).toEqual([1, 0]);
    expect(tokens.decode(tokens.encode([]))).toEqual([]);
    fc.assert(fc.property(vectorArbitrary, (vector) => {
      expect(decodeContext(encodeContext(vector))).toEqual(vector);
      const token = tokens.encode(vector);
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(tokens.decode(token)).toEqual(vector);
      // The memo of issued tokens answers exactly what signing afresh gives.
      expect(tokens.encode(vector)).toBe(token);
      expect(new ContextTokens('').encode(vector)).toBe(token);
    }), { numRuns: 300 });
  });

  it('accept only tokens signed with the same cluster token', () => {
    const vector = [{ actor: 'n1.k3f9', counter: 7 }];
    const ours = new ContextTokens('s3cret-a');
    const theirs = new ContextTokens('s3cret-b');
    expect(new ContextTokens('s3cret-a').decode(ours.encode(vector))).toEqual(vector);
    expect(badContext(() => theirs.decode(ours.encode(vector)))).toMatch(/signature does not match/);
    expect(badContext(() => tokens.decode(ours.encode(vector)))).toMatch(/signature does not match/);
  });

  it('refuse a forged counter: re-signing needs the key, and any changed byte breaks the signature', () => {
    const genuine = Buffer.from(tokens.encode([{ actor: 'n2.a0', counter: 12 }]), 'base64url');
    // The attack the signature stops: raise n2.a0's counter so the context covers writes n2 has not made.
    const forged = Buffer.from(genuine);
    forged[1 + 1 + 1 + 5] = 0x7f;
    expect(badContext(() => tokens.decode(forged.toString('base64url')))).toMatch(/signature does not match/);
    for (let i = 0; i < genuine.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const flipped = Buffer.from(genuine);
        flipped[i] = (flipped[i] as number) ^ bit;
        expect(badContext(() => tokens.decode(flipped.toString('base64url')))).toMatch(/signature does not match|format version/);
      }
    }
  });

  it('refuse the unsigned tokens of the first release and truncated ones, saying so', () => {
    expect(badContext(() => tokens.decode('AQA'))).toMatch(/format version 1 is not 2/);
    expect(badContext(() => tokens.decode(Buffer.from([2, 0]).toString('base64url')))).toMatch(/truncated: 2 bytes/);
    const whole = Buffer.from(tokens.encode([]), 'base64url');
    expect(whole.length).toBe(2 + TOKEN_MAC_BYTES);
    expect(badContext(() => tokens.decode(whole.subarray(0, whole.length - 1).toString('base64url')))).toMatch(/truncated|signature/);
  });

  it('give the client the context of what it has seen: after a write with a context, only that context and its dot', () => {
    const stored = {
      context: [{ actor: 'n1', counter: 4 }, { actor: 'n2', counter: 9 }],
      siblings: [],
    };
    const dot = { actor: 'n1', counter: 4 };
    // Blind write: it superseded everything the coordinator held, so the client has seen it all.
    expect(tokens.decode(tokens.forWrite(stored, dot, null))).toEqual(stored.context);
    // With a context: n2's concurrent sibling was not seen, so the next write must not cover it.
    expect(tokens.decode(tokens.forWrite(stored, dot, [{ actor: 'n1', counter: 2 }]))).toEqual([{ actor: 'n1', counter: 4 }]);
    // Two writers through n1: (n1, 3) is a sibling this client never read, and "context + (n1, 4)"
    // as a vector would cover it; the token stays the client's context.
    const sibling = (counter: number) => ({ dot: { actor: 'n1', counter }, value: Uint8Array.of(counter), timestampMs: 1, expiresAtMs: null });
    const withConcurrent = { context: [{ actor: 'n1', counter: 4 }], siblings: [sibling(3), sibling(4)] };
    expect(tokens.decode(tokens.forWrite(withConcurrent, dot, [{ actor: 'n1', counter: 2 }]))).toEqual([{ actor: 'n1', counter: 2 }]);
    // Once the client has read (n1, 3) too, its context covers it and the token takes the new dot.
    expect(tokens.decode(tokens.forWrite(withConcurrent, dot, [{ actor: 'n1', counter: 3 }]))).toEqual([{ actor: 'n1', counter: 4 }]);
    expect(tokens.decode(tokens.forRead(null))).toEqual([]);
    expect(tokens.decode(tokens.forRead(stored))).toEqual(stored.context);
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
    expect(badContext(() => tokens.decode(''))).toMatch(/truncated/);
    expect(badContext(() => tokens.decode('AQA='))).toMatch(/not base64url/);
    expect(badContext(() => tokens.decode('A+A'))).toMatch(/not base64url/);
    expect(badContext(() => tokens.decode('AQA A'))).toMatch(/not base64url/);
    expect(badContext(() => tokens.decode('AQAAA'))).toMatch(/not base64url/);
    expect(badContext(() => tokens.decode('AQB'))).toMatch(/not canonical/);
    expect(badContext(() => new ContextTokens('', { ...VERSION_DEFAULTS, contextEntriesMax: 1, actorBytesMax: 8 }).decode('A'.repeat(100))))
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
        tokens.decode(text);
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
