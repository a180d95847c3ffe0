/**
 * The anti-entropy kinds on the wire: every request and reply round-trips through real RESP
 * bytes; the sizes the exchange counts are the bytes the encoder writes; and anything a peer
 * might send (mutated commands, mutated replies, random payload bytes) decodes or is refused
 * with RC_ERR_PROTOCOL, never another exception.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RingcacheError } from '../../src/runtime/index.js';
import { RESP_DEFAULTS, encodeCommand, encodeReply, parseReplies, parseRequests } from '../../src/resp/index.js';
import {
  INTERNODE_LIMITS_DEFAULTS, MessageCatalogue, decodePeerReply, decodePeerRequest, encodePeerCommand,
} from '../../src/transport/index.js';
import type { Envelope, MessageCodec, PeerKind, PeerReply, PeerRequest } from '../../src/transport/index.js';
import {
  ANTI_ENTROPY_MESSAGES, decodeIndexList, decodeListing, decodeStates, decodeWanted, decodeWords, encodeIndexList, encodeListing,
  encodeStates, encodeWanted, encodeWords, replyValueBytes, requestWireBytes,
} from '../../src/anti-entropy/index.js';
import { VERSION_DEFAULTS } from '../../src/version/index.js';
import { plain } from '../unit/transport-contract.js';
import { byteMutation, mutate } from '../support/byte-mutation.js';
import { versionedArbitrary } from '../support/version-arbitraries.js';

const LIMITS = { ...INTERNODE_LIMITS_DEFAULTS, vnodeCount: 1024 };
const RESP_LIMITS = { ...RESP_DEFAULTS, bulkBytesMax: RESP_DEFAULTS.frameBytesMax };
const catalogue = new MessageCatalogue(ANTI_ENTROPY_MESSAGES);
const word = fc.integer({ min: 0, max: 0xffffffff });
const from = fc.constantFrom('n1', 'n2', 'node-42');
const vnode = fc.integer({ min: 0, max: 1023 });
const ascending = fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 30 }).map((list) => list.sort((a, b) => a - b));
const keyState = fc.record({ key: fc.uint8Array({ minLength: 1, maxLength: 30 }), versioned: versionedArbitrary(3, 3) });
const listed = fc.array(fc.array(fc.record({ position: word, hi: word, lo: word }), { maxLength: 4 }), { maxLength: 6 });
const wanted = fc.array(fc.record({ leaf: fc.integer({ min: 0, max: 5000 }), hi: word, lo: word }), { maxLength: 10 }).map((list) => list.sort((a, b) => a.leaf - b.leaf));

const request: fc.Arbitrary<PeerRequest> = fc.oneof(
  fc.record({ kind: fc.constant('ae-root' as const), from, vnode, fanOut: fc.constant(4), depth: fc.integer({ min: 1, max: 12 }), rootHi: word, rootLo: word }),
  fc.record({ kind: fc.constant('ae-nodes' as const), from, vnode, level: fc.integer({ min: 0, max: 11 }), width: fc.constantFrom(4 as const, 8 as const), salt: word, nodes: ascending.map(encodeIndexList) }),
  fc.record({ kind: fc.constant('ae-keys' as const), from, vnode, leaves: ascending.map(encodeIndexList) }),
  fc.record({ kind: fc.constant('ae-sync' as const), from, vnode, wanted: wanted.map(encodeWanted), states: fc.array(keyState, { maxLength: 4 }).map(encodeStates) }),
);

const reply: fc.Arbitrary<[PeerKind, PeerReply]> = fc.oneof(
  fc.record({ kind: fc.constant('ae-root-reply' as const), rootHi: word, rootLo: word, pending: fc.boolean(), keys: fc.nat() }).map((body) => ['ae-root', body] as [PeerKind, PeerReply]),
  fc.array(word, { maxLength: 16 }).map((words) => ['ae-nodes', { kind: 'ae-nodes-reply', digests: encodeWords(words) }] as [PeerKind, PeerReply]),
  listed.map((leaves) => ['ae-keys', { kind: 'ae-keys-reply', listed: leaves.length, listing: encodeListing(leaves) }] as [PeerKind, PeerReply]),
  fc.record({ truncated: fc.boolean(), states: fc.array(keyState, { maxLength: 4 }) }).map(({ truncated, states }) => ['ae-sync', { kind: 'ae-sync-reply', truncated, states: encodeStates(states) }] as [PeerKind, PeerReply]),
);

function overTheWire(envelope: Envelope<PeerRequest>): Buffer[] {
  const commands = parseRequests(encodeCommand(encodePeerCommand(catalogue, envelope)), RESP_LIMITS);
  expect(commands).toHaveLength(1);
  return commands[0]!;
}

function decodesOrRefuses(action: () => unknown): void {
  try {
    action();
  } catch (error) {
    if (!(error instanceof RingcacheError) || error.code !== 'RC_ERR_PROTOCOL') throw error;
  }
}

const codecOf = (kind: PeerKind): MessageCodec<PeerKind> => catalogue.ofKind<PeerKind>(kind);

describe('anti-entropy codec', () => {
  it('round-trips every request through RESP bytes, and counts exactly the bytes written', () => {
    fc.assert(fc.property(request, fc.nat(), (body, epoch) => {
      const sent: Envelope<PeerRequest> = { epoch, body };
      const bytes = encodeCommand(encodePeerCommand(catalogue, sent));
      expect(requestWireBytes(catalogue, body.kind, epoch, body as never)).toBe(bytes.length);
      const received = decodePeerRequest(catalogue, overTheWire(sent), LIMITS);
      expect(plain(received?.envelope)).toEqual(plain(sent));
    }), { numRuns: 400 });
  });

  it('round-trips every reply through RESP bytes, and counts exactly the bytes written', () => {
    fc.assert(fc.property(reply, fc.nat(), ([kind, body], epoch) => {
      const value = codecOf(kind).encodeReply(epoch, body);
      const bytes = encodeReply(value);
      expect(replyValueBytes(value)).toBe(bytes.length);
      const [parsed] = parseReplies(bytes, RESP_LIMITS);
      expect(plain(decodePeerReply(codecOf(kind), parsed!, LIMITS))).toEqual(plain({ epoch, body }));
    }), { numRuns: 400 });
  });

  it('refuses mutated requests and replies with RC_ERR_PROTOCOL or decodes them', () => {
    fc.assert(fc.property(request, reply, fc.array(byteMutation, { minLength: 1, maxLength: 4 }), (body, [kind, answer], mutations) => {
      const command = mutate(encodeCommand(encodePeerCommand(catalogue, { epoch: 3, body })), mutations);
      decodesOrRefuses(() => {
        for (const args of parseRequests(Buffer.from(command), RESP_LIMITS)) decodePeerRequest(catalogue, args, LIMITS);
      });
      const replyBytes = mutate(encodeReply(codecOf(kind).encodeReply(3, answer)), mutations);
      decodesOrRefuses(() => {
        for (const value of parseReplies(Buffer.from(replyBytes), RESP_LIMITS)) decodePeerReply(codecOf(kind), value, LIMITS);
      });
    }), { numRuns: 2000 });
  });
});

describe('anti-entropy payloads', () => {
  const stateLimits = { keyBytesMax: 64, countMax: 8, version: VERSION_DEFAULTS };

  it('round-trip', () => {
    fc.assert(fc.property(ascending, listed, wanted, fc.array(keyState, { maxLength: 4 }), (indexes, leaves, wants, states) => {
      expect(decodeIndexList(encodeIndexList(indexes), 5001, 64, 'list')).toEqual(indexes);
      expect(decodeListing(encodeListing(leaves), leaves.length, 1000)).toEqual(leaves);
      expect(decodeWanted(encodeWanted(wants), 5001, 64)).toEqual(wants);
      expect(plain(decodeStates(encodeStates(states), stateLimits, () => undefined))).toEqual(plain(states));
      expect([...decodeWords(encodeWords(indexes), indexes.length, 'words')]).toEqual(indexes);
    }), { numRuns: 300 });
  });

  it('refuse random and mutated bytes with RC_ERR_PROTOCOL only', () => {
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(ascending, fc.array(byteMutation, { maxLength: 3 })).map(([list, mutations]) => mutate(encodeIndexList(list), mutations)),
      fc.tuple(fc.array(keyState, { maxLength: 3 }), fc.array(byteMutation, { maxLength: 3 })).map(([states, mutations]) => mutate(encodeStates(states), mutations)),
      fc.tuple(listed, fc.array(byteMutation, { maxLength: 3 })).map(([leaves, mutations]) => mutate(encodeListing(leaves), mutations)),
    );
    fc.assert(fc.property(payload, fc.integer({ min: 0, max: 8 }), (bytes, count) => {
      decodesOrRefuses(() => decodeIndexList(bytes, 5001, 64, 'list'));
      decodesOrRefuses(() => decodeListing(bytes, count, 100));
      decodesOrRefuses(() => decodeWanted(bytes, 5001, 64));
      decodesOrRefuses(() => decodeStates(bytes, stateLimits, (key) => (key[0] === 7 ? 'wrong vnode' : undefined)));
      decodesOrRefuses(() => decodeWords(bytes, count, 'words'));
    }), { numRuns: 3000 });
  });

  it('enforce their limits: counts, index ranges, order, key lengths, the caller\'s key check', () => {
    const refused = (action: () => unknown): string => {
      try {
        action();
        return 'accepted';
      } catch (error) {
        return error instanceof RingcacheError ? error.code : 'other';
      }
    };
    expect(refused(() => decodeIndexList(encodeIndexList([1, 2, 3]), 5001, 2, 'list'))).toBe('RC_ERR_PROTOCOL');
    expect(refused(() => decodeIndexList(encodeIndexList([1, 4096]), 4096, 8, 'list'))).toBe('RC_ERR_PROTOCOL');
    expect(refused(() => decodeIndexList(Buffer.from([2, 5, 0]), 4096, 8, 'list'))).toBe('RC_ERR_PROTOCOL');
    expect(refused(() => decodeIndexList(Buffer.from([0]), 4096, 8, 'list'))).toBe('RC_ERR_PROTOCOL');
    expect(refused(() => decodeWanted(encodeWanted([{ leaf: 9, hi: 1, lo: 1 }]), 9, 8))).toBe('RC_ERR_PROTOCOL');
    const states = encodeStates([{ key: new Uint8Array(65), versioned: { context: [], siblings: [] } }]);
    expect(refused(() => decodeStates(states, stateLimits, () => undefined))).toBe('RC_ERR_PROTOCOL');
    const wrongVnode = encodeStates([{ key: Uint8Array.of(7), versioned: { context: [], siblings: [] } }]);
    expect(refused(() => decodeStates(wrongVnode, stateLimits, () => 'a key of vnode 3 in an exchange of vnode 5'))).toBe('RC_ERR_PROTOCOL');
    expect(refused(() => decodeListing(encodeListing([[{ position: 1, hi: 1, lo: 1 }, { position: 2, hi: 2, lo: 2 }]]), 1, 1))).toBe('RC_ERR_PROTOCOL');
    expect(refused(() => decodeWords(Buffer.alloc(7), 2, 'words'))).toBe('RC_ERR_PROTOCOL');
  });
});
