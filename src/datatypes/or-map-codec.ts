/**
 * The wire form of a key's collections (or-map.ts), inside a typed value of the versioned codec:
 *
 *   +---------+------------------+----------------------------------------------------------+
 *   | version | collection count | per collection: type u8 (COLLECTION_TYPES index),        |
 *   | u8 = 1  | varint           |   element count varint, elements                         |
 *   +---------+------------------+----------------------------------------------------------+
 *   element:
 *   +---------------------+-----------+-------------------------------------------+-------+---------------------+
 *   | member len, bytes   | dot count | per dot: actor index, counter,            | flags | [counter length,    |
 *   | varint              | varint    |   timestampMs, value len, value bytes     | u8    |  counter-codec]     |
 *   +---------------------+-----------+-------------------------------------------+-------+---------------------+
 *   then, with flag bit 1: float counter length varint, float-counter-codec.
 *   flags: bit 0 = has a counter, bit 1 = has a float counter, other bits 0.
 *   A type byte with bit 7 set (TYPE_FLAG_EXPIRY) is followed, after the elements, by the
 *   collection's expiry (collection-expiry.ts):
 *   +-------------+---------------+------------------------------------------------------------+
 *   | floorMs     | setting count | per setting: actor index, counter, setAtMs, has-expiry u8, |
 *   | varint      | varint        |   [expiresAtMs varint]                                     |
 *   +-------------+---------------+------------------------------------------------------------+
 *
 * A dot's actor is an index into the key's context, which covers every dot (as for siblings).
 * Decoding checks every limit (elements per collection, member and value bytes) and the
 * canonical form (collectionsProblem), so a peer cannot make a node store a state no join makes.
 */
import { assert } from '../runtime/index.js';
// The version modules themselves, not version/index.js: version/codec.ts embeds this codec.
import { ByteReader, varintBytes, writeVarint } from '../version/byte-reader.js';
import type { VectorEntry, VersionVector } from '../version/types.js';
import type { VersionLimits } from '../version/options.js';
import { compareActors } from '../version/vector.js';
import { counterBytes, decodeCounter, encodeCounter } from './counter-codec.js';
import { decodeFloatCounter, encodeFloatCounter, floatCounterBytes } from './float-counter-codec.js';
import type { Collection, Element, ElementDot } from './or-map.js';
import { COLLECTION_TYPES, collectionWith, collectionsProblem } from './or-map.js';
import type { CollectionExpiry, ExpirySetting } from './collection-expiry.js';

/** append only: values are on the wire. */
export const COLLECTIONS_FORMAT_VERSION = 1;
/** append only: bits are on the wire. */
const FLAG_COUNTER = 0x01;
const FLAG_FLOATS = 0x02;
const TYPE_FLAG_EXPIRY = 0x80;

function actorIndex(context: VersionVector, actor: string): number {
  let low = 0;
  let high = context.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = compareActors((context[middle] as VectorEntry).actor, actor);
    if (order === 0) return middle;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  assert(false, `every element dot's actor (${actor}) is in the key's context`);
}

function elementBytes(element: Element, context: VersionVector, counter: Buffer | undefined, floats: Buffer | undefined): number {
  let bytes = varintBytes(element.member.length) + element.member.length + varintBytes(element.dots.length) + 1;
  for (const entry of element.dots) {
    bytes += varintBytes(actorIndex(context, entry.dot.actor)) + varintBytes(entry.dot.counter) + varintBytes(entry.timestampMs);
    bytes += varintBytes(entry.value.length) + entry.value.length;
  }
  if (counter !== undefined) bytes += varintBytes(counter.length) + counter.length;
  if (floats !== undefined) bytes += varintBytes(floats.length) + floats.length;
  return bytes;
}

/** Bytes a key's collections take on the wire (for size estimates without encoding). */
export function collectionsBytes(collections: readonly Collection[], context: VersionVector): number {
  let bytes = 1 + varintBytes(collections.length);
  for (const collection of collections) {
    bytes += 1 + varintBytes(collection.elements.length);
    if (collection.expiry !== undefined) bytes += expiryBytes(collection.expiry, context);
    for (const element of collection.elements) {
      bytes += elementBytes(element, context, undefined, undefined);
      if (element.counter !== undefined) {
        const length = counterBytes(element.counter);
        bytes += varintBytes(length) + length;
      }
      if (element.floats !== undefined) {
        const length = floatCounterBytes(element.floats);
        bytes += varintBytes(length) + length;
      }
    }
  }
  return bytes;
}

