/**
 * Dotted version vector sets: the one join (`merge`) and the coordinator's write
 * (`coordinatedPut`), after Preguica et al., "Dotted Version Vectors" (2012) and Riak's dvvset.
 *
 *   replica A  ctx [(n1,2)]          siblings {(n1,2) "x"}
 *   replica B  ctx [(n1,1),(n2,1)]   siblings {(n2,1) "y"}      (n1,1) was superseded by (n2,1)
 *   merge      ctx [(n1,2),(n2,1)]   siblings {(n1,2) "x", (n2,1) "y"}   concurrent: both kept
 *
 * A sibling survives a merge unless the other side's context covers its dot without holding it:
 * then the other side has seen the write and superseded it. Dots are unique (per-actor counters,
 * a new actor per incarnation), so "same dot" means "same write".
 */
import { RingcacheError, assert } from '../runtime/index.js';
import type { Dot, Sibling, Versioned, VersionVector } from './types.js';
import { counterProblem, countersEqual, joinCounters, resetCounter } from '../datatypes/pn-counter.js';
import type { CounterState } from '../datatypes/pn-counter.js';
import { collectionListsEqual, collectionsProblem, joinCollections, removeObserved } from '../datatypes/or-map.js';
import type { Collection } from '../datatypes/or-map.js';
import { compareActors, compareDots, covers, joinDot, joinVectors, vectorCounter, vectorProblem, vectorsEqual } from './vector.js';

/** A write at its coordinating replica, which has drawn `dot` from its actor's counter. */
export interface CoordinatedWrite {
  /** The new value, or null for a delete (a tombstone sibling). */
  readonly value: Uint8Array | null;
  /** The context the client read (decoded token), or null for a blind write (plain SET/PUT). */
  readonly context: VersionVector | null;
  readonly dot: Dot;
  readonly timestampMs: number;
  readonly expiresAtMs: number | null;
}

export interface Truncation {
  readonly versioned: Versioned;
  /** Siblings removed to get down to siblingsMax. */
  readonly dropped: number;
}

export const EMPTY_VERSIONED: Versioned = Object.freeze({ context: Object.freeze([]), siblings: Object.freeze([]) });

/**
 * The join of two states (Riak dvvset `sync`): commutative, associative, idempotent. Keeps a
 * sibling of one side when the other side holds it too or has not seen it; the context is the
 * pointwise maximum. Returns `a` itself when `b` adds nothing, so "changed" is an identity check.
 */
export function merge(a: Versioned, b: Versioned): Versioned {
  // Replicas that agree (the usual quorum read) join to `a` itself, as the walk below would
  // find: checked first without building the arrays.
  if (a === b || versionsEqual(a, b)) return a;
  const siblings: Sibling[] = [];
  const left = a.siblings;
  const right = b.siblings;
  let onlyFromA = true;
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    const x = left[i];
    const y = right[j];
    const order = x === undefined ? 1 : y === undefined ? -1 : compareDots(x.dot, y.dot);
    if (order < 0 && x !== undefined) {
      if (!covers(b.context, x.dot)) siblings.push(x);
      i++;
    } else if (order > 0 && y !== undefined) {
      if (!covers(a.context, y.dot)) {
        siblings.push(y);
        onlyFromA = false;
      }
      j++;
    } else if (x !== undefined) {
      // The same dot names the same write; keep one copy (a's, so `a` can come back unchanged).
      siblings.push(x);
      i++;
      j++;
    }
  }
  const context = joinVectors(a.context, b.context);
  const counter = joinOptionalCounters(a.counter, b.counter);
  const collections = a.collections === undefined && b.collections === undefined
    ? undefined
    : joinCollections(a.collections, a.context, b.collections, b.context);
  if (onlyFromA && siblings.length === left.length && context === a.context && counter === a.counter && collections === a.collections) return a;
  return withTypes({ context, siblings }, counter, collections);
}

