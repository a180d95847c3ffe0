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
  ANTI_ENTROPY_MESSAGES, decodeListing, decodeRoots, decodeSections, decodeStates, decodeVerdicts, decodeWanted, decodeDigests, encodeListing, encodeRoots,
  encodeSections, encodeStates, encodeVerdicts, encodeWanted, encodeDigests, replyValueBytes, requestWireBytes,
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
const ascending = (max: number, maxLength: number): fc.Arbitrary<number[]> => fc.uniqueArray(fc.integer({ min: 0, max }), { minLength: 1, maxLength }).map((list) => list.sort((a, b) => a - b));
const sections = fc.uniqueArray(fc.record({ vnode: fc.integer({ min: 0, max: 1023 }), indexes: ascending(5000, 8) }), { selector: (section) => section.vnode, minLength: 1, maxLength: 6 })
  .map((list) => list.sort((a, b) => a.vnode - b.vnode));
const roots = ascending(1023, 20).chain((vnodes) => fc.tuple(...vnodes.map((vnode) => fc.record({ vnode: fc.constant(vnode), hi: word, lo: word }))));
const keyState = fc.record({ key: fc.uint8Array({ minLength: 1, maxLength: 30 }), versioned: versionedArbitrary(3, 3) });
const width = fc.constantFrom(3 as const, 8 as const);
const word24 = fc.integer({ min: 0, max: 0xffffff });
/** At width 3 a listed hash is one 24-bit word (lo 0). */
const listedKey = (bytes: 3 | 8) => fc.record({ position: fc.integer({ min: 0, max: 0xffff }), hi: bytes === 8 ? word : word24, lo: bytes === 8 ? word : fc.constant(0), weight: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)) });
const listed = (bytes: 3 | 8) => fc.array(fc.array(listedKey(bytes), { maxLength: 4 }), { maxLength: 6 });
const wanted = (bytes: 3 | 8) => fc.array(fc.record({ vnode: fc.integer({ min: 0, max: 1023 }), leaf: fc.integer({ min: 0, max: 5000 }), hi: bytes === 8 ? word : word24, lo: bytes === 8 ? word : fc.constant(0) }), { maxLength: 10 })
  .map((list) => list.sort((a, b) => a.vnode - b.vnode || a.leaf - b.leaf));
const verdicts = (bytes: 3 | 8): fc.Arbitrary<{ pending: boolean; children: number[] | undefined }[]> => {
  const words = bytes === 8 ? 8 : 4;
  return fc.array(fc.record({ pending: fc.boolean(), children: fc.option(fc.array(bytes === 8 ? word : word24, { minLength: words, maxLength: words }), { nil: undefined }) }), { maxLength: 6 });
};

const request: fc.Arbitrary<PeerRequest> = fc.oneof(
  fc.record({ kind: fc.constant('ae-root' as const), from, fanOut: fc.constant(4), depth: fc.integer({ min: 1, max: 12 }), width, salt: word, roots: roots.map(encodeRoots) }),
  fc.record({ kind: fc.constant('ae-nodes' as const), from, level: fc.integer({ min: 0, max: 11 }), width, salt: word, nodes: sections.map(encodeSections) }),
  fc.record({ kind: fc.constant('ae-keys' as const), from, width, salt: word, leaves: sections.map(encodeSections) }),
  fc.record({ kind: fc.constant('ae-sync' as const), from, width: fc.constant(8 as const), salt: fc.constant(0), wanted: wanted(8).map((list) => encodeWanted(list, 8)), states: fc.array(keyState, { maxLength: 4 }).map(encodeStates) }),
);

