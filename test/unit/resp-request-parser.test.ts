import { describe, expect, it } from 'vitest';
import { RingcacheError } from '../../src/runtime/index.js';
import { encodeCommand, parseRequests, PROTOCOL_ERRORS, RequestParser, RESP_DEFAULTS, resolveRespLimits } from '../../src/resp/index.js';
import type { RespLimits } from '../../src/resp/index.js';

const text = (commands: Buffer[][]): string[][] => commands.map((args) => args.map((arg) => arg.toString('latin1')));

/** Feeds `chunks` one by one; returns the commands and the protocol error, if any. */
function feedAll(chunks: Buffer[], limits: RespLimits = RESP_DEFAULTS): { commands: Buffer[][]; error: string | undefined } {
  const commands: Buffer[][] = [];
  const parser = new RequestParser(limits, (args) => commands.push(args));
  try {
    for (const chunk of chunks) parser.feed(chunk);
  } catch (error) {
    expect(error).toBeInstanceOf(RingcacheError);
    expect((error as RingcacheError).code).toBe('RC_ERR_PROTOCOL');
    return { commands, error: (error as RingcacheError).message };
  }
  return { commands, error: undefined };
}

function errorOf(input: string | Buffer, limits: RespLimits = RESP_DEFAULTS): string | undefined {
  return feedAll([typeof input === 'string' ? Buffer.from(input, 'latin1') : input], limits).error;
}

const STREAM = Buffer.concat([
  encodeCommand(['SET', 'user:00000000042', 'abc']),
  Buffer.from('PING\r\n'),
  encodeCommand(['GET', 'user:00000000042']),
  Buffer.from('*0\r\n*-1\r\n'),
  encodeCommand(['SET', Buffer.from('k\r\n\0'), Buffer.alloc(0)]),
  Buffer.from('SET "a b" \'c\\\'d\'\n\r\n'),
  encodeCommand(['MSET', 'a', '1', 'b', '2']),
]);
const STREAM_COMMANDS = [
  ['SET', 'user:00000000042', 'abc'],
  ['PING'],
  ['GET', 'user:00000000042'],
  ['SET', 'k\r\n\0', ''],
  ['SET', 'a b', "c'd"],
  ['MSET', 'a', '1', 'b', '2'],
];

describe('RequestParser: frames', () => {
  it('parses multibulk and inline commands, many per chunk', () => {
    expect(text(parseRequests(STREAM, RESP_DEFAULTS))).toEqual(STREAM_COMMANDS);
  });

  it('gives the same commands for a split at every byte boundary', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const { commands, error } = feedAll([STREAM.subarray(0, cut), STREAM.subarray(cut)]);
      expect(error).toBeUndefined();
      expect(text(commands), `cut at ${cut}`).toEqual(STREAM_COMMANDS);
    }
  });

  it('gives the same commands for every pair of cuts and for one byte at a time', () => {
    for (let first = 1; first < STREAM.length; first += 3) {
      for (let second = first; second <= STREAM.length; second += 5) {
        const chunks = [STREAM.subarray(0, first), STREAM.subarray(first, second), STREAM.subarray(second)];
        expect(text(feedAll(chunks).commands)).toEqual(STREAM_COMMANDS);
      }
    }
    const bytes = [...STREAM].map((byte) => Buffer.from([byte]));
    expect(text(feedAll(bytes).commands)).toEqual(STREAM_COMMANDS);
  });

  it('returns arguments as views of the chunk, copies only when they straddle chunks', () => {
    const frame = encodeCommand(['SET', 'key', 'value']);
    const whole = parseRequests(frame, RESP_DEFAULTS)[0]!;
    const cut = frame.indexOf('value') + 2;
    const { commands } = feedAll([frame.subarray(0, cut), frame.subarray(cut)]);
    const split = commands[0]!;
    frame.fill(0x2e);
    expect(whole.map(String)).toEqual(['...', '...', '.....']);
    expect(split.map(String)).toEqual(['...', '...', 'value']);
  });

  it('carries a 1 MiB binary argument across many chunks', () => {
    const value = Buffer.alloc(1024 * 1024, 0);
    for (let index = 0; index < value.length; index++) value[index] = (index * 7) & 0xff;
    const frame = encodeCommand(['SET', 'big', value]);
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < frame.length; offset += 65_536) chunks.push(frame.subarray(offset, offset + 65_536));
    const { commands } = feedAll(chunks);
    expect(commands).toHaveLength(1);
    expect(commands[0]![2]!.equals(value)).toBe(true);
  });

  it('ignores *0, *-1 and any negative count, and empty inline lines, as Redis does', () => {
    expect(text(parseRequests(Buffer.from('*0\r\n*-1\r\n*-7\r\n\r\n\n   \r\nPING\r\n'), RESP_DEFAULTS))).toEqual([['PING']]);
  });

  it('reports bytes held for an unfinished command', () => {
    const parser = new RequestParser(RESP_DEFAULTS, () => undefined);
    parser.feed(Buffer.from('*1\r\n$10\r\nabc'));
    expect(parser.bufferedBytes).toBe(3);
    parser.feed(Buffer.from('defghij\r\n'));
    expect(parser.bufferedBytes).toBe(0);
  });
});