function joinOptionalCounters(a: CounterState | undefined, b: CounterState | undefined): CounterState | undefined {
  if (b === undefined) return a;
  if (a === undefined) return b;
  return joinCounters(a, b);
}

/**
 * The state with its typed fields, each left out when there is none (exactOptionalPropertyTypes):
 * every place that builds a state goes through here, so none drops a type it does not know.
 */
export function withTypes(
  versioned: { readonly context: VersionVector; readonly siblings: readonly Sibling[] },
  counter: CounterState | undefined,
  collections: readonly Collection[] | undefined,
): Versioned {
  if (counter === undefined && collections === undefined) return versioned;
  if (collections === undefined) return { context: versioned.context, siblings: versioned.siblings, counter: counter as CounterState };
  if (counter === undefined) return { context: versioned.context, siblings: versioned.siblings, collections };
  return { context: versioned.context, siblings: versioned.siblings, counter, collections };
}

/**
 * The write at the coordinating replica (DESIGN.md section 3). With a client context the new
 * value supersedes exactly what the client saw; without one it supersedes everything this replica
 * holds, so Redis-style clients never grow siblings. Either way the result's context covers the
 * new dot, and concurrent writes through other coordinators still become siblings on merge.
 */
export function coordinatedPut(local: Versioned | undefined, write: CoordinatedWrite): Versioned {
  const state = local ?? EMPTY_VERSIONED;
  assert(write.dot.actor.length > 0 && Number.isSafeInteger(write.dot.counter) && write.dot.counter >= 1, 'a fresh dot has an actor and a counter >= 1');
  assert(isTimeMs(write.timestampMs), 'timestampMs is a non-negative integer');
  assert(write.expiresAtMs === null || isTimeMs(write.expiresAtMs), 'expiresAtMs is null or a non-negative integer');
  const storedCounter = vectorCounter(state.context, write.dot.actor);
  if (storedCounter >= write.dot.counter) {
    throw new RingcacheError('RC_ERR_INTERNAL',
      `fresh dot (${write.dot.actor}, ${write.dot.counter}) is already covered by the stored context ` +
      `(${storedCounter}): the actor's counter went backwards or a forged context reached this key`,
      { actor: write.dot.actor, counter: write.dot.counter, storedCounter });
  }
  const sibling: Sibling = {
    dot: write.dot,
    value: write.value,
    timestampMs: write.timestampMs,
    expiresAtMs: write.expiresAtMs,
  };
  // A string write resets the counter causally: what it observed is subtracted, what it did not survives.
  const counter = state.counter === undefined ? undefined : resetCounter(state.counter, write.context);
  // So does it remove the hash, set or sorted-set adds it observed; concurrent adds survive.
  const collections = removeObserved(state.collections, write.context);
  if (write.context === null) {
    return withTypes({ context: joinDot(state.context, write.dot), siblings: [sibling] }, counter, collections);
  }
  const clientContext = write.context;
  assert(vectorProblem(clientContext) === undefined, 'a client context is canonical (decoded by decodeContext)');
  const claimed = vectorCounter(clientContext, write.dot.actor);
  if (claimed >= write.dot.counter) {
    // A context can only hold dots this actor already issued; a token claiming more is forged,
    // and accepting it would make the context cover (and so silently drop) future writes.
    throw new RingcacheError('RC_ERR_BAD_CONTEXT',
      `context claims (${write.dot.actor}, ${claimed}) but that actor has only issued counters below ${write.dot.counter}`,
      { actor: write.dot.actor, claimed, counter: write.dot.counter });
  }
  const kept = state.siblings.filter((existing) => !covers(clientContext, existing.dot));
  return withTypes({
    context: joinDot(joinVectors(state.context, clientContext), write.dot),
    siblings: insertSorted(kept, sibling),
  }, counter, collections);
}

function insertSorted(siblings: Sibling[], sibling: Sibling): Sibling[] {
  let index = siblings.length;
  while (index > 0 && compareDots((siblings[index - 1] as Sibling).dot, sibling.dot) > 0) index--;
  siblings.splice(index, 0, sibling);
  return siblings;
}

