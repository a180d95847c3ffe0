/**
 * The internode codec: every envelope round-trips through real RESP bytes, and anything a peer
 * might send (random commands, mutated requests, random reply trees) either decodes to something
 * that re-encodes to the same bytes or is refused with RC_ERR_PROTOCOL, never another exception.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RingcacheError } from '../../src/runtime/index.js';
import { RESP_DEFAULTS, encodeCommand, encodeReply, parseReplies, parseRequests } from '../../src/resp/index.js';
import type { RespValue, ReplyValue } from '../../src/resp/index.js';
import {
  INTERNODE_COMMANDS, INTERNODE_LIMITS_DEFAULTS, decodeInternodeReply, decodeInternodeRequest, encodeInternodeError,
  encodeInternodeReply, encodeInternodeRequest, errorFromLine,
} from '../../src/transport/index.js';
import type { Envelope, InternodeKind, InternodeReply, InternodeRequest } from '../../src/transport/index.js';
import { coordinatedPut } from '../../src/version/index.js';
import { ERROR_CATALOGUE } from '../../src/runtime/index.js';
import type { ErrorCode } from '../../src/runtime/index.js';
import { plain } from '../unit/transport-contract.js';
import { time, value, vectorArbitrary, versionedArbitrary } from '../support/version-arbitraries.js';

const LIMITS = { ...INTERNODE_LIMITS_DEFAULTS, vnodeCount: 1024 };
const RESP_LIMITS = { ...RESP_DEFAULTS, bulkBytesMax: RESP_DEFAULTS.frameBytesMax };
const KINDS: readonly InternodeKind[] = ['coord-put', 'merge', 'read', 'ping'];

const key = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.constant(new Uint8Array(1024).fill(13)));

const vector = vectorArbitrary(5);

const versioned = versionedArbitrary(5, 6);

const request: fc.Arbitrary<InternodeRequest> = fc.oneof(
  fc.record({
    kind: fc.constant('coord-put' as const), requestId: fc.string({ minLength: 1, maxLength: 40 }).filter((id) => Buffer.byteLength(id) <= 256 && Buffer.from(id).toString() === id),
    key, vnode: fc.integer({ min: 0, max: 1023 }), value, context: fc.option(vector, { nil: null }), expiresAtMs: fc.option(time, { nil: null }),
  }),
  fc.record({ kind: fc.constant('merge' as const), key, vnode: fc.integer({ min: 0, max: 1023 }), versioned }),
  fc.record({ kind: fc.constant('read' as const), key, vnode: fc.integer({ min: 0, max: 1023 }) }),
  fc.constant({ kind: 'ping' as const }),
);
const envelope = <T>(body: fc.Arbitrary<T>): fc.Arbitrary<Envelope<T>> => fc.record({ epoch: time, body });

/** A reply and the request kind it answers. */
const reply: fc.Arbitrary<[InternodeKind, InternodeReply]> = fc.oneof(
  // The minting actor is longer than any generated one, so its dot is fresh in any state.
  fc.record({ state: versioned, counter: fc.integer({ min: 1, max: 1_000_000 }), timestampMs: time, value }).map(({ state, counter: dotCounter, timestampMs, value: written }) => {
    const dot = { actor: 'minting.actor', counter: dotCounter };
    const stored = coordinatedPut(state, { value: written, context: state.context, dot, timestampMs, expiresAtMs: null });
    return ['coord-put', { kind: 'put-result', dot, versioned: stored }] as [InternodeKind, InternodeReply];
  }),
  fc.option(versioned, { nil: null }).map((state) => ['read', { kind: 'versioned', versioned: state }] as [InternodeKind, InternodeReply]),
  fc.constant(['merge', { kind: 'ack' }] as [InternodeKind, InternodeReply]),
  fc.string({ minLength: 1, maxLength: 20 }).filter((id) => Buffer.from(id).toString() === id).map((serverId) => ['ping', { kind: 'pong', serverId }] as [InternodeKind, InternodeReply]),
);

/** A command through real RESP bytes, as a node's parser hands it over. */
function overTheWire(args: readonly (string | Uint8Array)[]): Buffer[] {
  const commands = parseRequests(encodeCommand(args), RESP_LIMITS);
  expect(commands).toHaveLength(1);
  return commands[0]!;
}

function replyOverTheWire(value: ReplyValue): RespValue {
  const replies = parseReplies(encodeReply(value), RESP_LIMITS);
  expect(replies).toHaveLength(1);
  return replies[0]!;
}

function asBytes(args: readonly (string | Uint8Array)[]): Buffer[] {
  return args.map((arg) => (typeof arg === 'string' ? Buffer.from(arg) : Buffer.from(arg)));
}

