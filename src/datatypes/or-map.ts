/**
 * Hashes, sets and sorted sets: observed-remove maps of elements with no tombstone per element
 * (Bieniusa et al., "An optimized conflict-free replicated set", 2012; Riak's riak_dt_orswot and
 * riak_dt_map). The key's context is the map's clock.
 *
 *   context   [(n1.k3f.t, 9), (n2.a0b.t, 4)]
 *   hash      "color" -> { (n1.k3f.t, 7) "red", (n2.a0b.t, 4) "blue" }    concurrent HSETs: both kept
 *             "hits"  -> { (n1.k3f.t, 9) "0" } + counter lanes             HINCRBY: a PN-counter per field
 *   set       "alice" -> { (n1.k3f.t, 8) }                                  a member is present while it has a dot
 *
 * Join per element, as for siblings: keep a dot both sides hold, or one side holds and the other's
 * context does not cover (the other side has not seen that add). A dot one side lacks although its
 * context covers it was removed there (HDEL, SREM, DEL, a SET over the key observed it), so it
 * goes. An add concurrent with a remove is not covered by the remove's context: add wins. A field's
 * counter (HINCRBY) joins by its own lattice (pn-counter.ts); an element whose counter was ever
 * incremented keeps its lanes and offsets after a remove, because a replica that dropped them
 * could not tell a reset lane from a new one (the key's own collection removes them with it).
 * HINCRBYFLOAT and ZINCRBY count the same way in a counter of doubles (float-counter.ts).
 *
 * Elements are sorted by member bytes, each element's dots by dot, collections by type; no
 * element is empty and no collection is empty: one state, one form, so equality is structural.
 */
// The version modules themselves, not version/index.js: version/dvv.ts joins collections inside merge.
import type { Dot, VersionVector } from '../version/types.js';
import { compareDots, covers } from '../version/vector.js';
import type { CounterState } from './pn-counter.js';
import { counterProblem, countersEqual, isFullyReset, joinCounters, resetCounter } from './pn-counter.js';
import type { FloatCounterState } from './float-counter.js';
import { floatCounterProblem, floatCountersEqual, isFloatFullyReset, joinFloatCounters, resetFloatCounter } from './float-counter.js';
import type { CollectionExpiry } from './collection-expiry.js';
import { expiriesEqual, expiryCutMs, expiryProblem, joinExpiry, removeObservedSettings } from './collection-expiry.js';

/** append only: the codes are on the wire (or-map-codec.ts). */
export const COLLECTION_TYPES = ['hash', 'set', 'zset'] as const;
export type CollectionType = (typeof COLLECTION_TYPES)[number];

/** One add of an element: for a hash the field's value, for a sorted set its score, for a set empty. */
export interface ElementDot {
  readonly dot: Dot;
  readonly value: Uint8Array;
  /** Wall-clock ms at the coordinating replica: which concurrent value HGET shows, and TYPE's order. */
  readonly timestampMs: number;
}

export interface Element {
  readonly member: Uint8Array;
  /** Sorted by dot; empty only when `counter` holds increments a remove has not reset. */
  readonly dots: readonly ElementDot[];
  readonly counter?: CounterState;
  /** HINCRBYFLOAT's or ZINCRBY's increments, kept like `counter`. */
  readonly floats?: FloatCounterState;
}

export interface Collection {
  readonly type: CollectionType;
  /** Sorted by member bytes, never empty. */
  readonly elements: readonly Element[];
  /** EXPIRE on the key (collection-expiry.ts); absent when it never had one. */
  readonly expiry?: CollectionExpiry;
}

/** The collection, its expiry left out when there is none (exactOptionalPropertyTypes). */
export function collectionWith(type: CollectionType, elements: readonly Element[], expiry: CollectionExpiry | undefined): Collection {
  return expiry === undefined ? { type, elements } : { type, elements, expiry };
}