describe('RequestParser: inline commands', () => {
  const inline = (line: string): string[][] => text(parseRequests(Buffer.from(line, 'latin1'), RESP_DEFAULTS));

  it('splits on blanks, accepts LF or CR LF', () => {
    expect(inline('SET  key\tvalue\r\nGET key\n')).toEqual([['SET', 'key', 'value'], ['GET', 'key']]);
  });

  it('follows sdssplitargs quoting', () => {
    expect(inline('SET "hello world" x\r\n')).toEqual([['SET', 'hello world', 'x']]);
    expect(inline('SET k "a\\x41\\n\\"\\q"\r\n')).toEqual([['SET', 'k', 'aA\n"q']]);
    expect(inline("SET k 'it\\'s \\n'\r\n")).toEqual([['SET', 'k', "it's \\n"]]);
    expect(inline('SET a"b c" ""\r\n')).toEqual([['SET', 'ab c', '']]);
  });

  it('keeps plain inline arguments as views of the line', () => {
    const chunk = Buffer.from('GET key\r\n');
    const args = parseRequests(chunk, RESP_DEFAULTS)[0]!;
    chunk.fill(0x2e);
    expect(args.map(String)).toEqual(['...', '...']);
  });

  it('rejects unbalanced quotes and a closing quote not followed by a blank', () => {
    expect(errorOf('SET "abc\r\n')).toBe('Protocol error: unbalanced quotes in request');
    expect(errorOf("SET 'abc\r\n")).toBe('Protocol error: unbalanced quotes in request');
    expect(errorOf('SET "abc"x\r\n')).toBe('Protocol error: unbalanced quotes in request');
  });
});

describe('RequestParser: protocol errors (Redis messages)', () => {
  it.each([
    ['*abc\r\n', 'invalid multibulk length'],
    ['*1x\r\n', 'invalid multibulk length'],
    ['*01\r\n', 'invalid multibulk length'],
    ['*+1\r\n', 'invalid multibulk length'],
    ['*-0\r\n', 'invalid multibulk length'],
    ['*\r\n', 'invalid multibulk length'],
    ['*1\rX', 'invalid multibulk length'],
    ['*1234567890123456\r\n', 'invalid multibulk length'],
    [`*${RESP_DEFAULTS.arrayLengthMax + 1}\r\n`, 'invalid multibulk length'],
    ['*1\r\n$-1\r\n', 'invalid bulk length'],
    ['*1\r\n$abc\r\n', 'invalid bulk length'],
    ['*1\r\n$\r\n', 'invalid bulk length'],
    [`*1\r\n$${RESP_DEFAULTS.bulkBytesMax + 1}\r\n`, 'invalid bulk length'],
    ['*1\r\nPING\r\n', "expected '$', got 'P'"],
    ['*2\r\n$4\r\nPING\r\n:1\r\n', "expected '$', got ':'"],
    ['*1\r\n$4\r\nPINGxx', 'bulk argument not followed by CRLF'],
    ['*1\r\n$4\r\nPING\rx', 'bulk argument not followed by CRLF'],
  ])('%j -> Protocol error: %s', (input, message) => {
    expect(errorOf(input)).toBe(`Protocol error: ${message}`);
  });

  it('rejects an inline request over inlineBytesMax, terminated or not', () => {
    const limits = resolveRespLimits({ inlineBytesMax: 16 });
    expect(errorOf(`${'A'.repeat(16)}\n`, limits)).toBeUndefined();
    expect(errorOf(`${'A'.repeat(17)}\n`, limits)).toBe('Protocol error: too big inline request');
    expect(errorOf('A'.repeat(17), limits)).toBe('Protocol error: too big inline request');
    expect(errorOf('A'.repeat(16), limits)).toBeUndefined();
    expect(errorOf(Buffer.alloc(RESP_DEFAULTS.inlineBytesMax + 1, 0x41))).toBe(PROTOCOL_ERRORS.inlineTooBig);
  });

  it('limits the argument bytes of one command (frameBytesMax)', () => {
    const limits = resolveRespLimits({ frameBytesMax: 10 });
    expect(errorOf(encodeCommand(['SET', 'k', 'abcdef']), limits)).toBeUndefined();
    expect(errorOf(encodeCommand(['SET', 'k', 'abcdefg']), limits)).toBe(PROTOCOL_ERRORS.commandTooBig(10));
  });

  it('enforces array and bulk limits exactly at the boundary', () => {
    const limits = resolveRespLimits({ arrayLengthMax: 3, bulkBytesMax: 4 });
    expect(errorOf(encodeCommand(['a', 'b', 'c']), limits)).toBeUndefined();
    expect(errorOf(encodeCommand(['a', 'b', 'c', 'd']), limits)).toBe(PROTOCOL_ERRORS.multibulkLength);
    expect(errorOf(encodeCommand(['abcd']), limits)).toBeUndefined();
    expect(errorOf(encodeCommand(['abcde']), limits)).toBe(PROTOCOL_ERRORS.bulkLength);
  });

  it('delivers the commands before the error, then stays failed', () => {
    const commands: Buffer[][] = [];
    const parser = new RequestParser(RESP_DEFAULTS, (args) => commands.push(args));
    expect(() => { parser.feed(Buffer.from('PING\r\n*1\r\n$4\r\nECHO\r\n*x\r\n')); }).toThrow(PROTOCOL_ERRORS.multibulkLength);
    expect(text(commands)).toEqual([['PING'], ['ECHO']]);
    expect(() => { parser.feed(Buffer.from('PING\r\n')); }).toThrow(PROTOCOL_ERRORS.multibulkLength);
    expect(commands).toHaveLength(2);
  });

  it('gives the same error however the input is chunked', () => {
    const inputs = ['*1\r\n$3\r\nabcX', '*12a\r\n', 'PING\r\n*1\r\n$4\r\nPING\r\n*2\r\n$1\r\nx\r\n$-5\r\n', 'SET "a\r\n'];
    for (const input of inputs) {
      const bytes = Buffer.from(input, 'latin1');
      const whole = feedAll([bytes]);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const split = feedAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
        expect(split.error).toBe(whole.error);
        expect(text(split.commands)).toEqual(text(whole.commands));
      }
    }
  });
});