/** Decodes or refuses with RC_ERR_PROTOCOL; what decodes re-encodes to the very same arguments. */
function requestDecodesCanonicallyOrRefuses(args: readonly Uint8Array[]): void {
  let decoded: Envelope<InternodeRequest>;
  try {
    decoded = decodeInternodeRequest(args, LIMITS);
  } catch (error) {
    if (!(error instanceof RingcacheError) || error.code !== 'RC_ERR_PROTOCOL') throw error;
    return;
  }
  const again = asBytes(encodeInternodeRequest(decoded));
  expect(again.slice(1)).toEqual(asBytes(args.slice(1)));
  expect(again[0]!.toString()).toBe(Buffer.from(args[0]!).toString().toUpperCase());
}

function replyDecodesOrRefuses(kind: InternodeKind, value: RespValue): void {
  try {
    decodeInternodeReply(kind, value, LIMITS);
  } catch (error) {
    if (!(error instanceof RingcacheError)) throw error;
    if (value.kind !== 'error') expect(error.code).toBe('RC_ERR_PROTOCOL');
  }
}

describe('internode codec: requests', () => {
  it('round-trips every request through RESP bytes', () => {
    fc.assert(fc.property(envelope(request), (sent) => {
      const received = decodeInternodeRequest(overTheWire(encodeInternodeRequest(sent)), LIMITS);
      expect(plain(received)).toEqual(plain(sent));
    }), { numRuns: 500 });
  });

  it('refuses random commands with RC_ERR_PROTOCOL or decodes them canonically', () => {
    const name = fc.constantFrom(...Object.values(INTERNODE_COMMANDS), 'rc.put', 'Rc.Merge');
    const arg = fc.oneof(fc.uint8Array({ maxLength: 12 }), fc.nat().map((n) => Buffer.from(String(n))), fc.constantFrom('', '0', '01', '-1', '9007199254740992', '7'));
    fc.assert(fc.property(name, fc.array(arg, { maxLength: 9 }), (command, args) => {
      requestDecodesCanonicallyOrRefuses(asBytes([command, ...args]));
    }), { numRuns: 3000 });
  });

  it('refuses mutated requests with RC_ERR_PROTOCOL or decodes them canonically', () => {
    const mutation = fc.record({ argIndex: fc.nat(), byteIndex: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), op: fc.constantFrom('set', 'truncate', 'extend', 'drop-arg', 'add-arg') });
    fc.assert(fc.property(envelope(request), fc.array(mutation, { minLength: 1, maxLength: 3 }), (sent, mutations) => {
      const args = asBytes(encodeInternodeRequest(sent));
      for (const { argIndex, byteIndex, byte, op } of mutations) {
        const index = 1 + (argIndex % Math.max(1, args.length - 1));
        const target = args[index] ?? Buffer.alloc(0);
        if (op === 'drop-arg') args.splice(index, 1);
        else if (op === 'add-arg') args.push(Buffer.from([byte]));
        else if (op === 'truncate') args[index] = target.subarray(0, byteIndex % (target.length + 1));
        else if (op === 'extend') args[index] = Buffer.concat([target, Buffer.from([byte])]);
        else if (target.length > 0) {
          const copy = Buffer.from(target);
          copy[byteIndex % copy.length] = byte;
          args[index] = copy;
        }
      }
      requestDecodesCanonicallyOrRefuses(args);
    }), { numRuns: 3000 });
  });

  it('checks limits: key and value sizes, vnode range, flags, empty fields', () => {
    const base = (overrides: Partial<Record<number, string | Buffer>>): Buffer[] => {
      const args: (string | Buffer)[] = ['RC.PUT', '1', 'r1', '5', Buffer.from('k'), '0', Buffer.from('v'), '', ''];
      for (const [index, arg] of Object.entries(overrides)) args[Number(index)] = arg!;
      return asBytes(args);
    };
    const refusal = (args: Buffer[], limits = LIMITS): string => {
      try {
        decodeInternodeRequest(args, limits);
      } catch (error) {
        expect(error).toBeInstanceOf(RingcacheError);
        expect((error as RingcacheError).code).toBe('RC_ERR_PROTOCOL');
        return (error as Error).message;
      }
      return expect.unreachable('should be refused');
    };
    expect(refusal(base({ 4: Buffer.alloc(1025) }))).toMatch(/keyBytesMax/);
    expect(refusal(base({ 4: '' }))).toMatch(/key of 0 bytes/);
    expect(refusal(base({ 6: Buffer.alloc(11) }), { ...LIMITS, version: { ...LIMITS.version, valueBytesMax: 10 } })).toMatch(/valueBytesMax/);
    expect(refusal(base({ 3: '1024' }))).toMatch(/vnodeCount/);
    expect(refusal(base({ 5: '8' }))).toMatch(/unknown bits/);
    expect(refusal(base({ 5: '1' }))).toMatch(/delete carries a value/);
    expect(refusal(base({ 7: 'x' }))).toMatch(/context is present/);
    expect(refusal(base({ 5: '2', 7: 'x' }))).toMatch(/context token/);
    expect(refusal(base({ 8: '5' }))).toMatch(/expiresAtMs is present/);
    expect(refusal(base({ 1: '007' }))).toMatch(/canonical decimal/);
    expect(refusal(base({ 2: Buffer.from([0xff]) }))).toMatch(/UTF-8/);
    expect(refusal(asBytes(['RC.READ', '1', '5']))).toMatch(/wrong number of arguments for 'rc.read'/);
    expect(refusal(asBytes(['GET', 'k']))).toMatch(/not an internode command/);
  });
});