export function encodeCollections(collections: readonly Collection[], context: VersionVector): Buffer {
  assert(collectionsProblem(collections, context) === undefined, 'encoded collections are canonical');
  const parts: Buffer[] = [];
  const head = Buffer.allocUnsafe(1 + varintBytes(collections.length));
  head[0] = COLLECTIONS_FORMAT_VERSION;
  writeVarint(head, 1, collections.length);
  parts.push(head);
  for (const collection of collections) {
    const header = Buffer.allocUnsafe(1 + varintBytes(collection.elements.length));
    header[0] = COLLECTION_TYPES.indexOf(collection.type) | (collection.expiry === undefined ? 0 : TYPE_FLAG_EXPIRY);
    writeVarint(header, 1, collection.elements.length);
    parts.push(header);
    for (const element of collection.elements) parts.push(encodeElement(element, context));
    if (collection.expiry !== undefined) parts.push(encodeExpiry(collection.expiry, context));
  }
  return Buffer.concat(parts);
}

function expiryBytes(expiry: CollectionExpiry, context: VersionVector): number {
  let bytes = varintBytes(expiry.floorMs) + varintBytes(expiry.settings.length);
  for (const setting of expiry.settings) {
    bytes += varintBytes(actorIndex(context, setting.dot.actor)) + varintBytes(setting.dot.counter) + varintBytes(setting.setAtMs) + 1;
    if (setting.expiresAtMs !== null) bytes += varintBytes(setting.expiresAtMs);
  }
  return bytes;
}

function encodeExpiry(expiry: CollectionExpiry, context: VersionVector): Buffer {
  const target = Buffer.allocUnsafe(expiryBytes(expiry, context));
  let at = writeVarint(target, 0, expiry.floorMs);
  at = writeVarint(target, at, expiry.settings.length);
  for (const setting of expiry.settings) {
    at = writeVarint(target, at, actorIndex(context, setting.dot.actor));
    at = writeVarint(target, at, setting.dot.counter);
    at = writeVarint(target, at, setting.setAtMs);
    target[at++] = setting.expiresAtMs === null ? 0 : 1;
    if (setting.expiresAtMs !== null) at = writeVarint(target, at, setting.expiresAtMs);
  }
  assert(at === target.length, 'size computed before writing matches what was written');
  return target;
}

function readExpiry(reader: ByteReader, context: VersionVector, limits: VersionLimits): CollectionExpiry {
  const floorMs = reader.varint('expiry floorMs');
  const count = reader.varint('expiry setting count');
  if (count > limits.siblingsMax) reader.fail(`${String(count)} expiry settings, more than limits.siblingsMax (${String(limits.siblingsMax)})`);
  const settings: ExpirySetting[] = [];
  for (let s = 0; s < count; s++) {
    const entry = context[reader.varint('expiry actor index')];
    if (entry === undefined) return reader.fail(`expiry setting actor index is not below the context size ${String(context.length)}`);
    const counter = reader.varint('expiry counter');
    const setAtMs = reader.varint('expiry setAtMs');
    const hasExpiry = reader.byte('expiry flag');
    if (hasExpiry > 1) reader.fail(`expiry flag ${String(hasExpiry)} is not 0 or 1`);
    const expiresAtMs = hasExpiry === 1 ? reader.varint('expiresAtMs') : null;
    settings.push({ dot: { actor: entry.actor, counter }, setAtMs, expiresAtMs });
  }
  return { floorMs, settings };
}

function encodeElement(element: Element, context: VersionVector): Buffer {
  const counter = element.counter === undefined ? undefined : encodeCounter(element.counter);
  const floats = element.floats === undefined ? undefined : encodeFloatCounter(element.floats);
  const target = Buffer.allocUnsafe(elementBytes(element, context, counter, floats));
  let at = writeVarint(target, 0, element.member.length);
  target.set(element.member, at);
  at = writeVarint(target, at + element.member.length, element.dots.length);
  for (const entry of element.dots) {
    at = writeVarint(target, at, actorIndex(context, entry.dot.actor));
    at = writeVarint(target, at, entry.dot.counter);
    at = writeVarint(target, at, entry.timestampMs);
    at = writeVarint(target, at, entry.value.length);
    target.set(entry.value, at);
    at += entry.value.length;
  }
  target[at++] = (counter === undefined ? 0 : FLAG_COUNTER) | (floats === undefined ? 0 : FLAG_FLOATS);
  for (const part of [counter, floats]) {
    if (part === undefined) continue;
    at = writeVarint(target, at, part.length);
    target.set(part, at);
    at += part.length;
  }
  assert(at === target.length, 'size computed before writing matches what was written');
  return target;
}

