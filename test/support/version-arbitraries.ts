import fc from 'fast-check';
import { compareActors, compareDots } from '../../src/version/index.js';
import type { Sibling, Versioned, VersionVector } from '../../src/version/index.js';

/** fast-check arbitraries of canonical version states, shared by the wire codec properties. */
export const actor = fc.oneof(fc.constantFrom('n1.k3f9', 'n2.a0', '\u00e9', '\u{1F600}'), fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }));
export const counter = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
export const time = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
export const value = fc.option(fc.uint8Array({ maxLength: 64 }), { nil: null, freq: 4 });

/** A canonical vector: unique actors, sorted. */
export function vectorArbitrary(entriesMax: number, counterMax = Number.MAX_SAFE_INTEGER): fc.Arbitrary<VersionVector> {
  return fc
    .uniqueArray(fc.record({ actor, counter: fc.integer({ min: 1, max: counterMax }) }), { selector: (entry) => entry.actor, maxLength: entriesMax })
    .map((entries) => entries.sort((a, b) => compareActors(a.actor, b.actor)));
}

/**
 * Any canonical state: siblings sorted by dot, each covered by the context. `counterMax` keeps
 * counters to what an honest actor can have issued (a node refuses more: src/node/validate.ts).
 */
export function versionedArbitrary(entriesMax: number, siblingsMax: number, counterMax = Number.MAX_SAFE_INTEGER): fc.Arbitrary<Versioned> {
  const sibling = fc.record({ entry: fc.nat(), counter: fc.nat(), timestampMs: time, expiresAtMs: fc.option(time, { nil: null }), value });
  return fc
    .record({ context: vectorArbitrary(entriesMax, counterMax), seeds: fc.array(sibling, { maxLength: siblingsMax }) })
    .map(({ context, seeds }) => {
      const byDot = new Map<string, Sibling>();
      for (const seed of context.length === 0 ? [] : seeds) {
        const entry = context[seed.entry % context.length];
        if (entry === undefined) continue;
        const dot = { actor: entry.actor, counter: 1 + (seed.counter % Math.min(entry.counter, 1000)) };
        byDot.set(`${dot.actor}/${dot.counter}`, { dot, value: seed.value, timestampMs: seed.timestampMs, expiresAtMs: seed.expiresAtMs });
      }
      return { context, siblings: [...byDot.values()].sort((a, b) => compareDots(a.dot, b.dot)) };
    });
}
