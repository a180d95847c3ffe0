import { describe, expect, it } from 'vitest';
import { globMatch } from '../../src/proxy/resp/glob.js';

const match = (pattern: string, subject: string, noCase = false): boolean => globMatch(Buffer.from(pattern), Buffer.from(subject), noCase);

describe('globMatch (Redis stringmatchlen)', () => {
  it('matches *, ?, classes, ranges, negation and escapes as Redis does', () => {
    expect(match('*', '')).toBe(true);
    expect(match('h?llo', 'hello')).toBe(true);
    expect(match('h?llo', 'hllo')).toBe(false);
    expect(match('h*llo', 'heeeello')).toBe(true);
    expect(match('h[ae]llo', 'hallo')).toBe(true);
    expect(match('h[ae]llo', 'hillo')).toBe(false);
    expect(match('h[^e]llo', 'hallo')).toBe(true);
    expect(match('h[^e]llo', 'hello')).toBe(false);
    expect(match('h[a-b]llo', 'hbllo')).toBe(true);
    expect(match('h[b-a]llo', 'hallo')).toBe(true);
    expect(match('h\\*llo', 'h*llo')).toBe(true);
    expect(match('h\\*llo', 'hello')).toBe(false);
    expect(match('*a*b*c', 'xxaxxbxxcx')).toBe(false);
    expect(match('*a*b*c', 'xxaxxbxxc')).toBe(true);
    expect(match('user:*:name', 'user:42:name')).toBe(true);
    expect(match('SAVE', 'save', true)).toBe(true);
    expect(match('SAVE', 'save')).toBe(false);
  });

  it('stays linear-ish on a pattern that makes a naive backtracker explode', () => {
    const subject = 'a'.repeat(5000);
    expect(match(`${'*a'.repeat(30)}b`, subject)).toBe(false);
  });
});