describe('internode codec: replies and errors', () => {
  it('round-trips every reply through RESP bytes', () => {
    fc.assert(fc.property(reply, time, ([kind, body], epoch) => {
      const received = decodeInternodeReply(kind, replyOverTheWire(encodeInternodeReply({ epoch, body })), LIMITS);
      expect(plain(received)).toEqual(plain({ epoch, body }));
    }), { numRuns: 500 });
  });

  it('refuses random reply trees with RC_ERR_PROTOCOL (error replies carry their own code)', () => {
    const leaf: fc.Arbitrary<RespValue> = fc.oneof(
      fc.integer({ min: -5, max: 1 << 30 }).map((value) => ({ kind: 'integer', value }) as const),
      fc.option(fc.uint8Array({ maxLength: 16 }), { nil: null }).map((value) => ({ kind: 'bulk', value: value === null ? null : Buffer.from(value) }) as const),
      fc.string({ maxLength: 12 }).map((text) => ({ kind: 'simple', text }) as const),
      fc.string({ maxLength: 30 }).map((message) => ({ kind: 'error', message }) as const),
    );
    const tree = fc.letrec<{ value: RespValue }>((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, leaf, fc.option(fc.array(tie('value'), { maxLength: 5 }), { nil: null }).map((items) => ({ kind: 'array', items }) as const)),
    })).value;
    fc.assert(fc.property(fc.constantFrom(...KINDS), tree, (kind, value) => { replyDecodesOrRefuses(kind, value); }), { numRuns: 3000 });
  });

  it('refuses mutated replies with RC_ERR_PROTOCOL', () => {
    fc.assert(fc.property(reply, fc.nat(), fc.integer({ min: 0, max: 255 }), ([kind, body], at, byte) => {
      const value = replyOverTheWire(encodeInternodeReply({ epoch: 3, body }));
      if (value.kind !== 'array' || value.items === null) return;
      const items = value.items.map((item) => (item.kind === 'bulk' && item.value !== null ? { ...item, value: Buffer.from(item.value) } : item));
      const target = items[at % items.length]!;
      if (target.kind === 'bulk' && target.value !== null && target.value.length > 0) target.value[at % target.value.length] = byte;
      else items[at % items.length] = { kind: 'integer', value: byte - 128 };
      replyDecodesOrRefuses(kind, { kind: 'array', items });
    }), { numRuns: 2000 });
  });

  it('carries every catalogue code across as a RingcacheError with the same code and message', () => {
    for (const code of Object.keys(ERROR_CATALOGUE) as ErrorCode[]) {
      const line = encodeInternodeError(new RingcacheError(code, `something about ${code}`));
      const decoded = replyOverTheWire(line);
      expect(decoded.kind).toBe('error');
      const error = errorFromLine(decoded.kind === 'error' ? decoded.message : '');
      expect([error.code, error.message]).toEqual([code, `something about ${code}`]);
    }
    expect(errorFromLine('NOAUTH Authentication required.').code).toBe('RC_ERR_UNAUTHORIZED');
    expect(errorFromLine('WRONGPASS invalid username-password pair or user is disabled.').code).toBe('RC_ERR_UNAUTHORIZED');
    expect(errorFromLine("ERR unknown command 'X', with args beginning with: ").code).toBe('RC_ERR_UNKNOWN_COMMAND');
    expect(errorFromLine('ERR Protocol error: invalid bulk length').code).toBe('RC_ERR_PROTOCOL');
    expect(errorFromLine('RC_ERR_NOPE what').code).toBe('RC_ERR_PROTOCOL');
  });
});
