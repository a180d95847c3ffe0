/**
 * Membership on the wire: update payloads and the four message kinds round-trip through real
 * RESP bytes, and anything a peer might send (mutated payloads, mutated commands, random bytes
 * into a running node's handlers) either decodes, or is refused with RC_ERR_PROTOCOL, counted,
 * and changes nothing in the node's view. Never another exception.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MEMBERSHIP_MESSAGES, decodeUpdates, encodeUpdates } from '../../src/membership/index.js';
import type { MemberUpdate } from '../../src/membership/index.js';
import { RESP_DEFAULTS, encodeCommand, encodeReply, parseReplies, parseRequests } from '../../src/resp/index.js';
import { RingcacheError, isRingcacheError } from '../../src/runtime/index.js';
import {
  INTERNODE_LIMITS_DEFAULTS, MessageCatalogue, decodePeerReply, decodePeerRequest, encodePeerCommand, encodePeerReply,
} from '../../src/transport/index.js';
import type { Envelope, MessageCodec, PeerKind, PeerRequest } from '../../src/transport/index.js';
import { MembershipSim } from '../simulation/membership-cluster.js';
import { byteMutation, mutate } from '../support/byte-mutation.js';

const CATALOGUE = new MessageCatalogue(MEMBERSHIP_MESSAGES);
const LIMITS = INTERNODE_LIMITS_DEFAULTS;
const RESP_LIMITS = { ...RESP_DEFAULTS, bulkBytesMax: RESP_DEFAULTS.frameBytesMax };

const name = fc.oneof(fc.constantFrom('n1', 'n2', 'n3', 'zone-b_7'), fc.string({ minLength: 1, maxLength: 20 }).filter((text) => {
  const bytes = Buffer.byteLength(text);
  return bytes > 0 && bytes <= 255 && Buffer.from(text).toString() === text;
}));
const update: fc.Arbitrary<MemberUpdate> = fc.record({
  member: name,
  status: fc.constantFrom('up', 'suspect', 'down'),
  incarnation: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER), fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 })),
  recovering: fc.boolean(),
  epoch: fc.nat(),
  accuser: name,
}).map((drawn) => ({ ...drawn, accuser: drawn.status === 'up' ? null : drawn.accuser }));
const updates = fc.array(update, { maxLength: 12 });

function decodesCanonicallyOrRefuses(bytes: Uint8Array): void {
  let decoded: MemberUpdate[];
  try {
    decoded = decodeUpdates(bytes, 64);
  } catch (error) {
    if (!isRingcacheError(error, 'RC_ERR_PROTOCOL')) throw error;
    return;
  }
  expect(Buffer.from(encodeUpdates(decoded))).toEqual(Buffer.from(bytes));
}

const request: fc.Arbitrary<PeerRequest> = fc.oneof(
  fc.record({ kind: fc.constant('gossip' as const), from: name, updates: updates.map(encodeUpdates) }),
  fc.record({ kind: fc.constant('probe' as const), from: name, to: name, updates: updates.map(encodeUpdates) }),
  fc.record({ kind: fc.constant('ping-req' as const), from: name, target: name, timeoutMs: fc.integer({ min: 1, max: 60_000 }), updates: updates.map(encodeUpdates) }),
  fc.constant({ kind: 'member-view' as const }),
);

/** A command through real RESP bytes, as a node's parser hands it over. */
function overTheWire(envelope: Envelope<PeerRequest>): Buffer[] {
  const commands = parseRequests(encodeCommand(encodePeerCommand(CATALOGUE, envelope)), RESP_LIMITS);
  expect(commands).toHaveLength(1);
  return commands[0]!;
}