/**
 * Newest first by (timestampMs, actor, counter): the order of `truncateSiblings` and of the
 * plain-GET resolver. Total over distinct dots, so the choice is the same on every replica.
 */
export function compareRecency(a: Sibling, b: Sibling): number {
  if (a.timestampMs !== b.timestampMs) return b.timestampMs - a.timestampMs;
  const byActor = compareActors(b.dot.actor, a.dot.actor);
  return byActor !== 0 ? byActor : b.dot.counter - a.dot.counter;
}

/**
 * Keeps the `siblingsMax` newest siblings. The context is unchanged, so the dropped dots stay
 * covered: every replica that merges this state treats them as superseded (DESIGN.md section 3).
 */
export function truncateSiblings(versioned: Versioned, siblingsMax: number): Truncation {
  assert(Number.isSafeInteger(siblingsMax) && siblingsMax >= 1, 'siblingsMax is an integer >= 1');
  const count = versioned.siblings.length;
  if (count <= siblingsMax) return { versioned, dropped: 0 };
  const newest = versioned.siblings.slice().sort(compareRecency).slice(0, siblingsMax);
  newest.sort((a, b) => compareDots(a.dot, b.dot));
  return { versioned: withTypes({ context: versioned.context, siblings: newest }, versioned.counter, versioned.collections), dropped: count - siblingsMax };
}

/** Same context and same sibling dots: equal states (a dot names exactly one write). */
export function versionsEqual(a: Versioned, b: Versioned): boolean {
  if (a === b) return true;
  if (a.siblings.length !== b.siblings.length || !vectorsEqual(a.context, b.context)) return false;
  if (a.counter !== b.counter && (a.counter === undefined || b.counter === undefined || !countersEqual(a.counter, b.counter))) return false;
  if (!collectionListsEqual(a.collections, b.collections)) return false;
  for (let i = 0; i < a.siblings.length; i++) {
    const x = (a.siblings[i] as Sibling).dot;
    const y = (b.siblings[i] as Sibling).dot;
    if (x.counter !== y.counter || x.actor !== y.actor) return false;
  }
  return true;
}

/** The first way a state breaks its canonical form, or undefined: for pair assertions. */
export function versionedProblem(versioned: Versioned): string | undefined {
  const contextProblem = vectorProblem(versioned.context);
  if (contextProblem !== undefined) return `context: ${contextProblem}`;
  const counterIssue = versioned.counter === undefined ? undefined : counterProblem(versioned.counter);
  if (counterIssue !== undefined) return `counter: ${counterIssue}`;
  const collectionIssue = versioned.collections === undefined ? undefined : collectionsProblem(versioned.collections, versioned.context);
  if (collectionIssue !== undefined) return `collections: ${collectionIssue}`;
  let previous: Dot | undefined;
  for (const sibling of versioned.siblings) {
    const { dot } = sibling;
    if (previous !== undefined && compareDots(previous, dot) >= 0) {
      return `siblings are not strictly sorted by dot ((${previous.actor}, ${previous.counter}) then (${dot.actor}, ${dot.counter}))`;
    }
    if (!Number.isSafeInteger(dot.counter) || dot.counter < 1) return `dot (${dot.actor}, ${dot.counter}) has a bad counter`;
    if (!covers(versioned.context, dot)) return `dot (${dot.actor}, ${dot.counter}) is not covered by the context`;
    if (!isTimeMs(sibling.timestampMs)) return `dot (${dot.actor}, ${dot.counter}) has a bad timestampMs`;
    if (sibling.expiresAtMs !== null && !isTimeMs(sibling.expiresAtMs)) return `dot (${dot.actor}, ${dot.counter}) has a bad expiresAtMs`;
    previous = dot;
  }
  return undefined;
}

/** Times on versions are integer ms since the Unix epoch, exact in a double. */
export function isTimeMs(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}
