/**
 * RC.INCRBY on the wire: requests and replies round-trip through real RESP bytes, and mutated
 * requests either decode to something that re-encodes canonically or are refused with
 * RC_ERR_PROTOCOL, never another exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COUNTER_ADD_CODEC, DATATYPE_MESSAGES, coordinatedIncrement } from '../../src/datatypes/index.js';
import type { CounterAddReply, CounterAddRequest } from '../../src/datatypes/index.js';
import { RESP_DEFAULTS, encodeCommand, encodeReply, parseReplies, parseRequests } from '../../src/resp/index.js';
import { RingcacheError } from '../../src/runtime/index.js';
import { DATA_MESSAGES, INTERNODE_LIMITS_DEFAULTS, MessageCatalogue, decodePeerReply, decodePeerRequest, encodePeerCommand } from '../../src/transport/index.js';
import type { MessageCodec, PeerKind } from '../../src/transport/index.js';
import { encodeVersioned } from '../../src/version/index.js';
import { byteMutation, mutate } from '../support/byte-mutation.js';
import { versionedArbitrary } from '../support/version-arbitraries.js';

const LIMITS = { ...INTERNODE_LIMITS_DEFAULTS, vnodeCount: 1024 };
const RESP_LIMITS = { ...RESP_DEFAULTS, bulkBytesMax: RESP_DEFAULTS.frameBytesMax };
const CATALOGUE = MessageCatalogue.of(DATA_MESSAGES, DATATYPE_MESSAGES);
const INT64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });

const request: fc.Arbitrary<CounterAddRequest> = fc.record({
  kind: fc.constant('counter-add' as const),
  requestId: fc.string({ minLength: 1, maxLength: 40 }).filter((id) => Buffer.from(id).toString() === id),
  vnode: fc.integer({ min: 0, max: 1023 }),
  key: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  amount: fc.oneof(INT64, fc.bigInt({ min: -9n, max: 9n })),
});

const reply: fc.Arbitrary<CounterAddReply> = fc.oneof(
  fc.record({ state: versionedArbitrary(4, 4), amount: fc.bigInt({ min: -100n, max: 100n }), counter: fc.integer({ min: 1, max: 1_000_000 }) }).map(({ state, amount, counter }): CounterAddReply => {
    const result = coordinatedIncrement({ context: state.context, siblings: [] }, amount, { actor: 'minting.actor.t', counter }, 0);
    if (typeof result === 'string') return { kind: 'counter-result', outcome: result };
    return { kind: 'counter-result', outcome: 'ok', value: result.value, versioned: result.versioned };
  }),
  fc.constantFrom<CounterAddReply>({ kind: 'counter-result', outcome: 'not-integer' }, { kind: 'counter-result', outcome: 'overflow' }),
);

function overTheWire(args: readonly (string | Uint8Array)[]): Buffer[] {
  const commands = parseRequests(encodeCommand(args), RESP_LIMITS);
  expect(commands).toHaveLength(1);
  return commands[0]!;
}

const codec = COUNTER_ADD_CODEC as unknown as MessageCodec<PeerKind>;

describe('RC.INCRBY codec', () => {
  it('round-trips requests and replies through RESP bytes', () => {
    fc.assert(fc.property(request, fc.nat(1_000_000), (body, epoch) => {
      const decoded = decodePeerRequest(CATALOGUE, overTheWire(encodePeerCommand(CATALOGUE, { epoch, body })), LIMITS);
      expect(decoded?.envelope).toEqual({ epoch, body: { ...body, key: Buffer.from(body.key) } });
    }));
    fc.assert(fc.property(reply, fc.nat(1_000_000), (body, epoch) => {
      const [value] = parseReplies(encodeReply(COUNTER_ADD_CODEC.encodeReply(epoch, body)), RESP_LIMITS);
      const decoded = decodePeerReply(codec, value!, LIMITS);
      expect(decoded.epoch).toBe(epoch);
      const got = decoded.body as CounterAddReply;
      expect(got.outcome).toBe(body.outcome);
      if (got.outcome === 'ok' && body.outcome === 'ok') {
        expect(got.value).toBe(body.value);
        expect(encodeVersioned(got.versioned).equals(encodeVersioned(body.versioned))).toBe(true);
      }
    }));
  });

  it('mutated requests decode canonically or are refused with RC_ERR_PROTOCOL only', () => {
    fc.assert(fc.property(request, fc.array(byteMutation, { minLength: 1, maxLength: 3 }), fc.nat(4), (body, mutations, which) => {
      const args = overTheWire(encodePeerCommand(CATALOGUE, { epoch: 1, body }));
      const index = 2 + (which % (args.length - 2));
      args[index] = Buffer.from(mutate(args[index]!, mutations));
      try {
        const decoded = decodePeerRequest(CATALOGUE, args, LIMITS);
        if (decoded === undefined) return;
        const again = overTheWire(encodePeerCommand(CATALOGUE, decoded.envelope));
        expect(again.slice(1)).toEqual(args.slice(1));
      } catch (error) {
        expect(error).toBeInstanceOf(RingcacheError);
        expect((error as RingcacheError).code).toBe('RC_ERR_PROTOCOL');
      }
    }), { numRuns: 500 });
  });
});
