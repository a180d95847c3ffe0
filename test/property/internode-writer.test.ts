/**
 * writeInternodeRequest writes the bytes encodeCommand(encodeInternodeRequest(envelope)) would,
 * for every envelope, and several requests in one batch stay separable by the node's parser.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RESP_DEFAULTS, ReplyWriter, encodeCommand, parseRequests } from '../../src/resp/index.js';
import { INTERNODE_LIMITS_DEFAULTS, decodeInternodeRequest, encodeInternodeRequest } from '../../src/transport/index.js';
import type { Envelope, InternodeRequest } from '../../src/transport/index.js';
import { writeInternodeRequest } from '../../src/transport/internode-writer.js';
import { compareActors, compareDots } from '../../src/version/index.js';
import type { Sibling, Versioned, VersionVector } from '../../src/version/index.js';
import { plain } from '../unit/transport-contract.js';

const actor = fc.oneof(fc.constantFrom('n1.k3f9', 'n2.a0', '\u00e9'), fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }));
const counter = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const time = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const key = fc.uint8Array({ minLength: 1, maxLength: 40 });
const value = fc.option(fc.uint8Array({ maxLength: 64 }), { nil: null, freq: 4 });
const vnode = fc.integer({ min: 0, max: 1023 });

const vector: fc.Arbitrary<VersionVector> = fc
  .uniqueArray(fc.record({ actor, counter }), { selector: (entry) => entry.actor, maxLength: 4 })
  .map((entries) => entries.sort((a, b) => compareActors(a.actor, b.actor)));

const versioned: fc.Arbitrary<Versioned> = fc
  .record({ context: vector, seeds: fc.array(fc.record({ entry: fc.nat(), counter: fc.nat(), timestampMs: time, expiresAtMs: fc.option(time, { nil: null }), value }), { maxLength: 4 }) })
  .map(({ context, seeds }) => {
    const byDot = new Map<string, Sibling>();
    for (const seed of context.length === 0 ? [] : seeds) {
      const entry = context[seed.entry % context.length]!;
      const dot = { actor: entry.actor, counter: 1 + (seed.counter % Math.min(entry.counter, 1000)) };
      byDot.set(`${dot.actor}/${dot.counter}`, { dot, value: seed.value, timestampMs: seed.timestampMs, expiresAtMs: seed.expiresAtMs });
    }
    return { context, siblings: [...byDot.values()].sort((a, b) => compareDots(a.dot, b.dot)) };
  });

const request: fc.Arbitrary<InternodeRequest> = fc.oneof(
  fc.record({
    kind: fc.constant('coord-put' as const), requestId: fc.string({ minLength: 1, maxLength: 40 }),
    key, vnode, value, context: fc.option(vector, { nil: null }), expiresAtMs: fc.option(time, { nil: null }),
  }),
  fc.record({ kind: fc.constant('merge' as const), key, vnode, versioned }),
  fc.record({ kind: fc.constant('read' as const), key, vnode }),
  fc.constant({ kind: 'ping' as const }),
);
const envelope: fc.Arbitrary<Envelope<InternodeRequest>> = fc.record({ epoch: time, body: request });

describe('writeInternodeRequest', () => {
  it('writes exactly what encodeCommand(encodeInternodeRequest()) encodes', () => {
    fc.assert(fc.property(envelope, (sent) => {
      const batch = new ReplyWriter(64);
      writeInternodeRequest(batch, sent);
      expect(Buffer.from(batch.take()).equals(encodeCommand(encodeInternodeRequest(sent)))).toBe(true);
    }), { numRuns: 500 });
  });

  it('keeps a batch of requests apart, each decoding to what was sent', () => {
    fc.assert(fc.property(fc.array(envelope, { minLength: 1, maxLength: 8 }), (sent) => {
      const batch = new ReplyWriter(64);
      for (const one of sent) writeInternodeRequest(batch, one);
      const commands = parseRequests(Buffer.from(batch.take()), { ...RESP_DEFAULTS, bulkBytesMax: RESP_DEFAULTS.frameBytesMax });
      const limits = { ...INTERNODE_LIMITS_DEFAULTS, vnodeCount: 1024 };
      expect(commands.map((args) => plain(decodeInternodeRequest(args, limits)))).toEqual(sent.map(plain));
    }), { numRuns: 200 });
  });
});