describe('RequestParser: pause and resume (backpressure at command granularity)', () => {
  it('stops after the command that asked, keeps the rest, and resumes in order', () => {
    const commands: string[] = [];
    const parser = new RequestParser(RESP_DEFAULTS, (args) => {
      commands.push(args.map(String).join(' '));
      if (commands.length % 2 === 0) parser.pause();
    });
    const stream = Buffer.concat(['a', 'b', 'c', 'd', 'e'].map((name) => encodeCommand(['ECHO', name])));
    const cut = stream.length - 4;
    parser.feed(stream.subarray(0, cut));
    expect(commands).toEqual(['ECHO a', 'ECHO b']);
    expect(parser.paused).toBe(true);
    expect(parser.bufferedBytes).toBeGreaterThan(0);
    parser.feed(stream.subarray(cut));
    expect(commands).toHaveLength(2);
    parser.resume();
    expect(commands).toEqual(['ECHO a', 'ECHO b', 'ECHO c', 'ECHO d']);
    parser.resume();
    expect(commands).toEqual(['ECHO a', 'ECHO b', 'ECHO c', 'ECHO d', 'ECHO e']);
    expect(parser.paused).toBe(false);
    expect(parser.bufferedBytes).toBe(0);
  });
});

describe('RequestParser: arguments', () => {
  it('are real Buffers, whichever path read them', () => {
    const frames = Buffer.concat([encodeCommand(['SET', 'key', 'value']), Buffer.from('GET key\r\n')]);
    for (const chunks of [[frames], [...frames].map((byte) => Buffer.from([byte]))]) {
      for (const arg of feedAll(chunks).commands.flat()) {
        expect(Buffer.isBuffer(arg)).toBe(true);
        expect(arg.equals(Buffer.from(arg.toString('latin1'), 'latin1'))).toBe(true);
        expect(arg.subarray(0, 1).toString()).toBe(arg.toString().slice(0, 1));
        expect(arg).toEqual(Buffer.from(arg));
        expect(arg.constructor).toBe(Buffer);
      }
    }
  });
});

describe('resolveRespLimits', () => {
  it('fills defaults and rejects unknown keys and bad values with RC_ERR_CONFIG', () => {
    expect(resolveRespLimits({ inflightMax: 8 })).toEqual({ ...RESP_DEFAULTS, inflightMax: 8 });
    expect(Object.isFrozen(RESP_DEFAULTS)).toBe(true);
    const bad = (overrides: Record<string, unknown>): unknown => {
      try {
        resolveRespLimits(overrides);
      } catch (error) {
        return (error as RingcacheError).code;
      }
      return 'accepted';
    };
    expect(bad({ inflightMaximum: 8 })).toBe('RC_ERR_CONFIG');
    expect(bad({ bulkBytesMax: 0 })).toBe('RC_ERR_CONFIG');
    expect(bad({ arrayLengthMax: 1.5 })).toBe('RC_ERR_CONFIG');
    expect(bad({ inlineBytesMax: '64' })).toBe('RC_ERR_CONFIG');
    expect(() => resolveRespLimits({ bulkBytesMax: -1 })).toThrow('resp.limits.bulkBytesMax must be a positive integer, got -1');
  });
});
