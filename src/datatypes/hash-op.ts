/**
 * Hash operations on a field map (or-map.ts) at the coordinating replica, and what a field shows.
 *
 *   field "hits": adds {(n1.t, 4) "10"}, counter +5    HGET "15"  (the add's integer plus the counter)
 *   field "name": adds {(n1.t, 6) "ann", (n2.t, 3) "bo"} HGET the newer add; RC.HGETV both
 *
 * HINCRBY is a PN-counter per field: concurrent increments all count. HINCRBYFLOAT is Redis's
 * read-then-write of a string (its result is stored as text): at the coordinating replica it is
 * an HSET of the sum, so concurrent float increments become concurrent values and the newer shows.
 */
import { EMPTY_COUNTER, INT64_MAX, INT64_MIN, counterDelta, increment, isFullyReset, resetCounter } from './pn-counter.js';
import { parseInt64 } from './counter-op.js';
import { formatFloatText, parseFloatText } from './float-text.js';
import type { Element } from './or-map.js';
import { elementOf, newestAdd } from './or-map.js';
import type { CollectionOperation, ElementsOutcome, OperationInput } from './collection-op.js';
import { findMember, putElement } from './collection-op.js';

export type FieldView =
  | { readonly kind: 'absent' }
  | { readonly kind: 'integer'; readonly value: bigint }
  | { readonly kind: 'bytes'; readonly value: Uint8Array };

const ABSENT: FieldView = Object.freeze({ kind: 'absent' });

/** What HGET shows of a field: its newest add, plus its counter when one counted anything. */
export function fieldView(element: Element | undefined): FieldView {
  if (element === undefined) return ABSENT;
  const add = newestAdd(element);
  const counted = element.counter !== undefined && !isFullyReset(element.counter);
  if (!counted) return add === undefined ? ABSENT : { kind: 'bytes', value: add.value };
  const delta = counterDelta(element.counter ?? EMPTY_COUNTER);
  if (add === undefined) return { kind: 'integer', value: delta };
  const base = parseInt64(add.value);
  // A non-integer value concurrent with increments is what HGET shows (as GET does for counters).
  return base === undefined ? { kind: 'bytes', value: add.value } : { kind: 'integer', value: base + delta };
}

/** The field's value as bytes, or undefined when absent. */
export function fieldBytes(element: Element | undefined): Uint8Array | undefined {
  const view = fieldView(element);
  if (view.kind === 'absent') return undefined;
  return view.kind === 'bytes' ? view.value : Buffer.from(view.value.toString());
}

function elementAt(elements: readonly Element[], member: Uint8Array): Element | undefined {
  const index = findMember(elements, member);
  return index >= 0 ? elements[index] : undefined;
}

/** HSET's replacement of a field: one add, the field's counter reset (what this replica holds of it). */
function setField(element: Element | undefined, member: Uint8Array, value: Uint8Array, input: OperationInput): Element {
  const counter = element?.counter === undefined ? undefined : resetCounter(element.counter, null);
  return elementOf(member, [{ dot: input.dot, value, timestampMs: input.timestampMs }], counter) as Element;
}

export function applyHashOperation(operation: CollectionOperation, input: OperationInput): ElementsOutcome {
  const elements = input.elements.slice();
  switch (operation.name) {
    case 'hset': {
      let added = 0;
      for (const [member, value] of operation.pairs) {
        const existing = elementAt(elements, member);
        if (fieldView(existing).kind === 'absent') added++;
        putElement(elements, member, setField(existing, member, value, input));
      }
      return { elements, answer: { integer: BigInt(added) }, usedDot: true, changed: true };
    }
    case 'hdel': {
      let removed = 0;
      for (const member of operation.members) {
        const existing = elementAt(elements, member);
        if (fieldView(existing).kind === 'absent' || existing === undefined) continue;
        removed++;
        const counter = existing.counter === undefined ? undefined : resetCounter(existing.counter, null);
        putElement(elements, member, elementOf(member, [], counter));
      }
      return { elements, answer: { integer: BigInt(removed) }, usedDot: false, changed: removed > 0 };
    }
    case 'hincrby': {
      const existing = elementAt(elements, operation.member);
      const view = fieldView(existing);
      const base = view.kind === 'absent' ? 0n : view.kind === 'integer' ? view.value : parseInt64(view.value);
      if (base === undefined) return 'hash-not-integer';
      const value = base + operation.amount;
      if (value < INT64_MIN || value > INT64_MAX) return 'overflow';
      const counted = increment(existing?.counter ?? EMPTY_COUNTER, input.dot.actor, input.dot.counter, operation.amount);
      if (counted === 'lane-overflow') return 'overflow';
      putElement(elements, operation.member, elementOf(operation.member, existing?.dots ?? [], counted.state));
      return { elements, answer: { integer: value }, usedDot: true, changed: true };
    }
    case 'hincrbyfloat': {
      const existing = elementAt(elements, operation.member);
      const view = fieldView(existing);
      const base = view.kind === 'absent' ? 0 : view.kind === 'integer' ? Number(view.value) : parseFloatText(view.value);
      if (base === undefined || Number.isNaN(base)) return 'hash-not-float';
      const next = base + operation.amount;
      if (!Number.isFinite(next)) return 'nan-or-infinity';
      const text = Buffer.from(formatFloatText(next));
      putElement(elements, operation.member, setField(existing, operation.member, text, input));
      return { elements, answer: { items: [text] }, usedDot: true, changed: true };
    }
    default:
      return 'wrong-type';
  }
}
