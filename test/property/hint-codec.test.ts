/**
 * The hint message kinds on the wire and at the fallback that answers them: every request and
 * reply round-trips through real RESP bytes, and anything a peer might send (mutated bytes, random
 * states) is either decoded and applied as a valid hint, or refused with RC_ERR_PROTOCOL or
 * RC_ERR_HINTS_FULL and counted by reason: never applied half, never another exception.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HINT_MESSAGES, hintRequest } from '../../src/hinted-handoff/index.js';
import type { HintReadRequest, HintRequest } from '../../src/hinted-handoff/index.js';
import { RESP_DEFAULTS, encodeCommand, encodeReply, parseReplies, parseRequests } from '../../src/resp/index.js';
import { RingcacheError } from '../../src/runtime/index.js';
import {
  DATA_MESSAGES, INTERNODE_LIMITS_DEFAULTS, MessageCatalogue, decodePeerReply, decodePeerRequest, encodePeerCommand, encodePeerReply,
} from '../../src/transport/index.js';
import type { Envelope, MessageCodec, PeerKind, PeerReply, PeerRequest } from '../../src/transport/index.js';
import { versionedProblem } from '../../src/version/index.js';
import { plain } from '../unit/transport-contract.js';
import { byteMutation, mutate } from '../support/byte-mutation.js';
import { time, versionedArbitrary } from '../support/version-arbitraries.js';
import { HintsCluster } from '../simulation/hints-cluster.js';

const LIMITS = { ...INTERNODE_LIMITS_DEFAULTS, vnodeCount: 32 };
const RESP_LIMITS = { ...RESP_DEFAULTS, bulkBytesMax: RESP_DEFAULTS.frameBytesMax };
const catalogue = MessageCatalogue.of(DATA_MESSAGES, HINT_MESSAGES);

const key = fc.uint8Array({ minLength: 1, maxLength: 40 });
const vnode = fc.integer({ min: 0, max: 31 });
const owner = fc.constantFrom('n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n99');
const versioned = versionedArbitrary(4, 5);
/** Counters an honest actor can have issued (a node refuses more). */
const plausible = versionedArbitrary(4, 5, 1_000_000);

const hint: fc.Arbitrary<HintRequest> = fc.record({ owner, key, vnode, versioned }).map((h) => hintRequest(h.owner, h.key, h.vnode, h.versioned));
const hintRead: fc.Arbitrary<HintReadRequest> = fc.record({ kind: fc.constant('hint-read' as const), key, vnode });

function overTheWire(envelope: Envelope<PeerRequest>): Buffer[] {
  const commands = parseRequests(encodeCommand(encodePeerCommand(catalogue, envelope)), RESP_LIMITS);
  expect(commands).toHaveLength(1);
  return commands[0]!;
}

function decodesOrRefuses(args: readonly Uint8Array[]): Envelope<PeerRequest> | undefined {
  try {
    return decodePeerRequest(catalogue, args, LIMITS)?.envelope;
  } catch (error) {
    if (!(error instanceof RingcacheError) || error.code !== 'RC_ERR_PROTOCOL') throw error;
    return undefined;
  }
}

describe('hint codec', () => {
  it('round-trips RC.HINT and RC.HINTREAD through RESP bytes', () => {
    fc.assert(fc.property(fc.oneof(hint, hintRead), time, (body, epoch) => {
      const decoded = decodePeerRequest(catalogue, overTheWire({ epoch, body }), LIMITS);
      expect(plain(decoded?.envelope)).toEqual(plain({ epoch, body }));
    }), { numRuns: 500 });
  });

  it('round-trips the replies: ack, and a sloppy read\'s state with and without the recovering flag', () => {
    const readReply = fc.record({ versioned: fc.option(versioned, { nil: null }), recovering: fc.boolean() });
    fc.assert(fc.property(readReply, time, ({ versioned: state, recovering }, epoch) => {
      const codec = catalogue.ofKind('hint-read');
      const body: PeerReply = recovering ? { kind: 'versioned', versioned: state, recovering: true } : { kind: 'versioned', versioned: state };
      const wire = parseReplies(encodeReply(encodePeerReply(codec, { epoch, body })), RESP_LIMITS)[0]!;
      expect(plain(decodePeerReply(codec as MessageCodec<PeerKind>, wire, LIMITS))).toEqual(plain({ epoch, body }));
    }), { numRuns: 300 });
    const ack = catalogue.ofKind('hint');
    const wire = parseReplies(encodeReply(encodePeerReply(ack, { epoch: 4, body: { kind: 'ack' } })), RESP_LIMITS)[0]!;
    expect(decodePeerReply(ack as MessageCodec<PeerKind>, wire, LIMITS)).toEqual({ epoch: 4, body: { kind: 'ack' } });
  });

  it('checks the frame: arity, owner, vnode range, key and state sizes', () => {
    const args = (overrides: Record<number, string | Buffer>): Buffer[] => {
      const base: (string | Buffer)[] = ['RC.HINT', '1', 'n2', '5', Buffer.from('k'), Buffer.from([1, 0, 0])];
      for (const [index, arg] of Object.entries(overrides)) base[Number(index)] = arg;
      return base.map((arg) => Buffer.from(arg));
    };
    const refusal = (command: Buffer[]): string => {
      try {
        decodePeerRequest(catalogue, command, LIMITS);
      } catch (error) {
        expect((error as RingcacheError).code).toBe('RC_ERR_PROTOCOL');
        return (error as Error).message;
      }
      return expect.unreachable('should be refused');
    };
    expect(refusal(args({ 3: '32' }))).toMatch(/vnodeCount/);
    expect(refusal(args({ 4: Buffer.alloc(1025) }))).toMatch(/keyBytesMax/);
    expect(refusal(args({ 2: '' }))).toMatch(/owner of 0 bytes/);
    expect(refusal(args({ 2: Buffer.from([0xff]) }))).toMatch(/UTF-8/);
    expect(refusal(args({ 5: '' }))).toMatch(/hint state of 0 bytes/);
    expect(refusal(args({}).slice(0, 5))).toMatch(/wrong number of arguments for 'rc.hint'/);
    expect(refusal([Buffer.from('RC.HINTREAD'), Buffer.from('1'), Buffer.from('5')])).toMatch(/wrong number of arguments for 'rc.hintread'/);
  });
});

