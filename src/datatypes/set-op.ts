/**
 * Set operations on a member map (or-map.ts) at the coordinating replica: an ORSWOT whose members
 * carry only dots (every value is the shared empty buffer).
 *
 * SPOP is a read and an observed remove at one replica: two clients popping through different
 * coordinators during a partition may be handed the same member (docs/ARCHITECTURE.md).
 */
import { EMPTY_VALUE } from './or-map-codec.js';
import type { Element } from './or-map.js';
import type { CollectionOperation, ElementsOutcome, OperationInput } from './collection-op.js';
import { findMember, putElement } from './collection-op.js';

function isMember(elements: readonly Element[], member: Uint8Array): boolean {
  const index = findMember(elements, member);
  return index >= 0 && (elements[index] as Element).dots.length > 0;
}

export function applySetOperation(operation: CollectionOperation, input: OperationInput): ElementsOutcome {
  const elements = input.elements.slice();
  switch (operation.name) {
    case 'sadd': {
      let added = 0;
      for (const member of operation.members) {
        if (!isMember(elements, member)) added++;
        // Re-adding a present member still replaces its adds: a concurrent SREM did not see this one.
        putElement(elements, member, { member, dots: [{ dot: input.dot, value: EMPTY_VALUE, timestampMs: input.timestampMs }] });
        if (elements.length > input.limits.collectionElementsMax) return 'too-many-elements';
      }
      return { elements, answer: { integer: BigInt(added) }, usedDot: true, changed: true };
    }
    case 'srem': {
      let removed = 0;
      for (const member of operation.members) {
        if (!isMember(elements, member)) continue;
        removed++;
        putElement(elements, member, undefined);
      }
      return { elements, answer: { integer: BigInt(removed) }, usedDot: false, changed: removed > 0 };
    }
    case 'spop': {
      const popped: Uint8Array[] = [];
      const count = Math.min(operation.count, elements.length);
      for (let i = 0; i < count; i++) {
        const index = input.pick(elements.length);
        popped.push((elements[index] as Element).member);
        elements.splice(index, 1);
      }
      return { elements, answer: { items: popped }, usedDot: false, changed: popped.length > 0 };
    }
    default:
      return 'wrong-type';
  }
}
