/**
 * The internode wire form of a state (replication, read repair, hints, anti-entropy, transfers).
 *
 *   +---------+---------------------------------+---------------+---------------------------+
 *   | version | context: count, (len, actor,    | sibling count | sibling x count           |
 *   | u8 = 1  |          counter) x count       | varint        |                           |
 *   +---------+---------------------------------+---------------+---------------------------+
 *   sibling:
 *   +-------------+---------+-------------+-------+--------------+------------------------+
 *   | actor index | counter | timestampMs | flags | [expiresAtMs]| [value length, bytes]  |
 *   | varint      | varint  | varint      | u8    |  if bit 0    |  unless bit 1          |
 *   +-------------+---------+-------------+-------+--------------+------------------------+
 *   flags: bit 0 = has expiresAtMs, bit 1 = tombstone, other bits 0.
 *
 * The context is the token's vector body. A sibling's actor is an index into the context's
 * actors: every dot is covered by its own context, so its actor is always there and no actor
 * string is ever repeated. Siblings are strictly sorted by (actor index, counter), which is the
 * dot order, so one state has one encoding. Decoding checks every limit and every invariant and
 * returns values as views of the input (no copy); a store that keeps them copies them.
 *
 * A typed value follows the siblings as an optional trailer (docs/ARCHITECTURE.md, "Typed values"):
 *   +------------+----------------+---------------------------+
 *   | type u8    | length varint  | the type's own encoding   |   type 1 = counter (counter-codec.ts)
 *   +------------+----------------+---------------------------+   type 2 = collections (or-map-codec.ts)
 * Trailers come in increasing type order, each at most once.
 */
import { assert } from '../runtime/index.js';
import type { Sibling, VectorEntry, Versioned } from './types.js';
import type { VersionLimits } from './options.js';
import { VERSION_DEFAULTS } from './options.js';
import { ByteReader, varintBytes, writeVarint } from './byte-reader.js';
import { readVectorBody, vectorBodyBytes, writeVectorBody } from './context-token.js';
import { compareActors, vectorProblem } from './vector.js';
import { isTimeMs, withTypes } from './dvv.js';
import { decodeCounter, encodeCounter } from '../datatypes/counter-codec.js';
import { copyCollections, decodeCollections, encodeCollections } from '../datatypes/or-map-codec.js';
import type { Collection } from '../datatypes/or-map.js';
import type { CounterState } from '../datatypes/pn-counter.js';

/** append only: values are on the wire. */
export const VERSIONED_FORMAT_VERSION = 1;
/** append only: bits are on the wire. */
const FLAG_EXPIRES = 0x01;
const FLAG_TOMBSTONE = 0x02;
const FLAGS_KNOWN = FLAG_EXPIRES | FLAG_TOMBSTONE;
/** append only: typed-value trailer types are on the wire. */
const TYPED_COUNTER = 1;
const TYPED_COLLECTIONS = 2;

/** Encodes a canonical state into one Buffer, sized before writing. */
export function encodeVersioned(versioned: Versioned): Buffer {
  const { context, siblings } = versioned;
  assert(vectorProblem(context) === undefined, 'an encoded context is canonical');
  const actorIndexes = siblingActorIndexes(versioned);
  let size = 1 + vectorBodyBytes(context) + varintBytes(siblings.length);
  for (let i = 0; i < siblings.length; i++) {
    const sibling = siblings[i] as Sibling;
    size += varintBytes(actorIndexes[i] as number) + varintBytes(sibling.dot.counter) + varintBytes(sibling.timestampMs) + 1;
    if (sibling.expiresAtMs !== null) size += varintBytes(sibling.expiresAtMs);
    if (sibling.value !== null) size += varintBytes(sibling.value.byteLength) + sibling.value.byteLength;
  }
  const counter = versioned.counter === undefined ? undefined : encodeCounter(versioned.counter);
  if (counter !== undefined) size += 1 + varintBytes(counter.length) + counter.length;
  const collections = versioned.collections === undefined ? undefined : encodeCollections(versioned.collections, context);
  if (collections !== undefined) size += 1 + varintBytes(collections.length) + collections.length;
  const target = Buffer.allocUnsafe(size);
  target[0] = VERSIONED_FORMAT_VERSION;
  let at = writeVectorBody(target, 1, context);
  at = writeVarint(target, at, siblings.length);
  for (let i = 0; i < siblings.length; i++) {
    const sibling = siblings[i] as Sibling;
    at = writeVarint(target, at, actorIndexes[i] as number);
    at = writeVarint(target, at, sibling.dot.counter);
    at = writeVarint(target, at, sibling.timestampMs);
    target[at++] = (sibling.expiresAtMs === null ? 0 : FLAG_EXPIRES) | (sibling.value === null ? FLAG_TOMBSTONE : 0);
    if (sibling.expiresAtMs !== null) at = writeVarint(target, at, sibling.expiresAtMs);
    if (sibling.value !== null) {
      at = writeVarint(target, at, sibling.value.byteLength);
      target.set(sibling.value, at);
      at += sibling.value.byteLength;
    }
  }
  if (counter !== undefined) {
    target[at++] = TYPED_COUNTER;
    at = writeVarint(target, at, counter.length);
    target.set(counter, at);
    at += counter.length;
  }
  if (collections !== undefined) {
    target[at++] = TYPED_COLLECTIONS;
    at = writeVarint(target, at, collections.length);
    target.set(collections, at);
    at += collections.length;
  }
  assert(at === size, 'size computed before writing matches what was written');
  return target;
}