export function compareMembers(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** An element, or undefined when nothing of it is left to keep (no add, counters that never counted). */
export function elementOf(
  member: Uint8Array, dots: readonly ElementDot[], counter: CounterState | undefined, floats?: FloatCounterState,
): Element | undefined {
  // A fully reset counter still has to stay (see the header), unless it never counted anything.
  const keepCounter = counter !== undefined && counter.lanes.length > 0 ? counter : undefined;
  const keepFloats = floats !== undefined && floats.lanes.length > 0 ? floats : undefined;
  if (dots.length === 0 && keepCounter === undefined && keepFloats === undefined) return undefined;
  if (keepFloats === undefined) return keepCounter === undefined ? { member, dots } : { member, dots, counter: keepCounter };
  return keepCounter === undefined ? { member, dots, floats: keepFloats } : { member, dots, counter: keepCounter, floats: keepFloats };
}

/** The element's counters reset as a remove or a replacing add that observed `observed` (null: all held). */
export function resetElementCounters(element: Element | undefined, observed: VersionVector | null): Pick<Element, 'counter' | 'floats'> {
  if (element === undefined) return {};
  const counter = element.counter === undefined ? undefined : resetCounter(element.counter, observed);
  const floats = element.floats === undefined ? undefined : resetFloatCounter(element.floats, observed);
  if (floats === undefined) return counter === undefined ? {} : { counter };
  return counter === undefined ? { floats } : { counter, floats };
}

/** The DVV rule on one element's dots (the same walk as merge's over siblings). */
function joinDots(a: readonly ElementDot[], aContext: VersionVector, b: readonly ElementDot[], bContext: VersionVector): ElementDot[] {
  const joined: ElementDot[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    const order = x === undefined ? 1 : y === undefined ? -1 : compareDots(x.dot, y.dot);
    if (order < 0 && x !== undefined) {
      if (!covers(bContext, x.dot)) joined.push(x);
      i++;
    } else if (order > 0 && y !== undefined) {
      if (!covers(aContext, y.dot)) joined.push(y);
      j++;
    } else if (x !== undefined) {
      joined.push(x);
      i++;
      j++;
    }
  }
  return joined;
}

function joinOptional(a: CounterState | undefined, b: CounterState | undefined): CounterState | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return joinCounters(a, b);
}

function joinOptionalFloats(a: FloatCounterState | undefined, b: FloatCounterState | undefined): FloatCounterState | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return joinFloatCounters(a, b);
}

function joinElements(a: readonly Element[], aContext: VersionVector, b: readonly Element[], bContext: VersionVector): Element[] {
  const joined: Element[] = [];
  let i = 0;
  let j = 0;
  const push = (element: Element | undefined): void => { if (element !== undefined) joined.push(element); };
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    const order = x === undefined ? 1 : y === undefined ? -1 : compareMembers(x.member, y.member);
    if (order < 0 && x !== undefined) {
      push(elementOf(x.member, joinDots(x.dots, aContext, [], bContext), x.counter, x.floats));
      i++;
    } else if (order > 0 && y !== undefined) {
      push(elementOf(y.member, joinDots([], aContext, y.dots, bContext), y.counter, y.floats));
      j++;
    } else if (x !== undefined && y !== undefined) {
      push(elementOf(x.member, joinDots(x.dots, aContext, y.dots, bContext), joinOptional(x.counter, y.counter), joinOptionalFloats(x.floats, y.floats)));
      i++;
      j++;
    }
  }
  return joined;
}

const NONE: readonly Collection[] = Object.freeze([]);

/**
 * The join of two keys' collections under their contexts. Returns `a` itself when the result
 * equals it, so merge's "unchanged" stays an identity check; undefined when nothing is left.
 */
export function joinCollections(
  a: readonly Collection[] | undefined, aContext: VersionVector, b: readonly Collection[] | undefined, bContext: VersionVector,
): readonly Collection[] | undefined {
  const left = a ?? NONE;
  const right = b ?? NONE;
  const joined: Collection[] = [];
  for (const type of COLLECTION_TYPES) {
    const x = left.find((collection) => collection.type === type);
    const y = right.find((collection) => collection.type === type);
    if (x === undefined && y === undefined) continue;
    const elements = joinElements(x?.elements ?? [], aContext, y?.elements ?? [], bContext);
    if (elements.length > 0) joined.push(collectionWith(type, elements, joinExpiry(x?.expiry, aContext, y?.expiry, bContext)));
  }
  if (a !== undefined && collectionListsEqual(joined, a)) return a;
  return joined.length === 0 ? undefined : joined;
}

