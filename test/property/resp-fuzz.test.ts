import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRingcacheError } from '../../src/runtime/index.js';
import {
  encodeCommand,
  encodeReply,
  PROTOCOL_ERRORS,
  REPLY_PROTOCOL_ERRORS,
  ReplyParser,
  RequestParser,
  RESP_DEFAULTS,
  resolveRespLimits,
} from '../../src/resp/index.js';
import type { RespLimits, RespValue } from '../../src/resp/index.js';

/** Small limits make the limit paths reachable with small inputs (a test-min profile). */
const SMALL_LIMITS = resolveRespLimits({ bulkBytesMax: 24, arrayLengthMax: 6, inlineBytesMax: 20, frameBytesMax: 30 });
const NUM_RUNS = 400;

/** Cuts `bytes` at the given points (any naturals, folded into range). */
function chunked(bytes: Uint8Array, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(Buffer.from(bytes.subarray(start, point)));
    start = point;
  }
  return chunks;
}

interface Outcome<T> {
  readonly values: T[];
  readonly error: string | undefined;
}

/** Runs a parser over chunks; anything thrown other than a protocol error fails the property. */
function run<T>(make: (sink: (value: T) => void) => { feed(chunk: Buffer): void }, chunks: Buffer[]): Outcome<T> {
  const values: T[] = [];
  const parser = make((value) => values.push(value));
  try {
    for (const chunk of chunks) parser.feed(chunk);
  } catch (error) {
    if (!isRingcacheError(error, 'RC_ERR_PROTOCOL')) throw error;
    return { values, error: error.message };
  }
  return { values, error: undefined };
}

const requests = (limits: RespLimits) => (sink: (args: Buffer[]) => void) => new RequestParser(limits, sink);
const replies = (limits: RespLimits) => (sink: (value: RespValue) => void) => new ReplyParser(limits, sink);
const hex = (commands: Buffer[][]): string[][] => commands.map((args) => args.map((arg) => arg.toString('hex')));

/** Bytes that look like RESP more often than uniform noise does. */
const respishByte = fc.oneof(
  fc.constantFrom(...Buffer.from('*$+-:\r\n0123456789 "\'\\x')),
  fc.integer({ min: 0, max: 255 }),
);
/** RESP-looking fragments and stray bytes, so that noise reaches the deep states too. */
const fragment = fc.oneof(
  fc.constantFrom('*1\r\n', '*2\r\n', '*0\r\n', '*-1\r\n', '$3\r\n', '$0\r\n', '$-1\r\n', '$30\r\n', '\r\n', 'abc', 'GET k\r\n', '"', '+OK\r\n', ':7\r\n', '-ERR x\r\n')
    .map((text) => [...Buffer.from(text)]),
  fc.array(respishByte, { minLength: 1, maxLength: 4 }),
);
const noise = fc.array(fragment, { maxLength: 30 }).map((fragments) => Uint8Array.from(fragments.flat()));
const argument = fc.uint8Array({ maxLength: 30 });
const command = fc.array(argument, { minLength: 1, maxLength: 5 });
const cuts = fc.array(fc.nat(), { maxLength: 8 });

/** A valid stream with a few bytes replaced, inserted or deleted. */
const mutatedStream = fc.tuple(
  fc.array(command, { minLength: 1, maxLength: 4 }),
  fc.array(fc.tuple(fc.nat(), respishByte, fc.constantFrom('replace', 'insert', 'delete')), { minLength: 1, maxLength: 4 }),
).map(([commands, mutations]) => {
  const bytes = [...Buffer.concat(commands.map((args) => encodeCommand(args)))];
  for (const [position, byte, how] of mutations) {
    const index = position % (bytes.length + 1);
    if (how === 'insert') bytes.splice(index, 0, byte);
    else if (how === 'delete') bytes.splice(index, 1);
    else if (index < bytes.length) bytes[index] = byte;
  }
  return Uint8Array.from(bytes);
});

