/**
 * HSCAN / SSCAN / ZSCAN's cursor (src/proxy/resp/collection-scan.ts) under concurrent adds and
 * removes between pages: Redis's guarantee, every member present for the whole scan is returned
 * at least once, and here also at most once; the scan ends (cursor 0) within a bounded number of
 * calls; small collections come back whole.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Element } from '../../src/datatypes/index.js';
import { compareMembers } from '../../src/datatypes/index.js';
import { SCAN_WHOLE_ELEMENTS_MAX, scanPage } from '../../src/proxy/resp/collection-scan.js';

function elementsOf(members: Iterable<string>): Element[] {
  return [...members].map((member) => ({ member: Buffer.from(member), dots: [{ dot: { actor: 'n1.t', counter: 1 }, value: new Uint8Array(0), timestampMs: 1 }] }))
    .sort((a, b) => compareMembers(a.member, b.member));
}

const member = fc.integer({ min: 0, max: 999 }).map((n) => `m${String(n)}`);
const change = fc.record({ add: fc.array(member, { maxLength: 15 }), remove: fc.array(member, { maxLength: 15 }) });

describe('collection scan cursor', () => {
  it('returns every member present for the whole scan exactly once, under adds and removes between pages', () => {
    fc.assert(fc.property(
      fc.uniqueArray(member, { minLength: SCAN_WHOLE_ELEMENTS_MAX + 1, maxLength: 400 }), fc.integer({ min: 1, max: 60 }), fc.array(change, { maxLength: 200 }),
      (initial, count, changes) => {
        const current = new Set(initial);
        const alwaysPresent = new Set(initial);
        const returned = new Map<string, number>();
        let cursor = 0n;
        let calls = 0;
        do {
          const page = scanPage(elementsOf(current), cursor, count);
          for (const element of page.elements) {
            const name = Buffer.from(element.member).toString();
            returned.set(name, (returned.get(name) ?? 0) + 1);
          }
          cursor = BigInt(page.cursor);
          const next = changes[calls] ?? { add: [], remove: [] };
          for (const name of next.add) current.add(name);
          for (const name of next.remove) {
            // Keep the collection large enough to be paged, as the case under test.
            if (current.size <= SCAN_WHOLE_ELEMENTS_MAX + 1) break;
            current.delete(name);
            alwaysPresent.delete(name);
          }
          calls++;
          expect(calls).toBeLessThanOrEqual(2000);
        } while (cursor !== 0n);
        for (const name of alwaysPresent) expect(returned.get(name), name).toBe(1);
        for (const [name, times] of returned) expect(times, name).toBe(1);
      },
    ), { numRuns: 200 });
  });

  it('answers a small collection whole with cursor 0, and nothing past the end', () => {
    const small = elementsOf(['a', 'b', 'c']);
    expect(scanPage(small, 0n, 1)).toEqual({ elements: small, cursor: '0' });
    expect(scanPage(small, 5n, 1).elements).toEqual([]);
    const large = elementsOf(Array.from({ length: 200 }, (_, i) => `k${String(i)}`));
    const first = scanPage(large, 0n, 10);
    expect(first.elements.length).toBeGreaterThanOrEqual(10);
    expect(first.cursor).not.toBe('0');
    expect(scanPage(large, 2n ** 40n, 10)).toEqual({ elements: [], cursor: '0' });
  });
});