/**
 * Index of each sibling's actor in the context, found by one walk of both sorted arrays; asserts
 * the canonical form on the way (sorted, distinct, covered, times in range): pair assertion with
 * the decoder's checks.
 */
function siblingActorIndexes(versioned: Versioned): number[] {
  const { context, siblings } = versioned;
  const indexes: number[] = [];
  let contextIndex = 0;
  let previousIndex = -1;
  let previousCounter = 0;
  for (const sibling of siblings) {
    const { dot } = sibling;
    while (contextIndex < context.length && compareActors((context[contextIndex] as VectorEntry).actor, dot.actor) < 0) {
      contextIndex++;
    }
    const entry = context[contextIndex];
    assert(entry !== undefined && entry.actor === dot.actor, 'every sibling has its actor in the context');
    assert(Number.isSafeInteger(dot.counter) && dot.counter >= 1 && dot.counter <= entry.counter, 'every sibling dot is covered by the context');
    assert(contextIndex > previousIndex || dot.counter > previousCounter, 'siblings are strictly sorted by dot');
    assert(isTimeMs(sibling.timestampMs) && (sibling.expiresAtMs === null || isTimeMs(sibling.expiresAtMs)), 'sibling times are integers >= 0');
    indexes.push(contextIndex);
    previousIndex = contextIndex;
    previousCounter = dot.counter;
  }
  return indexes;
}

/** Decodes and validates a state from a peer; anything malformed throws RC_ERR_PROTOCOL. */
export function decodeVersioned(bytes: Uint8Array, limits: VersionLimits = VERSION_DEFAULTS): Versioned {
  const reader = new ByteReader(bytes, 'RC_ERR_PROTOCOL', 'versioned value');
  const version = reader.byte('format version');
  if (version !== VERSIONED_FORMAT_VERSION) {
    reader.fail(`format version ${version} is not ${VERSIONED_FORMAT_VERSION} (a peer running another release?)`);
  }
  const context = readVectorBody(reader, limits);
  const siblings = readSiblings(reader, context, limits);
  if (reader.offset === bytes.length) return { context, siblings };
  let counter: CounterState | undefined;
  let collections: Collection[] | undefined;
  let previousType = 0;
  for (let index = 0; reader.offset < bytes.length; index++) {
    reader.locate('typed value', index);
    const type = reader.byte('type');
    if (type !== TYPED_COUNTER && type !== TYPED_COLLECTIONS) reader.fail(`typed value type ${String(type)} is unknown (a peer running another release?)`);
    if (type <= previousType) reader.fail(`typed value type ${String(type)} is not after ${String(previousType)} (each type once, in order)`);
    const length = reader.varint('length');
    const start = reader.skip(length, 'typed value');
    const body = bytes.subarray(start, start + length);
    if (type === TYPED_COUNTER) counter = decodeCounter(body, limits);
    else collections = decodeCollections(body, context, limits);
    previousType = type;
  }
  return withTypes({ context, siblings }, counter, collections);
}

function readSiblings(reader: ByteReader, context: readonly VectorEntry[], limits: VersionLimits): Sibling[] {
  const count = reader.varint('sibling count');
  if (count > limits.siblingsMax) {
    reader.fail(`${count} siblings, more than limits.siblingsMax (${limits.siblingsMax}); senders truncate to it first`);
  }
  const siblings: Sibling[] = [];
  let previousIndex = -1;
  let previousCounter = 0;
  for (let index = 0; index < count; index++) {
    reader.locate('sibling', index);
    const actorIndex = reader.varint('actor index');
    const entry = context[actorIndex];
    if (entry === undefined) reader.fail(`sibling ${index} actor index ${actorIndex} is not below the context size ${context.length}`);
    const counter = reader.varint('counter');
    if (counter === 0 || counter > entry.counter) {
      reader.fail(`sibling ${index} dot (${entry.actor}, ${counter}) is not covered by the context (${entry.counter})`);
    }
    if (actorIndex < previousIndex || (actorIndex === previousIndex && counter <= previousCounter)) {
      reader.fail(`sibling ${index} dot (${entry.actor}, ${counter}) is not after the previous one (siblings must be sorted and distinct)`);
    }
    const timestampMs = reader.varint('timestampMs');
    const flags = reader.byte('flags');
    if ((flags & ~FLAGS_KNOWN) !== 0) reader.fail(`sibling ${index} has unknown flag bits 0x${flags.toString(16)}`);
    const expiresAtMs = (flags & FLAG_EXPIRES) === 0 ? null : reader.varint('expiresAtMs');
    let value: Uint8Array | null = null;
    if ((flags & FLAG_TOMBSTONE) === 0) {
      const length = reader.varint('value length');
      if (length > limits.valueBytesMax) {
        reader.fail(`sibling ${index} value is ${length} bytes, more than limits.valueBytesMax (${limits.valueBytesMax})`);
      }
      const start = reader.skip(length, 'value');
      value = reader.bytes.subarray(start, start + length);
    }
    siblings.push({ dot: { actor: entry.actor, counter }, value, timestampMs, expiresAtMs });
    previousIndex = actorIndex;
    previousCounter = counter;
  }
  return siblings;
}

/**
 * The state with every value copied into a buffer of its own: decoded values are views of the
 * frame they came in, and whoever keeps a state must not pin the frame.
 */
export function copyVersioned(versioned: Versioned): Versioned {
  const siblings = versioned.siblings.map((sibling): Sibling => (
    sibling.value === null ? sibling : { ...sibling, value: new Uint8Array(sibling.value) }
  ));
  return withTypes({ context: versioned.context, siblings }, versioned.counter,
    versioned.collections === undefined ? undefined : copyCollections(versioned.collections));
}