const reply: fc.Arbitrary<[PeerKind, PeerReply]> = fc.oneof(
  verdicts(3).map((list) => ['ae-root', { kind: 'ae-root-reply', verdicts: encodeVerdicts(list, 3) }] as [PeerKind, PeerReply]),
  fc.array(word, { maxLength: 16 }).map((words) => ['ae-nodes', { kind: 'ae-nodes-reply', digests: encodeDigests(words, 8) }] as [PeerKind, PeerReply]),
  listed(3).map((leaves) => ['ae-keys', { kind: 'ae-keys-reply', listed: leaves.length, listing: encodeListing(leaves, 3) }] as [PeerKind, PeerReply]),
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
    const byWidth = width.chain((bytes) => fc.tuple(fc.constant(bytes), listed(bytes), wanted(bytes)));
    const verdictsByWidth = width.chain((bytes) => fc.tuple(fc.constant(bytes), verdicts(bytes)));
    fc.assert(fc.property(sections, roots, verdictsByWidth, byWidth, fc.array(keyState, { maxLength: 4 }), (list, rootList, [verdictWidth, verdictList], [bytes, leaves, wants], states) => {
      expect(decodeSections(encodeSections(list), 1024, 5001, 64, 'list')).toEqual(list);
      expect(decodeRoots(encodeRoots(rootList), 1024, 64)).toEqual(rootList);
      expect(decodeVerdicts(encodeVerdicts(verdictList, verdictWidth), verdictList.length, verdictWidth === 8 ? 8 : 4, verdictWidth)).toEqual(verdictList);
      expect(decodeListing(encodeListing(leaves, bytes), leaves.length, 1000, bytes)).toEqual(leaves);
      expect(decodeWanted(encodeWanted(wants, bytes), 1024, 5001, 64, bytes)).toEqual(wants);
      expect(plain(decodeStates(encodeStates(states), stateLimits, () => undefined))).toEqual(plain(states));
      const words = list.flatMap((section) => section.indexes);
      expect([...decodeDigests(encodeDigests(words, 8), words.length, 8)]).toEqual(words);
      expect([...decodeDigests(encodeDigests(words, 3), words.length, 3)]).toEqual(words);
    }), { numRuns: 300 });
  });

  it('refuse random and mutated bytes with RC_ERR_PROTOCOL only', () => {
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(sections, fc.array(byteMutation, { maxLength: 3 })).map(([list, mutations]) => mutate(encodeSections(list), mutations)),
      fc.tuple(roots, fc.array(byteMutation, { maxLength: 3 })).map(([list, mutations]) => mutate(encodeRoots(list), mutations)),
      fc.tuple(fc.array(keyState, { maxLength: 3 }), fc.array(byteMutation, { maxLength: 3 })).map(([states, mutations]) => mutate(encodeStates(states), mutations)),
      fc.tuple(listed(8), fc.array(byteMutation, { maxLength: 3 })).map(([leaves, mutations]) => mutate(encodeListing(leaves, 8), mutations)),
      fc.tuple(wanted(3), fc.array(byteMutation, { maxLength: 3 })).map(([wants, mutations]) => mutate(encodeWanted(wants, 3), mutations)),
    );
    fc.assert(fc.property(payload, fc.integer({ min: 0, max: 8 }), (bytes, count) => {
      decodesOrRefuses(() => decodeSections(bytes, 1024, 5001, 64, 'list'));
      decodesOrRefuses(() => decodeRoots(bytes, 1024, 64));
      decodesOrRefuses(() => decodeVerdicts(bytes, count, 4, 3));
      decodesOrRefuses(() => decodeVerdicts(bytes, count, 8, 8));
      decodesOrRefuses(() => decodeListing(bytes, count, 100, 8));
      decodesOrRefuses(() => decodeListing(bytes, count, 100, 3));
      decodesOrRefuses(() => decodeWanted(bytes, 1024, 5001, 64, 3));
      decodesOrRefuses(() => decodeWanted(bytes, 1024, 5001, 64, 8));
      decodesOrRefuses(() => decodeStates(bytes, stateLimits, (key) => (key[0] === 7 ? 'wrong vnode' : undefined)));
      decodesOrRefuses(() => decodeDigests(bytes, count, 3));
      decodesOrRefuses(() => decodeDigests(bytes, count, 8));
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
    const one = (vnode: number, indexes: number[]): Buffer => encodeSections([{ vnode, indexes }]);
    expect(refused(() => decodeSections(one(1, [1, 2, 3]), 16, 5001, 2, 'list'))).toBe('RC_ERR_PROTOCOL');
    expect(refused(() => decodeSections(one(1, [1, 4096]), 16, 4096, 8, 'list'))).toBe('RC_ERR_PROTOCOL');
    expect(refused(() => decodeSections(one(16, [1]), 16, 4096, 8, 'list'))).toBe('RC_ERR_PROTOCOL');
    expect(refused(() => decodeSections(Buffer.from([1, 3, 2, 5, 0]), 16, 4096, 8, 'list'))).toBe('RC_ERR_PROTOCOL');
    expect(refused(() => decodeSections(Buffer.from([2, 3, 1, 5, 0, 1, 5]), 16, 4096, 8, 'list'))).toBe('RC_ERR_PROTOCOL');
    expect(refused(() => decodeSections(Buffer.from([1, 3, 0]), 16, 4096, 8, 'list'))).toBe('RC_ERR_PROTOCOL');
    expect(refused(() => decodeSections(Buffer.from([0]), 16, 4096, 8, 'list'))).toBe('RC_ERR_PROTOCOL');
    expect(refused(() => decodeRoots(encodeRoots([{ vnode: 3, hi: 1, lo: 1 }, { vnode: 4, hi: 1, lo: 1 }]), 16, 1))).toBe('RC_ERR_PROTOCOL');
    expect(refused(() => decodeVerdicts(Buffer.from([4]), 1, 4, 3))).toBe('RC_ERR_PROTOCOL');
    expect(refused(() => decodeWanted(encodeWanted([{ vnode: 2, leaf: 9, hi: 1, lo: 1 }], 8), 16, 9, 8, 8))).toBe('RC_ERR_PROTOCOL');
    const states = encodeStates([{ key: new Uint8Array(65), versioned: { context: [], siblings: [] } }]);
    expect(refused(() => decodeStates(states, stateLimits, () => undefined))).toBe('RC_ERR_PROTOCOL');
    const wrongVnode = encodeStates([{ key: Uint8Array.of(7), versioned: { context: [], siblings: [] } }]);
    expect(refused(() => decodeStates(wrongVnode, stateLimits, () => 'a key of vnode 3, which this exchange does not cover'))).toBe('RC_ERR_PROTOCOL');
    const two = [{ position: 1, hi: 1, lo: 1, weight: 1 }, { position: 2, hi: 2, lo: 2, weight: 1 }];
    expect(refused(() => decodeListing(encodeListing([two], 8), 1, 1, 8))).toBe('RC_ERR_PROTOCOL');
    expect(refused(() => decodeDigests(Buffer.alloc(7), 2, 3))).toBe('RC_ERR_PROTOCOL');
  });
});
