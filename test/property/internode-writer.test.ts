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
import { plain } from '../unit/transport-contract.js';
import { time, value, vectorArbitrary, versionedArbitrary } from '../support/version-arbitraries.js';

const key = fc.uint8Array({ minLength: 1, maxLength: 40 });
const vnode = fc.integer({ min: 0, max: 1023 });

const vector = vectorArbitrary(4);

const versioned = versionedArbitrary(4, 4);

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