/**
 * What a write that observed `observed` (null: everything this replica holds) leaves: a SET or a
 * DEL over the key removes the adds it saw and resets the counters it saw.
 */
export function removeObserved(collections: readonly Collection[] | undefined, observed: VersionVector | null): readonly Collection[] | undefined {
  if (collections === undefined) return undefined;
  const kept: Collection[] = [];
  for (const collection of collections) {
    const elements: Element[] = [];
    for (const element of collection.elements) {
      const dots = observed === null ? [] : element.dots.filter((entry) => !covers(observed, entry.dot));
      const { counter, floats } = resetElementCounters(element, observed);
      const next = elementOf(element.member, dots, counter, floats);
      if (next !== undefined) elements.push(next);
    }
    if (elements.length > 0) kept.push(collectionWith(collection.type, elements, removeObservedSettings(collection.expiry, observed)));
  }
  return kept.length === 0 ? undefined : kept;
}

function elementsEqual(a: Element, b: Element): boolean {
  if (compareMembers(a.member, b.member) !== 0 || a.dots.length !== b.dots.length) return false;
  if (a.counter !== b.counter && (a.counter === undefined || b.counter === undefined || !countersEqual(a.counter, b.counter))) return false;
  if (a.floats !== b.floats && (a.floats === undefined || b.floats === undefined || !floatCountersEqual(a.floats, b.floats))) return false;
  for (let i = 0; i < a.dots.length; i++) {
    if (compareDots((a.dots[i] as ElementDot).dot, (b.dots[i] as ElementDot).dot) !== 0) return false;
  }
  return true;
}

/** Same elements with the same dots and counters: equal (a dot names exactly one add). */
export function collectionListsEqual(a: readonly Collection[] | undefined, b: readonly Collection[] | undefined): boolean {
  if (a === b) return true;
  const left = a ?? NONE;
  const right = b ?? NONE;
  if (left.length !== right.length) return false;
  for (let c = 0; c < left.length; c++) {
    const x = left[c] as Collection;
    const y = right[c] as Collection;
    if (x.type !== y.type || x.elements.length !== y.elements.length || !expiriesEqual(x.expiry, y.expiry)) return false;
    for (let e = 0; e < x.elements.length; e++) if (!elementsEqual(x.elements[e] as Element, y.elements[e] as Element)) return false;
  }
  return true;
}

/** The collection of a type, if the key holds one. */
export function collectionOf(collections: readonly Collection[] | undefined, type: CollectionType): Collection | undefined {
  return collections?.find((collection) => collection.type === type);
}

/** Replaces (or removes, when `elements` is empty) the collection of `type`, keeping the type order. */
export function withCollection(
  collections: readonly Collection[] | undefined, type: CollectionType, elements: readonly Element[], expiry?: CollectionExpiry,
): readonly Collection[] | undefined {
  const others = (collections ?? NONE).filter((collection) => collection.type !== type);
  if (elements.length > 0) others.push(collectionWith(type, elements, expiry));
  others.sort((x, y) => COLLECTION_TYPES.indexOf(x.type) - COLLECTION_TYPES.indexOf(y.type));
  return others.length === 0 ? undefined : others;
}

