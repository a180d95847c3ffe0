/**
 * An honest estimate of the heap a state holds, for storage.bytesMax. Measured on Node 20 (x64,
 * no pointer compression) with `--expose-gc` over 200k objects:
 *
 *   Versioned { context, siblings } + its two arrays          ~ 120 B
 *   vector entry { actor, counter } + array slot              ~  48 B  + actor string (16 B + chars)
 *   sibling { dot, value, timestampMs, expiresAtMs } + dot     ~ 120 B  (timestamps are heap numbers)
 *   Uint8Array with its own ArrayBuffer                       ~ 208 B  + the value bytes
 *
 * Collections (hashes, sets, sorted sets) are built of the same pieces: an element { member,
 * dots } with its dots array is counted like a sibling, each add { dot, value, timestampMs } like
 * a sibling too, and members and values like any Uint8Array. An empty value (every set member's)
 * is one shared buffer, so it costs nothing.
 *
 * Counting only value bytes would let a cache of 10-byte values use 40x its budget.
 */
import type { Versioned } from './types.js';
import { counterBytes } from '../datatypes/counter-codec.js';
import { floatCounterBytes } from '../datatypes/float-counter-codec.js';
import type { CounterState } from '../datatypes/pn-counter.js';
import type { Collection } from '../datatypes/or-map.js';

export const VERSIONED_OVERHEAD_BYTES = 120;
export const VECTOR_ENTRY_OVERHEAD_BYTES = 48;
/** V8's sequential string header; actors are one-byte strings, one byte per character. */
export const STRING_OVERHEAD_BYTES = 16;
export const SIBLING_OVERHEAD_BYTES = 120;
export const VALUE_OVERHEAD_BYTES = 208;

export function versionedBytes(versioned: Versioned): number {
  let bytes = VERSIONED_OVERHEAD_BYTES;
  for (const entry of versioned.context) {
    bytes += VECTOR_ENTRY_OVERHEAD_BYTES + STRING_OVERHEAD_BYTES + entry.actor.length;
  }
  for (const sibling of versioned.siblings) {
    bytes += SIBLING_OVERHEAD_BYTES;
    if (sibling.value !== null) bytes += VALUE_OVERHEAD_BYTES + sibling.value.byteLength;
  }
  if (versioned.counter !== undefined) bytes += counterHeapBytes(versioned.counter);
  if (versioned.collections !== undefined) bytes += collectionsHeapBytes(versioned.collections);
  return bytes;
}

/** A counter: its wire bytes plus ~120 B per lane or offset object (an estimate, not measured as above). */
function counterHeapBytes(counter: CounterState): number {
  return VERSIONED_OVERHEAD_BYTES + counterBytes(counter) + 120 * (counter.lanes.length + counter.offsets.length);
}

function bufferBytes(value: Uint8Array): number {
  return value.byteLength === 0 ? 0 : VALUE_OVERHEAD_BYTES + value.byteLength;
}

function collectionsHeapBytes(collections: readonly Collection[]): number {
  let bytes = 0;
  for (const collection of collections) {
    bytes += VERSIONED_OVERHEAD_BYTES;
    if (collection.expiry !== undefined) bytes += VERSIONED_OVERHEAD_BYTES + SIBLING_OVERHEAD_BYTES * collection.expiry.settings.length;
    for (const element of collection.elements) {
      bytes += SIBLING_OVERHEAD_BYTES + bufferBytes(element.member);
      for (const entry of element.dots) bytes += SIBLING_OVERHEAD_BYTES + bufferBytes(entry.value);
      if (element.counter !== undefined) bytes += counterHeapBytes(element.counter);
      if (element.floats !== undefined) bytes += VERSIONED_OVERHEAD_BYTES + floatCounterBytes(element.floats) + 120 * (element.floats.lanes.length + element.floats.offsets.length);
    }
  }
  return bytes;
}