describe('request parser under fuzzing', () => {
  it('random bytes: only protocol errors, and the same outcome however chunked', () => {
    fc.assert(fc.property(noise, cuts, fc.constantFrom(RESP_DEFAULTS, SMALL_LIMITS), (bytes, points, limits) => {
      const whole = run(requests(limits), [Buffer.from(bytes)]);
      const split = run(requests(limits), chunked(bytes, points));
      expect(split.error).toBe(whole.error);
      expect(hex(split.values)).toEqual(hex(whole.values));
    }), { numRuns: NUM_RUNS });
  });

  it('mutated valid frames: only protocol errors, and the same outcome however chunked', () => {
    fc.assert(fc.property(mutatedStream, cuts, fc.constantFrom(RESP_DEFAULTS, SMALL_LIMITS), (bytes, points, limits) => {
      const whole = run(requests(limits), [Buffer.from(bytes)]);
      const split = run(requests(limits), chunked(bytes, points));
      expect(split.error).toBe(whole.error);
      expect(hex(split.values)).toEqual(hex(whole.values));
    }), { numRuns: NUM_RUNS });
  });

  it('reaches every request error path (fixed seed, so the check is stable)', () => {
    const seen = new Set<string>();
    fc.assert(fc.property(fc.oneof(noise, mutatedStream), fc.constantFrom(RESP_DEFAULTS, SMALL_LIMITS), (bytes, limits) => {
      const { error } = run(requests(limits), [Buffer.from(bytes)]);
      if (error !== undefined) seen.add(error.replace(/got '.'$/s, "got '?'"));
    }), { numRuns: 3000, seed: 20_240_601 });
    expect([...seen].sort()).toEqual([
      PROTOCOL_ERRORS.multibulkLength,
      PROTOCOL_ERRORS.bulkLength,
      PROTOCOL_ERRORS.expectedDollar(0x3f),
      PROTOCOL_ERRORS.inlineTooBig,
      PROTOCOL_ERRORS.unbalancedQuotes,
      PROTOCOL_ERRORS.bulkTerminator,
      PROTOCOL_ERRORS.commandTooBig(SMALL_LIMITS.frameBytesMax),
    ].sort());
  });

  it('any command list, encoded and fed in random chunks, parses back identically', () => {
    fc.assert(fc.property(fc.array(command, { maxLength: 20 }), cuts, (commands, points) => {
      const bytes = Buffer.concat(commands.map((args) => encodeCommand(args)));
      const { values, error } = run(requests(RESP_DEFAULTS), chunked(bytes, points));
      expect(error).toBeUndefined();
      expect(hex(values)).toEqual(hex(commands.map((args) => args.map((arg) => Buffer.from(arg)))));
    }), { numRuns: NUM_RUNS });
  });

  it('plain inline commands parse back identically', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9:_.-]{1,12}$/);
    fc.assert(fc.property(fc.array(fc.array(word, { minLength: 1, maxLength: 5 }), { maxLength: 10 }), cuts, (lines, points) => {
      const bytes = Buffer.from(lines.map((words) => `${words.join(' ')}\r\n`).join(''));
      const { values, error } = run(requests(RESP_DEFAULTS), chunked(bytes, points));
      expect(error).toBeUndefined();
      expect(values.map((args) => args.map(String))).toEqual(lines);
    }), { numRuns: NUM_RUNS });
  });
});

/** Reply values the encoder can write and the parser gives back unchanged. */
const replyValue: fc.Arbitrary<RespValue> = fc.letrec<{ value: RespValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.stringMatching(/^[^\r\n]{0,20}$/).map((text): RespValue => ({ kind: 'simple', text })),
    fc.stringMatching(/^ERR [^\r\n]{0,20}$/).map((message): RespValue => ({ kind: 'error', message })),
    fc.maxSafeInteger().map((value): RespValue => ({ kind: 'integer', value })),
    fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }).map((value): RespValue => ({ kind: 'bulk', value: value === null ? null : Buffer.from(value) })),
    fc.option(fc.array(tie('value'), { maxLength: 4 }), { nil: null }).map((items): RespValue => ({ kind: 'array', items })),
  ),
})).value;

describe('reply parser under fuzzing', () => {
  it('round-trips any reply through the encoder, fed in random chunks', () => {
    fc.assert(fc.property(fc.array(replyValue, { maxLength: 8 }), cuts, (values, points) => {
      const bytes = Buffer.concat(values.map((value) => encodeReply(value)));
      const { values: parsed, error } = run(replies(RESP_DEFAULTS), chunked(bytes, points));
      expect(error).toBeUndefined();
      expect(parsed).toEqual(values);
    }), { numRuns: NUM_RUNS });
  });

  it('random bytes: only protocol errors, and the same outcome however chunked', () => {
    const seen = new Set<string>();
    fc.assert(fc.property(noise, cuts, fc.constantFrom(RESP_DEFAULTS, SMALL_LIMITS), (bytes, points, limits) => {
      const whole = run(replies(limits), [Buffer.from(bytes)]);
      if (whole.error !== undefined) seen.add(whole.error.replace(/got '.' as/s, "got '?' as"));
      const split = run(replies(limits), chunked(bytes, points));
      expect(split.error).toBe(whole.error);
      expect(split.values).toEqual(whole.values);
    }), { numRuns: 3000, seed: 20_240_601 });
    expect([...seen].sort()).toEqual(expect.arrayContaining([
      REPLY_PROTOCOL_ERRORS.typeByte(0x3f),
      REPLY_PROTOCOL_ERRORS.bulkLength,
      REPLY_PROTOCOL_ERRORS.multibulkLength,
      REPLY_PROTOCOL_ERRORS.integer,
      REPLY_PROTOCOL_ERRORS.lineTerminator,
      REPLY_PROTOCOL_ERRORS.bulkTerminator,
    ]));
  });
});
