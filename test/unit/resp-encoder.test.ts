import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../src/runtime/index.js';
import {
  arrayReply,
  bulkReply,
  encodeCommand,
  encodeReply,
  errorReply,
  integerReply,
  parseRequests,
  rawReply,
  REPLIES,
  ReplyWriter,
  RESP_DEFAULTS,
  RESP_NULL_BULK,
  RESP_OK,
  simpleReply,
} from '../../src/resp/index.js';
import type { ReplyValue } from '../../src/resp/index.js';

const encoded = (reply: ReplyValue): string => encodeReply(reply).toString('latin1');

describe('ReplyWriter: every reply type', () => {
  it.each<[string, ReplyValue, string]>([
    ['simple', simpleReply('OK'), '+OK\r\n'],
    ['simple with CR LF inside (written as spaces)', simpleReply('a\r\nb'), '+a  b\r\n'],
    ['error, message passed whole', errorReply('ERR unknown command'), '-ERR unknown command\r\n'],
    ['WRONGTYPE error', errorReply('WRONGTYPE Operation against a key'), '-WRONGTYPE Operation against a key\r\n'],
    ['integer 0', integerReply(0), ':0\r\n'],
    ['integer', integerReply(1234567890), ':1234567890\r\n'],
    ['negative integer', integerReply(-42), ':-42\r\n'],
    ['largest safe integer', integerReply(Number.MAX_SAFE_INTEGER), ':9007199254740991\r\n'],
    ['smallest safe integer', integerReply(Number.MIN_SAFE_INTEGER), ':-9007199254740991\r\n'],
    ['bulk bytes', bulkReply(Buffer.from('a\r\nb')), '$4\r\na\r\nb\r\n'],
    ['empty bulk', bulkReply(Buffer.alloc(0)), '$0\r\n\r\n'],
    ['bulk text, UTF-8', bulkReply('h\u00e9'), '$3\r\nh\u00c3\u00a9\r\n'],
    ['null bulk', bulkReply(null), '$-1\r\n'],
    ['array', arrayReply([integerReply(1), bulkReply('x')]), '*2\r\n:1\r\n$1\r\nx\r\n'],
    ['nested array', arrayReply([arrayReply([]), arrayReply(null), REPLIES.nullBulk]), '*3\r\n*0\r\n*-1\r\n$-1\r\n'],
    ['null array', arrayReply(null), '*-1\r\n'],
    ['raw', rawReply(RESP_OK), '+OK\r\n'],
    ['raw, long', rawReply(Buffer.alloc(40, 0x61)), 'a'.repeat(40)],
    ['shared PONG', REPLIES.pong, '+PONG\r\n'],
  ])('%s', (_name, reply, expected) => {
    expect(encoded(reply)).toBe(expected);
  });

  it('copies long bulk values exactly', () => {
    const value = Buffer.alloc(100_000);
    for (let index = 0; index < value.length; index++) value[index] = index & 0xff;
    const out = encodeReply(bulkReply(value));
    expect(out.subarray(0, 10).toString()).toBe('$100000\r\n\u0000');
    expect(out.subarray(9, 9 + value.length).equals(value)).toBe(true);
    expect(out.subarray(-2).toString()).toBe('\r\n');
  });

  it('rejects integers that are not safe (a programmer error)', () => {
    const writer = new ReplyWriter();
    expect(() => { writer.integer(2 ** 53); }).toThrow(AssertionError);
    expect(() => { writer.integer(1.5); }).toThrow(AssertionError);
  });

  it('writes the arrayHeader/value building blocks directly', () => {
    const writer = new ReplyWriter();
    writer.arrayHeader(2);
    writer.bulk(Buffer.from('k'));
    writer.bulkText('v');
    writer.raw(RESP_NULL_BULK);
    expect(writer.take().toString()).toBe('*2\r\n$1\r\nk\r\n$1\r\nv\r\n$-1\r\n');
  });
});

describe('ReplyWriter: batches', () => {
  it('hands back each batch once and starts the next after it', () => {
    const writer = new ReplyWriter();
    expect(writer.take()).toHaveLength(0);
    writer.value(REPLIES.ok);
    writer.integer(7);
    expect(writer.batchBytes).toBe(9);
    const first = writer.take();
    writer.simple('PONG');
    const second = writer.take();
    expect(first.toString()).toBe('+OK\r\n:7\r\n');
    expect(second.toString()).toBe('+PONG\r\n');
    expect(writer.batchBytes).toBe(0);
  });

  it('never overwrites a batch already handed out when the slab fills up', () => {
    const writer = new ReplyWriter(64);
    const batches: Buffer[] = [];
    const expected: string[] = [];
    for (let round = 0; round < 50; round++) {
      let batch = '';
      for (let reply = 0; reply <= round % 7; reply++) {
        const value = `v${round}-${reply}-${'x'.repeat(round)}`;
        writer.bulkText(value);
        batch += `$${value.length}\r\n${value}\r\n`;
      }
      batches.push(writer.take());
      expected.push(batch);
    }
    expect(batches.map(String)).toEqual(expected);
  });

  it('drops a reply that failed half-way with truncate()', () => {
    const writer = new ReplyWriter();
    writer.simple('OK');
    const mark = writer.batchBytes;
    expect(() => { writer.value(arrayReply([integerReply(1), integerReply(0.5)])); }).toThrow(AssertionError);
    writer.truncate(mark);
    writer.error('ERR internal error');
    expect(writer.take().toString()).toBe('+OK\r\n-ERR internal error\r\n');
  });
});

describe('encodeCommand', () => {
  it('encodes strings (UTF-8) and bytes as a multibulk request', () => {
    expect(encodeCommand(['SET', 'k\u00e9', Buffer.from([0, 13, 10])]).toString('latin1'))
      .toBe('*3\r\n$3\r\nSET\r\n$3\r\nk\u00c3\u00a9\r\n$3\r\n\u0000\r\n\r\n');
    expect(encodeCommand([]).toString()).toBe('*0\r\n');
  });

  it('round-trips through the request parser', () => {
    const args = ['MSET', ...Array.from({ length: 100 }, (_, index) => `key:${index}`), Buffer.alloc(12_345, 1)];
    const parsed = parseRequests(encodeCommand(args), RESP_DEFAULTS);
    expect(parsed).toHaveLength(1);
    expect(parsed[0]!.map((arg) => Buffer.from(arg))).toEqual(args.map((arg) => Buffer.from(arg)));
  });
});
