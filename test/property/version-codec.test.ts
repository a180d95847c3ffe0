import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { byteMutation, mutate } from '../support/byte-mutation.js';
import {
  VERSION_DEFAULTS, compareActors, compareDots, decodeVersioned, encodeContext, encodeVersioned, versionedProblem,
} from '../../src/version/index.js';
import type { Sibling, VersionLimits, Versioned } from '../../src/version/index.js';
import { RingcacheError, isRingcacheError } from '../../src/runtime/index.js';

const actor = fc.oneof(
  fc.constantFrom('n1.k3f9', 'n2.a0', 'n3.77', '\u00e9', '\u{1F600}'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
);
const time = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const siblingSeed = fc.record({
  entry: fc.nat(),
  counter: fc.nat(),
  timestampMs: time,
  expiresAtMs: fc.option(time, { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 24 }), { nil: null, freq: 5 }),
});

/** Any canonical state: sorted context, siblings sorted by dot and covered by the context. */
const versionedArbitrary: fc.Arbitrary<Versioned> = fc
  .record({
    context: fc.uniqueArray(fc.record({ actor, counter: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }), {
      selector: (entry) => entry.actor,
      maxLength: 6,
    }),
    seeds: fc.array(siblingSeed, { maxLength: 8 }),
  })
  .map(({ context, seeds }) => {
    context.sort((a, b) => compareActors(a.actor, b.actor));
    const byDot = new Map<string, Sibling>();
    for (const seed of context.length === 0 ? [] : seeds) {
      const entry = context[seed.entry % context.length]!;
      const dot = { actor: entry.actor, counter: 1 + (seed.counter % Math.min(entry.counter, 1000)) };
      byDot.set(`${dot.actor}/${dot.counter}`, { dot, value: seed.value, timestampMs: seed.timestampMs, expiresAtMs: seed.expiresAtMs });
    }
    return { context, siblings: [...byDot.values()].sort((a, b) => compareDots(a.dot, b.dot)) };
  });

/** Values as plain arrays: decoded values are Buffer views when the frame is a Buffer. */
function plain(versioned: Versioned): unknown {
  return { ...versioned, siblings: versioned.siblings.map((sibling) => ({ ...sibling, value: sibling.value && [...sibling.value] })) };
}

function bytes(...parts: (number | string | Uint8Array)[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => (typeof part === 'number' ? [part] : [...(typeof part === 'string' ? Buffer.from(part) : part)])));
}

/** Version byte + context n1 (counter 5), n2 (counter 3): the prefix of hand-built frames. */
const head = bytes(encodeContext([{ actor: 'n1', counter: 5 }, { actor: 'n2', counter: 3 }]));

function protocolError(input: Uint8Array, limits: Partial<VersionLimits> = {}): string {
  try {
    decodeVersioned(input, { ...VERSION_DEFAULTS, ...limits });
  } catch (error) {
    expect(isRingcacheError(error, 'RC_ERR_PROTOCOL')).toBe(true);
    return (error as Error).message;
  }
  return expect.unreachable('decoding should have failed');
}

/** Decoding either fails with RC_ERR_PROTOCOL or yields a canonical state that re-encodes to the input. */
function decodesCanonicallyOrRefuses(input: Uint8Array): void {
  try {
    const decoded = decodeVersioned(input);
    expect(versionedProblem(decoded)).toBeUndefined();
    expect(Buffer.from(encodeVersioned(decoded)).equals(Buffer.from(input))).toBe(true);
  } catch (error) {
    if (!(error instanceof RingcacheError) || error.code !== 'RC_ERR_PROTOCOL') throw error;
  }
}

describe('internode codec', () => {
  it('round-trips any canonical state, values as views of the frame', () => {
    fc.assert(fc.property(versionedArbitrary, (versioned) => {
      const frame = encodeVersioned(versioned);
      const decoded = decodeVersioned(frame);
      expect(plain(decoded)).toEqual(plain(versioned));
      for (const sibling of decoded.siblings) if (sibling.value !== null) expect(sibling.value.buffer).toBe(frame.buffer);
    }), { numRuns: 300 });
  });

  it('rejects each kind of malformed frame with RC_ERR_PROTOCOL and a message saying what is wrong', () => {
    const cases: [Uint8Array, RegExp, Partial<VersionLimits>?][] = [
      [bytes(2, 0, 0), /format version 2 is not 1/],
      [bytes(head), /truncated: sibling count/],
      [bytes(head, 0, 0), /typed value type 0 is unknown/],
      [bytes(head, 0, 1, 5, 1), /truncated: typed value/],
      [bytes(head, 0, 1, 2, 9, 9), /counter: format version 9 is not 1/],
      [bytes(1, 2, 2, 'n2', 1, 2, 'n1', 1, 0), /not after the previous one/],
      [bytes(head, 1, 2, 1, 0, 0, 0), /actor index 2 is not below the context size 2/],
      [bytes(head, 1, 0, 0, 0, 0, 0), /not covered/],
      [bytes(head, 1, 1, 4, 0, 0, 0), /dot \(n2, 4\) is not covered by the context \(3\)/],
      [bytes(head, 2, 0, 2, 0, 2, 0, 1, 0, 2), /sibling 1 dot \(n1, 1\) is not after the previous one/],
      [bytes(head, 2, 0, 2, 0, 2, 0, 2, 0, 2), /sibling 1 dot \(n1, 2\) is not after the previous one/],
      [bytes(head, 1, 0, 1, 0, 4), /unknown flag bits 0x4/],
      [bytes(head, 1, 0, 1, 0, 0, 5, 'abc'), /truncated: sibling 0 value needs 5/],
      [bytes(head, 1, 0, 1, 0, 1), /truncated: sibling 0 expiresAtMs/],
      [bytes(head, 1, 0, 1, 0, 0, 5, 'abcde'), /5 bytes, more than limits.valueBytesMax \(4\)/, { valueBytesMax: 4 }],
      [bytes(head, 3, 0, 1, 0, 2, 0, 2, 0, 2, 1, 1, 0, 2), /3 siblings, more than limits.siblingsMax \(2\)/, { siblingsMax: 2 }],
      [bytes(head, 1, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 2), /timestampMs is above 2\^53-1/],
      [bytes(1, 1, 3, 'n1', 1, 0), /has counter 0/],
    ];
    for (const [input, message, limits] of cases) expect(protocolError(input, limits)).toMatch(message);
    expect(decodeVersioned(bytes(head, 2, 0, 2, 0, 2, 1, 1, 1, 1, 9, 0))).toMatchObject({
      siblings: [{ dot: { actor: 'n1', counter: 2 }, value: null }, { dot: { actor: 'n2', counter: 1 }, expiresAtMs: 9, value: new Uint8Array(0) }],
    });
  });

  it('rejects every truncation of a valid frame', () => {
    fc.assert(fc.property(versionedArbitrary, (versioned) => {
      const frame = encodeVersioned(versioned);
      for (let length = 0; length < frame.length; length++) protocolError(frame.subarray(0, length));
    }), { numRuns: 100 });
  });

  it('throws only RC_ERR_PROTOCOL on random bytes and on mutated valid frames', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (input) => decodesCanonicallyOrRefuses(bytes(1, input))), { numRuns: 500 });
    fc.assert(fc.property(versionedArbitrary, fc.array(byteMutation, { minLength: 1, maxLength: 3 }), (versioned, mutations) => {
      decodesCanonicallyOrRefuses(mutate(encodeVersioned(versioned), mutations));
    }), { numRuns: 1500 });
  });
});
