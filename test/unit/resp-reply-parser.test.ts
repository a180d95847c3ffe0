import { describe, expect, it } from 'vitest';
import { RingcacheError } from '../../src/runtime/index.js';
import { parseReplies, REPLY_NESTING_MAX, REPLY_PROTOCOL_ERRORS, ReplyParser, RESP_DEFAULTS, resolveRespLimits } from '../../src/resp/index.js';
import type { RespLimits, RespValue } from '../../src/resp/index.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
const bulk = (text: string): RespValue => ({ kind: 'bulk', value: bytes(text) });

function feedAll(chunks: Buffer[], limits: RespLimits = RESP_DEFAULTS): { replies: RespValue[]; error: string | undefined } {
  const replies: RespValue[] = [];
  const parser = new ReplyParser(limits, (value) => replies.push(value));
  try {
    for (const chunk of chunks) parser.feed(chunk);
  } catch (error) {
    expect(error).toBeInstanceOf(RingcacheError);
    expect((error as RingcacheError).code).toBe('RC_ERR_PROTOCOL');
    return { replies, error: (error as RingcacheError).message };
  }
  return { replies, error: undefined };
}

const errorOf = (text: string, limits: RespLimits = RESP_DEFAULTS): string | undefined => feedAll([bytes(text)], limits).error;

const STREAM = bytes('+OK\r\n-ERR no\r\n:-12\r\n$5\r\na\r\nbc\r\n$-1\r\n$0\r\n\r\n*-1\r\n*0\r\n*3\r\n:1\r\n*2\r\n$1\r\nx\r\n*1\r\n+\r\n$-1\r\n');
const STREAM_REPLIES: RespValue[] = [
  { kind: 'simple', text: 'OK' },
  { kind: 'error', message: 'ERR no' },
  { kind: 'integer', value: -12 },
  bulk('a\r\nbc'),
  { kind: 'bulk', value: null },
  bulk(''),
  { kind: 'array', items: null },
  { kind: 'array', items: [] },
  { kind: 'array', items: [{ kind: 'integer', value: 1 }, { kind: 'array', items: [bulk('x'), { kind: 'array', items: [{ kind: 'simple', text: '' }] }] }, { kind: 'bulk', value: null }] },
];

describe('ReplyParser', () => {
  it('parses every reply type, nested arrays, null bulk and null array', () => {
    expect(parseReplies(STREAM, RESP_DEFAULTS)).toEqual(STREAM_REPLIES);
  });

  it('gives the same replies for a split at every byte boundary and byte by byte', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const { replies, error } = feedAll([STREAM.subarray(0, cut), STREAM.subarray(cut)]);
      expect(error).toBeUndefined();
      expect(replies, `cut at ${cut}`).toEqual(STREAM_REPLIES);
    }
    expect(feedAll([...STREAM].map((byte) => Buffer.from([byte]))).replies).toEqual(STREAM_REPLIES);
  });

  it('reads UTF-8 status lines and integers up to 2^53', () => {
    expect(parseReplies(Buffer.from('+h\u00e9\r\n:9007199254740991\r\n'), RESP_DEFAULTS)).toEqual([
      { kind: 'simple', text: 'h\u00e9' },
      { kind: 'integer', value: Number.MAX_SAFE_INTEGER },
    ]);
  });

  it('knows when it is in the middle of a reply', () => {
    const parser = new ReplyParser(RESP_DEFAULTS, () => undefined);
    parser.feed(bytes('*2\r\n:1\r\n'));
    expect(parser.midReply).toBe(true);
    parser.feed(bytes(':2\r\n'));
    expect(parser.midReply).toBe(false);
  });
});

describe('ReplyParser: protocol errors', () => {
  it.each([
    ['x\r\n', REPLY_PROTOCOL_ERRORS.typeByte(0x78)],
    ['$-2\r\n', REPLY_PROTOCOL_ERRORS.bulkLength],
    ['$abc\r\n', REPLY_PROTOCOL_ERRORS.bulkLength],
    [`$${RESP_DEFAULTS.bulkBytesMax + 1}\r\n`, REPLY_PROTOCOL_ERRORS.bulkLength],
    ['*-2\r\n', REPLY_PROTOCOL_ERRORS.multibulkLength],
    [`*${RESP_DEFAULTS.arrayLengthMax + 1}\r\n`, REPLY_PROTOCOL_ERRORS.multibulkLength],
    [':12a\r\n', REPLY_PROTOCOL_ERRORS.integer],
    [':9007199254740992\r\n', REPLY_PROTOCOL_ERRORS.integer],
    [':99999999999999999999\r\n', REPLY_PROTOCOL_ERRORS.integer],
    ['+OK\n', REPLY_PROTOCOL_ERRORS.lineTerminator],
    ['$3\r\nabcd\r\n', REPLY_PROTOCOL_ERRORS.bulkTerminator],
    ['*1\r\n'.repeat(REPLY_NESTING_MAX + 1), REPLY_PROTOCOL_ERRORS.nesting],
  ])('%j', (input, message) => {
    expect(errorOf(input)).toBe(message);
  });

  it('limits status lines to inlineBytesMax, terminated or not', () => {
    const limits = resolveRespLimits({ inlineBytesMax: 8 });
    expect(errorOf(`+${'a'.repeat(8)}\r\n`, limits)).toBeUndefined();
    expect(errorOf(`-${'a'.repeat(9)}\r\n`, limits)).toBe(REPLY_PROTOCOL_ERRORS.lineTooBig(8));
    expect(errorOf(`+${'a'.repeat(12)}`, limits)).toBe(REPLY_PROTOCOL_ERRORS.lineTooBig(8));
  });

  it('limits the items and bulk bytes of one whole reply, nested arrays included', () => {
    const limits = resolveRespLimits({ arrayLengthMax: 4, frameBytesMax: 6 });
    expect(errorOf('*2\r\n*2\r\n:1\r\n:2\r\n:3\r\n', limits)).toBeUndefined();
    expect(errorOf('*2\r\n*3\r\n', limits)).toBe(REPLY_PROTOCOL_ERRORS.tooManyItems(4));
    expect(errorOf('*2\r\n$3\r\nabc\r\n$3\r\ndef\r\n*1\r\n$6\r\nabcdef\r\n', limits)).toBeUndefined();
    expect(errorOf('*2\r\n$3\r\nabc\r\n$4\r\n', limits)).toBe(REPLY_PROTOCOL_ERRORS.tooManyBytes(6));
  });

  it('stays failed after an error', () => {
    const parser = new ReplyParser(RESP_DEFAULTS, () => undefined);
    expect(() => { parser.feed(bytes('?')); }).toThrow(RingcacheError);
    expect(() => { parser.feed(bytes('+OK\r\n')); }).toThrow(REPLY_PROTOCOL_ERRORS.typeByte(0x3f));
  });
});