/** The first way a list of collections breaks its canonical form under `context`, or undefined. */
export function collectionsProblem(collections: readonly Collection[], context: VersionVector): string | undefined {
  let previousType = -1;
  for (const collection of collections) {
    const typeIndex = COLLECTION_TYPES.indexOf(collection.type);
    if (typeIndex <= previousType) return 'collections are not sorted by type, or one repeats';
    previousType = typeIndex;
    if (collection.elements.length === 0) return `the ${collection.type} is empty`;
    const expiryIssue = collection.expiry === undefined ? undefined : expiryProblem(collection.expiry, context);
    if (expiryIssue !== undefined) return `${collection.type} ${expiryIssue}`;
    for (let e = 0; e < collection.elements.length; e++) {
      const element = collection.elements[e] as Element;
      if (e > 0 && compareMembers((collection.elements[e - 1] as Element).member, element.member) >= 0) return `${collection.type} members are not sorted and distinct`;
      const noCounter = element.counter === undefined || element.counter.lanes.length === 0;
      const noFloats = element.floats === undefined || element.floats.lanes.length === 0;
      if (element.dots.length === 0 && noCounter && noFloats) return `${collection.type} element with no dot and no counter`;
      if (element.counter?.lanes.length === 0 || element.floats?.lanes.length === 0) return `${collection.type} element with an empty counter`;
      if (element.counter !== undefined) {
        const problem = counterProblem(element.counter);
        if (problem !== undefined) return `${collection.type} element counter: ${problem}`;
      }
      if (element.floats !== undefined) {
        const problem = floatCounterProblem(element.floats);
        if (problem !== undefined) return `${collection.type} element float counter: ${problem}`;
      }
      for (let d = 0; d < element.dots.length; d++) {
        const entry = element.dots[d] as ElementDot;
        if (d > 0 && compareDots((element.dots[d - 1] as ElementDot).dot, entry.dot) >= 0) return `${collection.type} element dots are not sorted and distinct`;
        if (!covers(context, entry.dot)) return `${collection.type} element dot (${entry.dot.actor}, ${String(entry.dot.counter)}) is not covered by the context`;
        if (!Number.isSafeInteger(entry.timestampMs) || entry.timestampMs < 0) return `${collection.type} element has a bad timestampMs`;
      }
    }
  }
  return undefined;
}

/**
 * Elements a collection shows as present at `nowMs`: those with at least one add its expiry
 * has not cut (collection-expiry.ts), or a counter no remove reset.
 */
export function presentElements(collection: Collection | undefined, nowMs: number): Element[] {
  if (collection === undefined) return [];
  const cut = expiryCutMs(collection.expiry, nowMs);
  if (cut === 0) return collection.elements.filter(isPresent);
  return liveAfterCut(collection, cut).filter(isPresent);
}

/**
 * The elements with the adds below `cut` dropped. While a cut is above the floor no coordinator
 * has settled it yet, so the counters still hold increments from before it: they go too.
 */
export function liveAfterCut(collection: Collection, cut: number): Element[] {
  const dropCounters = cut > (collection.expiry?.floorMs ?? 0);
  const live: Element[] = [];
  for (const element of collection.elements) {
    const dots = element.dots.filter((entry) => entry.timestampMs >= cut);
    const next = dropCounters
      ? (dots.length > 0 ? { member: element.member, dots } : undefined)
      : elementOf(element.member, dots, element.counter, element.floats);
    if (next !== undefined) live.push(next);
  }
  return live;
}

/** An element shows while it has an add, or a counter counting what no remove observed. */
export function isPresent(element: Element): boolean {
  return element.dots.length > 0 || (element.counter !== undefined && !isFullyReset(element.counter))
    || (element.floats !== undefined && !isFloatFullyReset(element.floats));
}

/** True when no element of any collection is present at `nowMs`. */
export function collectionsEmpty(collections: readonly Collection[] | undefined, nowMs: number): boolean {
  if (collections === undefined) return true;
  return collections.every((collection) => presentElements(collection, nowMs).length === 0);
}

/** Newest add first by (timestampMs, actor, counter): the order HGET and TYPE resolve with. */
export function compareAddRecency(a: ElementDot, b: ElementDot): number {
  if (a.timestampMs !== b.timestampMs) return b.timestampMs - a.timestampMs;
  return compareDots(b.dot, a.dot);
}

/** The add HGET shows of concurrent values: the newest, the same on every replica. */
export function newestAdd(element: Element): ElementDot | undefined {
  let newest: ElementDot | undefined;
  for (const entry of element.dots) if (newest === undefined || compareAddRecency(entry, newest) < 0) newest = entry;
  return newest;
}
