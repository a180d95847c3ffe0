/**
 * Hash operations on a field map (or-map.ts) at the coordinating replica, and what a field shows.
 *
 *   field "hits": adds {(n1.t, 4) "10"}, counter +5    HGET "15"  (the add's integer plus the counter)
 *   field "name": adds {(n1.t, 6) "ann", (n2.t, 3) "bo"} HGET the newer add; RC.HGETV both
 *
 *   field "temp": adds {(n1.t, 2) "20.5"}, floats +0.25 HGET "20.75" (the add's number plus the float counter)
 *
 * HINCRBY is a PN-counter per field and HINCRBYFLOAT a counter of doubles per field
 * (float-counter.ts): concurrent increments through different coordinators all count. Redis
 * stores HINCRBYFLOAT's result as text; here HGET writes the sum as text, so a client sees the
 * same. An increment whose lane would not stay finite is written as an HSET of the result.
 */
import { EMPTY_COUNTER, INT64_MAX, INT64_MIN, counterDelta, increment, isFullyReset } from './pn-counter.js';
import { EMPTY_FLOAT_COUNTER, floatDelta, incrementFloat, isFloatFullyReset } from './float-counter.js';
import { parseInt64 } from './counter-op.js';
import { formatFloatText, parseFloatText } from './float-text.js';
import type { Element } from './or-map.js';
import { elementOf, newestAdd, resetElementCounters } from './or-map.js';
import type { CollectionOperation, ElementsOutcome, OperationInput } from './collection-op.js';
import { findMember, putElement } from './collection-op.js';

export type FieldView =
  | { readonly kind: 'absent' }
  | { readonly kind: 'integer'; readonly value: bigint }
  /** A field HINCRBYFLOAT counted: shown as Redis writes a float. */
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'bytes'; readonly value: Uint8Array };

const ABSENT: FieldView = Object.freeze({ kind: 'absent' });

/** What HGET shows of a field: its newest add, plus its counters when they counted anything. */
export function fieldView(element: Element | undefined): FieldView {
  if (element === undefined) return ABSENT;
  const add = newestAdd(element);
  const counted = element.counter !== undefined && !isFullyReset(element.counter);
  const floated = element.floats !== undefined && !isFloatFullyReset(element.floats);
  if (!counted && !floated) return add === undefined ? ABSENT : { kind: 'bytes', value: add.value };
  const delta = counted ? counterDelta(element.counter ?? EMPTY_COUNTER) : 0n;
  if (floated) {
    const base = add === undefined ? 0 : parseFloatText(add.value);
    if (base === undefined || Number.isNaN(base)) return { kind: 'bytes', value: (add as { value: Uint8Array }).value };
    return { kind: 'float', value: base + Number(delta) + floatDelta(element.floats ?? EMPTY_FLOAT_COUNTER) };
  }
  if (add === undefined) return { kind: 'integer', value: delta };
  const base = parseInt64(add.value);
  // A non-integer value concurrent with increments is what HGET shows (as GET does for counters).
  return base === undefined ? { kind: 'bytes', value: add.value } : { kind: 'integer', value: base + delta };
}

/** The field's value as bytes, or undefined when absent. */
export function fieldBytes(element: Element | undefined): Uint8Array | undefined {
  const view = fieldView(element);
  if (view.kind === 'absent') return undefined;
  if (view.kind === 'float') return Buffer.from(formatFloatText(view.value));
  return view.kind === 'bytes' ? view.value : Buffer.from(view.value.toString());
}

/** The number a field holds for HINCRBY (undefined: not an integer) as Redis parses its text. */
function integerOf(view: FieldView): bigint | undefined {
  if (view.kind === 'absent') return 0n;
  if (view.kind === 'integer') return view.value;
  return parseInt64(view.kind === 'float' ? Buffer.from(formatFloatText(view.value)) : view.value);
}

/** The number a field holds for HINCRBYFLOAT (undefined: not a float). */
function floatOf(view: FieldView): number | undefined {
  if (view.kind === 'absent') return 0;
  if (view.kind === 'integer') return Number(view.value);
  if (view.kind === 'float') return view.value;
  const value = parseFloatText(view.value);
  return value === undefined || Number.isNaN(value) ? undefined : value;
}

function elementAt(elements: readonly Element[], member: Uint8Array): Element | undefined {
  const index = findMember(elements, member);
  return index >= 0 ? elements[index] : undefined;
}

/** HSET's replacement of a field: one add, the field's counters reset (what this replica holds of them). */
function setField(element: Element | undefined, member: Uint8Array, value: Uint8Array, input: OperationInput): Element {
  const { counter, floats } = resetElementCounters(element, null);
  return elementOf(member, [{ dot: input.dot, value, timestampMs: input.timestampMs }], counter, floats) as Element;
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
        // Stop at the limit rather than build a collection of every argument (one HSET may carry 1e6).
        if (elements.length > input.limits.collectionElementsMax) return 'too-many-elements';
      }
      return { elements, answer: { integer: BigInt(added) }, usedDot: true, changed: true };
    }
    case 'hdel': {
      let removed = 0;
      for (const member of operation.members) {
        const existing = elementAt(elements, member);
        if (fieldView(existing).kind === 'absent' || existing === undefined) continue;
        removed++;
        const { counter, floats } = resetElementCounters(existing, null);
        putElement(elements, member, elementOf(member, [], counter, floats));
      }
      return { elements, answer: { integer: BigInt(removed) }, usedDot: false, changed: removed > 0 };
    }
    case 'hincrby': {
      const existing = elementAt(elements, operation.member);
      const base = integerOf(fieldView(existing));
      if (base === undefined) return 'hash-not-integer';
      const value = base + operation.amount;
      if (value < INT64_MIN || value > INT64_MAX) return 'overflow';
      const counted = increment(existing?.counter ?? EMPTY_COUNTER, input.dot.actor, input.dot.counter, operation.amount);
      if (counted === 'lane-overflow') return 'overflow';
      putElement(elements, operation.member, elementOf(operation.member, existing?.dots ?? [], counted.state, existing?.floats));
      return { elements, answer: { integer: value }, usedDot: true, changed: true };
    }
    case 'hincrbyfloat':
      return hincrbyfloat(elements, operation.member, operation.amount, input);
    default:
      return 'wrong-type';
  }
}

/** HINCRBYFLOAT: the amount into this replica's float lane of the field, answered as HGET then shows it. */
function hincrbyfloat(elements: Element[], member: Uint8Array, amount: number, input: OperationInput): ElementsOutcome {
  const existing = elementAt(elements, member);
  const base = floatOf(fieldView(existing));
  if (base === undefined) return 'hash-not-float';
  if (!Number.isFinite(base + amount)) return 'nan-or-infinity';
  const floats = incrementFloat(existing?.floats ?? EMPTY_FLOAT_COUNTER, input.dot.actor, input.dot.counter, amount, base);
  const counted = floats === undefined ? undefined : elementOf(member, existing?.dots ?? [], existing?.counter, floats);
  const view = counted === undefined ? undefined : fieldView(counted);
  if (counted === undefined || view?.kind !== 'float' || !Number.isFinite(view.value)) {
    // The lane cannot hold it (float-counter.ts) or the add is not a number: write the sum as text.
    const text = Buffer.from(formatFloatText(base + amount));
    putElement(elements, member, setField(existing, member, text, input));
    return { elements, answer: { items: [text] }, usedDot: true, changed: true };
  }
  putElement(elements, member, counted);
  return { elements, answer: { items: [Buffer.from(formatFloatText(view.value))] }, usedDot: true, changed: true };
}
