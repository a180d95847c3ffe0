import { describe, expect, it } from 'vitest';
import { httpLookalike } from '../../src/resp/cross-protocol.js';

const args = (line: string): Buffer[] => line.split(' ').map((word) => Buffer.from(word, 'latin1'));

describe('httpLookalike', () => {
  it.each([
    ['POST / HTTP/1.1', true, true],
    ['GET /v1/kv/k HTTP/1.1', true, true],
    ['PUT /v1/kv/k HTTP/1.0', true, true],
    ['GET /', true, true],
    ['OPTIONS * HTTP/1.1', true, true],
    ['CONNECT http://x:1 HTTP/1.1', true, true],
    ['Host: 127.0.0.1:6380', false, false],
    ['host: x', false, true],
    ['post anything', false, false],
    ['PoSt', false, true],
  ])('refuses %j (first %s, inline %s)', (line, first, inline) => {
    expect(httpLookalike(args(line), first, inline)).toBeDefined();
  });

  it.each([
    ['GET / HTTP/1.1', false, true],
    ['GET /', true, false],
    ['GET key', true, true],
    ['GET /k', false, true],
    ['SET / HTTP/1.1', true, true],
    ['GET / HTTP/1.1 extra', true, true],
    ['GET / notaversion', true, true],
    ['HOSTS x', true, true],
    ['POSTS x', true, true],
    ['PING', true, true],
  ])('lets %j run (first %s, inline %s)', (line, first, inline) => {
    expect(httpLookalike(args(line), first, inline)).toBeUndefined();
  });

  it('reads views of a larger buffer at their offset', () => {
    const chunk = Buffer.from('xxxxPOSTyyyy', 'latin1');
    expect(httpLookalike([chunk.subarray(4, 8)], false, false)).toBeDefined();
    expect(httpLookalike([chunk.subarray(3, 7)], false, false)).toBeUndefined();
  });
});