describe('a fallback given hints off a corrupting link', () => {
  it('applies a decoded hint or refuses it with a counted reason; its store stays within bounds and valid', async () => {
    const c = await HintsCluster.started({ config: ['hints.bytesMax=30000'] });
    const holder = 'n1';
    const service = c.hints(holder);
    const refusals = (): number => [...service.store.dropped().values()].reduce((sum, count) => sum + count, 0);
    let applied = 0;
    let refused = 0;
    // Mostly hints a coordinator would send (the key's vnode, an owner of its row but not the holder), some not.
    const sent = fc.record({ key, versioned, plausible, position: fc.nat(), honest: fc.boolean() }).map(({ key: k, versioned: any, plausible: honestState, position, honest }): HintRequest => {
      const state = honest ? honestState : any;
      const vnodeOfKey = c.table.vnodeOf(k);
      const row = c.table.row(vnodeOfKey).replicas.filter((server) => server !== holder);
      return hintRequest(honest ? row[position % row.length] ?? 'n2' : `n${String(1 + (position % 9))}`, k, honest ? vnodeOfKey : position % 32, state);
    });
    await fc.assert(fc.asyncProperty(fc.oneof(sent, hintRead), fc.array(byteMutation, { minLength: 0, maxLength: 3 }), async (body, mutations) => {
      const command = overTheWire({ epoch: c.table.epoch, body });
      // Mutate one argument's bytes (the frame stays RESP: a link that corrupts payloads).
      const index = 2 + ((mutations[0]?.at ?? 0) % Math.max(1, command.length - 2));
      command[index] = Buffer.from(mutate(command[index] ?? Buffer.alloc(0), mutations));
      const decoded = decodesOrRefuses(command);
      if (decoded === undefined) return;
      const before = { refusals: refusals(), accepted: service.accepted };
      try {
        await c.core(holder).handle(decoded);
        if (decoded.body.kind === 'hint') applied++;
      } catch (error) {
        if (!(error instanceof RingcacheError)) throw error;
        expect(['RC_ERR_PROTOCOL', 'RC_ERR_HINTS_FULL']).toContain(error.code);
        if (decoded.body.kind === 'hint') {
          refused++;
          expect(refusals()).toBe(before.refusals + 1);
          expect(service.accepted).toBe(before.accepted);
        }
      }
      for (const server of c.serverIds) {
        for (const owned of service.store.hintsOf(server)) expect(versionedProblem(owned.versioned)).toBeUndefined();
        expect(service.store.countOf(server) === 0 || service.store.bytes > 0).toBe(true);
      }
      expect(service.store.bytes).toBeLessThanOrEqual(30_000 * c.serverIds.length);
    }), { numRuns: 1500 });
    // Both outcomes were exercised: the property is not passing by refusing everything.
    expect(applied).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });

  it('refuses random state bytes as malformed, never storing them', async () => {
    const c = await HintsCluster.started();
    const k = c.keyWith('n2', 0);
    const fallback = c.fallbacksOf(k)[0] ?? '';
    const service = c.hints(fallback);
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), async (state) => {
      const body: HintRequest = { kind: 'hint', owner: 'n2', key: k, vnode: c.table.vnodeOf(k), state };
      try {
        await c.core(fallback).handle({ epoch: c.table.epoch, body });
      } catch (error) {
        expect((error as RingcacheError).code).toBe('RC_ERR_PROTOCOL');
      }
    }), { numRuns: 500 });
    const held = service.store.find('n2', k);
    if (held !== undefined) expect(versionedProblem(held.versioned)).toBeUndefined();
    expect(service.store.dropped().get('malformed')).toBeGreaterThan(400);
  });
});