/** Bytes as plain arrays (Buffers and Uint8Arrays alike), for deep equality. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return [...value];
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
}

describe('membership update payloads', () => {
  it('round-trip', () => {
    fc.assert(fc.property(updates, (sent) => {
      expect(decodeUpdates(encodeUpdates(sent), 64)).toEqual(sent);
    }), { numRuns: 1000 });
  });

  it('refuse mutated payloads with RC_ERR_PROTOCOL or decode them canonically', () => {
    fc.assert(fc.property(updates, fc.array(byteMutation, { minLength: 1, maxLength: 4 }), (sent, mutations) => {
      decodesCanonicallyOrRefuses(mutate(encodeUpdates(sent), mutations));
    }), { numRuns: 3000 });
  });

  it('refuse random bytes, counts above the limit, and counts the bytes cannot hold', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => { decodesCanonicallyOrRefuses(bytes); }), { numRuns: 3000 });
    const five = encodeUpdates(Array.from({ length: 5 }, (_, i) => ({ member: `n${i}`, status: 'up' as const, incarnation: 1, recovering: false, epoch: 1, accuser: null })));
    expect(() => decodeUpdates(five, 4)).toThrow(/5 updates is above the limit of 4/);
    expect(() => decodeUpdates(Uint8Array.from([0xff, 0xff, 0x7f]), 1e9)).toThrow(/cannot fit/);
    expect(() => decodeUpdates(Uint8Array.from([1, 2, 0x6e, 0x31, 0x10, 1, 1]), 4)).toThrow(/unknown flags/);
    expect(() => decodeUpdates(Uint8Array.from([1, 2, 0x6e, 0x31, 0x01, 1, 1]), 4)).toThrow(/lacks an accuser/);
  });
});

describe('membership messages', () => {
  it('round-trip every request and reply through RESP bytes', () => {
    fc.assert(fc.property(request, fc.nat(), (body, epoch) => {
      const decoded = decodePeerRequest(CATALOGUE, overTheWire({ epoch, body }), LIMITS);
      expect(plain(decoded?.envelope)).toEqual(plain({ epoch, body }));
    }), { numRuns: 1000 });
    const replies = [
      ['gossip', { kind: 'gossip-reply', updates: encodeUpdates([]) }],
      ['probe', { kind: 'probe-ack', from: 'n2', updates: Uint8Array.from([0]) }],
      ['ping-req', { kind: 'ping-req-result', acked: true, updates: Uint8Array.from([0]) }],
      ['ping-req', { kind: 'ping-req-result', acked: false, updates: Uint8Array.from([0]) }],
      ['member-view', { kind: 'member-view-reply', from: 'n3', members: Uint8Array.from([0]) }],
    ] as const;
    for (const [kind, body] of replies) {
      const codec = CATALOGUE.ofKind(kind) as MessageCodec<PeerKind>;
      const wire = parseReplies(encodeReply(encodePeerReply(codec, { epoch: 9, body })), RESP_LIMITS)[0]!;
      expect(plain(decodePeerReply(codec, wire, LIMITS))).toEqual(plain({ epoch: 9, body }));
    }
  });

  it('refuse mutated commands with RC_ERR_PROTOCOL', () => {
    fc.assert(fc.property(request, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'truncate', 'drop', 'add'), (body, argAt, byteAt, byte, op) => {
      const args = overTheWire({ epoch: 1, body });
      const index = 2 + (argAt % Math.max(1, args.length - 2));
      const target = args[index] ?? Buffer.alloc(0);
      if (op === 'drop') args.splice(index, 1);
      else if (op === 'add') args.push(Buffer.from([byte]));
      else if (op === 'truncate') args[index] = target.subarray(0, byteAt % (target.length + 1));
      else if (target.length > 0) {
        const copy = Buffer.from(target);
        copy[byteAt % copy.length] = byte;
        args[index] = copy;
      }
      try {
        decodePeerRequest(CATALOGUE, args, LIMITS);
      } catch (error) {
        expect(isRingcacheError(error, 'RC_ERR_PROTOCOL')).toBe(true);
      }
    }), { numRuns: 3000 });
  });
});

describe('a node fed garbage', () => {
  it('applies what decodes, drops and counts the rest, never changes its view for a dropped message, never crashes', async () => {
    const sim = new MembershipSim({ servers: 4, seed: 21, membership: { updatesPerMessageMax: 8, messageBytesMax: 1024 } });
    await sim.runFor(1000);
    const core = sim.core('n1');
    const service = sim.service('n1');
    const good = encodeUpdates([
      { member: 'n2', status: 'up', incarnation: 5e12, recovering: false, epoch: 1, accuser: null },
      { member: 'n3', status: 'suspect', incarnation: 1, recovering: false, epoch: 1, accuser: 'n4' },
      { member: 'n1', status: 'suspect', incarnation: 1, recovering: false, epoch: 1, accuser: 'n4' },
    ]);
    const payload = fc.oneof(fc.uint8Array({ maxLength: 1200 }), fc.array(byteMutation, { minLength: 1, maxLength: 6 }).map((mutations) => mutate(good, mutations)));
    const kind = fc.constantFrom('gossip', 'probe', 'ping-req');
    let refused = 0;
    await fc.assert(fc.asyncProperty(kind, payload, async (which, bytes) => {
      const before = JSON.stringify(service.view.snapshot());
      const dropsBefore = service.stats.dropped.malformed + service.stats.dropped.oversized;
      const body: PeerRequest = which === 'gossip' ? { kind: 'gossip', from: 'n2', updates: bytes }
        : which === 'probe' ? { kind: 'probe', from: 'n2', to: 'n1', updates: bytes }
          : { kind: 'ping-req', from: 'n2', target: 'n1', timeoutMs: 10, updates: bytes };
      try {
        await core.handle({ epoch: 1, body });
      } catch (error) {
        expect(error).toBeInstanceOf(RingcacheError);
        expect((error as RingcacheError).code).toBe('RC_ERR_PROTOCOL');
        expect(JSON.stringify(service.view.snapshot())).toBe(before);
        expect(service.stats.dropped.malformed + service.stats.dropped.oversized).toBe(dropsBefore + 1);
        refused++;
      }
    }), { numRuns: 1500 });
    expect(refused).toBeGreaterThan(500);
    // The node still works: it answers and its view is intact.
    const reply = await core.handle({ epoch: 1, body: { kind: 'member-view' } });
    expect(reply.body.kind).toBe('member-view-reply');
  });
});