/** Decodes and validates collections from a peer; anything malformed throws RC_ERR_PROTOCOL. */
export function decodeCollections(bytes: Uint8Array, context: VersionVector, limits: VersionLimits): Collection[] {
  const reader = new ByteReader(bytes, 'RC_ERR_PROTOCOL', 'collections');
  const version = reader.byte('format version');
  if (version !== COLLECTIONS_FORMAT_VERSION) reader.fail(`format version ${String(version)} is not ${String(COLLECTIONS_FORMAT_VERSION)}`);
  const count = reader.varint('collection count');
  if (count > COLLECTION_TYPES.length) reader.fail(`${String(count)} collections, more than the ${String(COLLECTION_TYPES.length)} types`);
  const collections: Collection[] = [];
  for (let index = 0; index < count; index++) {
    const typeByte = reader.byte('type');
    const type = COLLECTION_TYPES[typeByte & ~TYPE_FLAG_EXPIRY];
    if (type === undefined) return reader.fail(`collection ${String(index)} has an unknown type (a peer running another release?)`);
    const elementCount = reader.varint('element count');
    if (elementCount > limits.collectionElementsMax) {
      reader.fail(`${String(elementCount)} elements, more than limits.collectionElementsMax (${String(limits.collectionElementsMax)})`);
    }
    const elements: Element[] = [];
    for (let e = 0; e < elementCount; e++) elements.push(readElement(reader, context, limits, e));
    const expiry = (typeByte & TYPE_FLAG_EXPIRY) === 0 ? undefined : readExpiry(reader, context, limits);
    collections.push(collectionWith(type, elements, expiry));
  }
  reader.expectEnd();
  const problem = collectionsProblem(collections, context);
  if (problem !== undefined) reader.fail(problem);
  return collections;
}

function readElement(reader: ByteReader, context: VersionVector, limits: VersionLimits, index: number): Element {
  reader.locate('element', index);
  const memberLength = reader.varint('member length');
  if (memberLength > limits.memberBytesMax) reader.fail(`element ${String(index)} member is ${String(memberLength)} bytes, more than limits.memberBytesMax (${String(limits.memberBytesMax)})`);
  const memberStart = reader.skip(memberLength, 'member');
  const member = reader.bytes.subarray(memberStart, memberStart + memberLength);
  const dotCount = reader.varint('dot count');
  if (dotCount > limits.siblingsMax) reader.fail(`element ${String(index)} has ${String(dotCount)} dots, more than limits.siblingsMax (${String(limits.siblingsMax)})`);
  const dots: ElementDot[] = [];
  for (let d = 0; d < dotCount; d++) {
    const entry = context[reader.varint('actor index')];
    if (entry === undefined) reader.fail(`element ${String(index)} dot actor index is not below the context size ${String(context.length)}`);
    const counter = reader.varint('counter');
    const timestampMs = reader.varint('timestampMs');
    const valueLength = reader.varint('value length');
    if (valueLength > limits.valueBytesMax) reader.fail(`element ${String(index)} value is ${String(valueLength)} bytes, more than limits.valueBytesMax (${String(limits.valueBytesMax)})`);
    const valueStart = reader.skip(valueLength, 'value');
    dots.push({ dot: { actor: entry.actor, counter }, value: reader.bytes.subarray(valueStart, valueStart + valueLength), timestampMs });
  }
  const flags = reader.byte('flags');
  if ((flags & ~(FLAG_COUNTER | FLAG_FLOATS)) !== 0) reader.fail(`element ${String(index)} has unknown flag bits 0x${flags.toString(16)}`);
  if (flags === 0) return { member, dots };
  let element: Element = { member, dots };
  if ((flags & FLAG_COUNTER) !== 0) {
    const length = reader.varint('counter length');
    const start = reader.skip(length, 'counter');
    element = { ...element, counter: decodeCounter(reader.bytes.subarray(start, start + length), limits) };
  }
  if ((flags & FLAG_FLOATS) !== 0) {
    const length = reader.varint('float counter length');
    const start = reader.skip(length, 'float counter');
    element = { ...element, floats: decodeFloatCounter(reader.bytes.subarray(start, start + length), limits) };
  }
  return element;
}

/** The value of every set member: one shared empty buffer, so a member costs no value of its own. */
export const EMPTY_VALUE: Uint8Array = new Uint8Array(0);

function owned(value: Uint8Array): Uint8Array {
  return value.byteLength === 0 ? EMPTY_VALUE : new Uint8Array(value);
}

/** Every member and value copied into its own buffer: decoded ones are views of a frame. */
export function copyCollections(collections: readonly Collection[]): Collection[] {
  return collections.map((collection) => collectionWith(
    collection.type,
    collection.elements.map((element): Element => {
      const dots = element.dots.map((entry) => ({ ...entry, value: owned(entry.value) }));
      const member = new Uint8Array(element.member);
      // Counters hold no buffer views: they are shared as they are.
      return { ...element, member, dots };
    }),
    // Expiry settings hold no buffer views either.
    collection.expiry,
  ));
}
