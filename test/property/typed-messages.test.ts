/**
 * RC.TYPEDOP, RC.KEYSCAN and RC.KEYCOUNT on the wire: requests and replies round-trip through
 * real RESP bytes, and mutated bytes either decode or are refused with RC_ERR_PROTOCOL, never
 * another exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DATATYPE_MESSAGES, OPERATION_NAMES, coordinatedOperation, parseOperation } from '../../src/datatypes/index.js';
import type { CollectionOpReply, CollectionOpRequest } from '../../src/datatypes/index.js';
import { KEYSPACE_MESSAGES } from '../../src/keyspace/index.js';
import type { KeyCountReply, KeyPageReply } from '../../src/keyspace/index.js';
import { RESP_DEFAULTS, encodeCommand, encodeReply, parseReplies, parseRequests } from '../../src/resp/index.js';
import type { RespValue } from '../../src/resp/index.js';
import { RingcacheError } from '../../src/runtime/index.js';
import { DATA_MESSAGES, INTERNODE_LIMITS_DEFAULTS, MessageCatalogue, decodePeerReply, decodePeerRequest, encodePeerCommand } from '../../src/transport/index.js';
import type { AnyMessageCodec, MessageCodec, PeerKind } from '../../src/transport/index.js';
import { EMPTY_VERSIONED, VERSION_DEFAULTS, encodeVersioned } from '../../src/version/index.js';
import { byteMutation, mutate } from '../support/byte-mutation.js';

const LIMITS = { ...INTERNODE_LIMITS_DEFAULTS, vnodeCount: 1024 };
const RESP_LIMITS = { ...RESP_DEFAULTS, bulkBytesMax: RESP_DEFAULTS.frameBytesMax };
const CATALOGUE = MessageCatalogue.of(DATA_MESSAGES, DATATYPE_MESSAGES, KEYSPACE_MESSAGES);

function overTheWire(args: readonly (string | Uint8Array)[]): Buffer[] {
  const commands = parseRequests(encodeCommand(args), RESP_LIMITS);
  expect(commands).toHaveLength(1);
  return commands[0]!;
}

function codecOf(kind: string): MessageCodec<PeerKind> {
  return [...DATATYPE_MESSAGES, ...KEYSPACE_MESSAGES].find((codec: AnyMessageCodec) => codec.kind === kind) as unknown as MessageCodec<PeerKind>;
}

const operationRequest: fc.Arbitrary<CollectionOpRequest> = fc.record({
  kind: fc.constant('collection-op' as const),
  requestId: fc.stringMatching(/^[a-z0-9.]{1,30}$/),
  vnode: fc.integer({ min: 0, max: 1023 }),
  key: fc.uint8Array({ minLength: 1, maxLength: 30 }),
  name: fc.constantFrom(...OPERATION_NAMES),
  args: fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 6 }),
});

const operationReply: fc.Arbitrary<CollectionOpReply> = fc.record({
  members: fc.array(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 1, maxLength: 5 }),
  counter: fc.integer({ min: 1, max: 1000 }),
}).map(({ members, counter }): CollectionOpReply => {
  const operation = parseOperation('sadd', members.map((member) => Buffer.from(member)), VERSION_DEFAULTS);
  if (typeof operation === 'string') throw new Error(operation);
  const result = coordinatedOperation(EMPTY_VERSIONED, operation, { actor: 'n1.a.t', counter }, 5, VERSION_DEFAULTS, () => 0);
  if (result.outcome !== 'ok') return { kind: 'collection-result', outcome: result.outcome };
  return { kind: 'collection-result', outcome: 'ok', answer: { integer: result.answer.integer ?? 0n, items: members.map((member) => Buffer.from(member)) }, versioned: result.versioned };
});

const pageReply: fc.Arbitrary<KeyPageReply> = fc.record({
  kind: fc.constant('key-page' as const),
  keys: fc.array(fc.record({ key: fc.uint8Array({ minLength: 1, maxLength: 20 }), type: fc.constantFrom<'string' | 'hash' | 'set' | 'zset'>('string', 'hash', 'set', 'zset') }), { maxLength: 8 }),
  nextHash: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: null }),
});

const countReply: fc.Arbitrary<KeyCountReply> = fc.record({
  kind: fc.constant('key-counts' as const),
  counts: fc.uniqueArray(fc.integer({ min: 0, max: 1023 }), { maxLength: 10 }).chain((vnodes) =>
    fc.array(fc.nat(100_000), { minLength: vnodes.length, maxLength: vnodes.length }).map((counts) => new Map(vnodes.map((vnode, index) => [vnode, counts[index] as number])))),
  bytes: fc.nat(2 ** 40),
});

function replyOverTheWire(kind: string, epoch: number, body: unknown): RespValue {
  const [value] = parseReplies(encodeReply(codecOf(kind).encodeReply(epoch, body as never)), RESP_LIMITS);
  return value!;
}

function refusedOnlyWithProtocolError(run: () => void): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RingcacheError);
    expect((error as RingcacheError).code).toBe('RC_ERR_PROTOCOL');
  }
}

describe('RC.TYPEDOP codec', () => {
  it('round-trips requests and replies through RESP bytes', () => {
    fc.assert(fc.property(operationRequest, fc.nat(1_000_000), (body, epoch) => {
      const decoded = decodePeerRequest(CATALOGUE, overTheWire(encodePeerCommand(CATALOGUE, { epoch, body })), LIMITS);
      expect(decoded?.envelope).toEqual({ epoch, body: { ...body, key: Buffer.from(body.key), args: body.args.map((arg) => Buffer.from(arg)) } });
    }));
    fc.assert(fc.property(operationReply, fc.nat(1_000_000), (body, epoch) => {
      const decoded = decodePeerReply(codecOf('collection-op'), replyOverTheWire('collection-op', epoch, body), LIMITS);
      const got = decoded.body as CollectionOpReply;
      expect(got.outcome).toBe(body.outcome);
      if (got.outcome === 'ok' && body.outcome === 'ok') {
        expect(got.answer.integer).toBe(body.answer.integer);
        expect(got.answer.items?.map((item) => Buffer.from(item).toString())).toEqual(body.answer.items?.map((item) => Buffer.from(item).toString()));
        expect(encodeVersioned(got.versioned).equals(encodeVersioned(body.versioned))).toBe(true);
      }
    }));
  });

  it('mutated requests and replies decode or are refused with RC_ERR_PROTOCOL only', () => {
    fc.assert(fc.property(operationRequest, fc.array(byteMutation, { minLength: 1, maxLength: 3 }), fc.nat(8), (body, mutations, which) => {
      const args = overTheWire(encodePeerCommand(CATALOGUE, { epoch: 1, body }));
      const index = 2 + (which % (args.length - 2));
      args[index] = Buffer.from(mutate(args[index]!, mutations));
      refusedOnlyWithProtocolError(() => { decodePeerRequest(CATALOGUE, args, LIMITS); });
    }), { numRuns: 300 });
    fc.assert(fc.property(operationReply, fc.array(byteMutation, { minLength: 1, maxLength: 3 }), (body, mutations) => {
      const bytes = mutate(encodeReply(codecOf('collection-op').encodeReply(1, body)), mutations);
      refusedOnlyWithProtocolError(() => {
        const values = parseReplies(Buffer.from(bytes), RESP_LIMITS);
        if (values[0]?.kind === 'array') decodePeerReply(codecOf('collection-op'), values[0], LIMITS);
      });
    }), { numRuns: 300 });
  });
});

describe('RC.KEYSCAN and RC.KEYCOUNT codecs', () => {
  it('round-trip requests and replies through RESP bytes', () => {
    const scan = { kind: 'key-scan' as const, vnode: 7, fromHash: 0xfffffffe, count: 1000 };
    expect(decodePeerRequest(CATALOGUE, overTheWire(encodePeerCommand(CATALOGUE, { epoch: 3, body: scan })), LIMITS)?.envelope).toEqual({ epoch: 3, body: scan });
    expect(decodePeerRequest(CATALOGUE, overTheWire(encodePeerCommand(CATALOGUE, { epoch: 3, body: { kind: 'key-count' } })), LIMITS)?.envelope)
      .toEqual({ epoch: 3, body: { kind: 'key-count' } });
    fc.assert(fc.property(pageReply, (body) => {
      const got = decodePeerReply(codecOf('key-scan'), replyOverTheWire('key-scan', 1, body), LIMITS).body as KeyPageReply;
      expect({ ...got, keys: got.keys.map((entry) => ({ ...entry, key: Buffer.from(entry.key) })) })
        .toEqual({ ...body, keys: body.keys.map((entry) => ({ ...entry, key: Buffer.from(entry.key) })) });
    }));
    fc.assert(fc.property(countReply, (body) => {
      expect(decodePeerReply(codecOf('key-count'), replyOverTheWire('key-count', 1, body), LIMITS).body).toEqual(body);
    }));
  });

  it('refuse a count past KEYS_PER_PAGE_MAX, a vnode past V, and mutated replies with RC_ERR_PROTOCOL only', () => {
    const args = overTheWire(encodePeerCommand(CATALOGUE, { epoch: 1, body: { kind: 'key-scan', vnode: 1, fromHash: 0, count: 1 } }));
    expect(() => decodePeerRequest(CATALOGUE, [...args.slice(0, 4), Buffer.from('1001')], LIMITS)).toThrow(/count/);
    expect(() => decodePeerRequest(CATALOGUE, [args[0]!, args[1]!, Buffer.from('1024'), args[3]!, args[4]!], LIMITS)).toThrow(/vnode/);
    fc.assert(fc.property(pageReply, countReply, fc.array(byteMutation, { minLength: 1, maxLength: 3 }), (page, counts, mutations) => {
      for (const [kind, body] of [['key-scan', page], ['key-count', counts]] as const) {
        const bytes = mutate(encodeReply(codecOf(kind).encodeReply(1, body)), mutations);
        refusedOnlyWithProtocolError(() => {
          const values = parseReplies(Buffer.from(bytes), RESP_LIMITS);
          if (values[0]?.kind === 'array') decodePeerReply(codecOf(kind), values[0], LIMITS);
        });
      }
    }), { numRuns: 300 });
  });
});
