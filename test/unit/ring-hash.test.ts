import { describe, it, expect } from 'vitest';
import { checkVnodeCount, keyHash, serverTokens, vnodeOf } from '../../src/ring/index.js';
import { expectError } from '../support/expect-error.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);


describe('keyHash', () => {
  it('is xxHash64 with seed 0 (reference vectors)', () => {
    expect(keyHash(new Uint8Array(0))).toBe(0xef46db3751d8e999n);
    expect(keyHash(utf8('a'))).toBe(0xd24ec4f1a98c6e5bn);
    expect(keyHash(utf8('abc'))).toBe(0x44bc2cf5ad770999n);
  });

  it('hashes bytes, not strings: a Buffer and a Uint8Array agree', () => {
    expect(keyHash(Buffer.from('user:42'))).toBe(keyHash(utf8('user:42')));
  });
});

describe('vnodeOf', () => {
  it('is the top log2(V) bits of the hash', () => {
    const key = utf8('a');
    expect(vnodeOf(key, 1)).toBe(0);
    expect(vnodeOf(key, 2)).toBe(Number(0xd24ec4f1a98c6e5bn >> 63n));
    expect(vnodeOf(key, 1024)).toBe(Number(0xd24ec4f1a98c6e5bn >> 54n));
    expect(vnodeOf(key, 65536)).toBe(0xd24e);
  });

  it('splits each vnode in two when V doubles (top bits, not modulo)', () => {
    for (let i = 0; i < 1000; i++) {
      const key = utf8(`key-${i}`);
      expect(vnodeOf(key, 2048) >> 1).toBe(vnodeOf(key, 1024));
    }
  });

  it('stays in [0, V) and spreads keys evenly', () => {
    const vnodeCount = 1024;
    const perVnode = new Array<number>(vnodeCount).fill(0);
    const keyCount = 65_536;
    let outOfRange = 0;
    for (let i = 0; i < keyCount; i++) {
      const vnode = vnodeOf(utf8(`user:${i}`), vnodeCount);
      if (!Number.isInteger(vnode) || vnode < 0 || vnode >= vnodeCount) outOfRange++;
      else perVnode[vnode] = (perVnode[vnode] ?? 0) + 1;
    }
    expect(outOfRange).toBe(0);
    // 64 keys per vnode on average; Poisson spread keeps every vnode well inside [32, 100].
    expect(Math.min(...perVnode)).toBeGreaterThanOrEqual(32);
    expect(Math.max(...perVnode)).toBeLessThanOrEqual(100);
  });

  it('asserts on a V that start-up validation would have rejected', () => {
    expect(() => vnodeOf(utf8('a'), 1000)).toThrow(/not a power of two/);
  });
});

describe('checkVnodeCount', () => {
  it('accepts powers of two from 1 to 65536', () => {
    for (const vnodeCount of [1, 2, 64, 1024, 65_536]) expect(() => { checkVnodeCount(vnodeCount); }).not.toThrow();
  });

  it('rejects anything else with RC_ERR_CONFIG naming cluster.vnodeCount', () => {
    for (const vnodeCount of [0, -4, 3, 1000, 1.5, 131_072, Number.NaN]) {
      expectError(() => { checkVnodeCount(vnodeCount); }, 'RC_ERR_CONFIG', 'see cluster.vnodeCount');
    }
  });
});

describe('serverTokens', () => {
  it('hashes `${serverId}#${i}` for i in [0, count)', () => {
    const tokens = serverTokens('n1', 4);
    expect(tokens).toHaveLength(4);
    expect(tokens[2]).toBe(keyHash(utf8('n1#2')));
    expect(new Set(tokens).size).toBe(4);
    expect(serverTokens('n1', 4)).toEqual(tokens);
  });
});
