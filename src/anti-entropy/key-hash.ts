/**
 * The hash of one key's state, the unit the Merkle trees XOR together (merkle-tree.ts).
 *
 *   position(key)       = H(key bytes)                                  where the key sits in its tree
 *   stateHash(key, s)   = H(key bytes | context (actor, counter)... | sibling dots (actor index, counter)...
 *                           | the counter's lanes and offsets (actor, dot counter, added, removed)..., if any
 *                           | per collection: type, per element: member bytes, dots, its counter's lanes, if any)
 *
 * What identifies a state: its context and its siblings' dots, never its values. A dot names
 * exactly one write (its value, timestamp and expiry), so two replicas holding the same context
 * and the same dots hold the same state; a key's counter (INCR) is joined apart from the dots, so
 * its lanes are hashed too. That is also exactly what `versionsEqual` compares and what `merge`
 * calls "unchanged": a hash that covered more (the value bytes) could show a difference that no
 * merge would ever repair, and one that covered less would hide a real one.
 * Not hashing values keeps the cost per write independent of the value size (measured in the
 * anti-entropy benchmark: `npm run bench -- anti-entropy`).
 *
 * H is a 64-bit hash made of two 32-bit multiply-rotate lanes (MurmurHash3's construction, run
 * twice with different constants, crossed and avalanched at the end), computed in plain 32-bit
 * integer arithmetic: no buffer to fill, no call into WebAssembly, no BigInt. Measured on this
 * machine: about a fifth of the cost of xxhash-wasm's h64 over the same bytes. It guards against
 * accident, not malice: a peer is trusted not to forge collisions (the cluster token admits it).
 */
import { assert } from '../runtime/index.js';
import type { Collection, CounterLane, FloatLane } from '../datatypes/index.js';
import type { VectorEntry, Versioned } from '../version/index.js';

const A1 = 0xcc9e2d51;
const A2 = 0x1b873593;
const B1 = 0x239b961b;
const B2 = 0xab0e9789;
const TWO_POW_32 = 0x100000000;
/** Scratch for a double's bits (hashing is synchronous, so one view serves every hash). */
const FLOAT_BITS = new DataView(new ArrayBuffer(8));

function rotl(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

/** MurmurHash3's 32-bit finalizer: every input bit flips each output bit with probability ~1/2. */
export function avalanche32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hashes keys and states without allocating: `beginKey` absorbs the key and returns its
 * position, then `hashState` (any number of times, for the state before and after a change)
 * leaves the 64-bit result in `hi` and `lo`. One instance per owner; not reentrant.
 */
export class StateHasher {
  /** The last stateHash, as two unsigned 32-bit halves. */
  hi = 0;
  lo = 0;
  private keyA = 0;
  private keyB = 0;
  private keyWords = 0;
  private a = 0;
  private b = 0;
  private words = 0;

  /** Absorbs the key; returns its 32-bit position (a function of the key bytes alone). */
  beginKey(key: Uint8Array): number {
    this.a = 0x9e3779b9;
    this.b = 0x7f4a7c15;
    this.words = 0;
    this.word(key.length);
    const length = key.length;
    let at = 0;
    for (; at + 4 <= length; at += 4) {
      this.word((key[at] as number) | ((key[at + 1] as number) << 8) | ((key[at + 2] as number) << 16) | ((key[at + 3] as number) << 24));
    }
    if (at < length) {
      let tail = 0;
      for (let shift = 0; at < length; at++, shift += 8) tail |= (key[at] as number) << shift;
      this.word(tail);
    }
    this.keyA = this.a;
    this.keyB = this.b;
    this.keyWords = this.words;
    return avalanche32(this.a ^ rotl(this.b, 11) ^ Math.imul(this.words, 0x27d4eb2f));
  }

  /** Hashes the state's identity after the key of the last `beginKey`; the result is in hi/lo. */
  hashState(versioned: Versioned): void {
    this.a = this.keyA;
    this.b = this.keyB;
    this.words = this.keyWords;
    const { context, siblings } = versioned;
    this.word(context.length);
    for (const entry of context) {
      this.text(entry.actor);
      this.counter(entry.counter);
    }
    this.word(siblings.length);
    // A sibling's actor is named by its index in the context: both are sorted, so one walk finds
    // every index (as the wire codec does), and no actor string is hashed twice.
    let contextIndex = 0;
    for (const sibling of siblings) {
      const actor = sibling.dot.actor;
      while (contextIndex < context.length && (context[contextIndex] as VectorEntry).actor !== actor) contextIndex++;
      assert(contextIndex < context.length, 'every sibling has its actor in the context (a canonical state)');
      this.word(contextIndex);
      this.counter(sibling.dot.counter);
    }
    const counter = versioned.counter;
    if (counter !== undefined) {
      // A marker word, so a state with a counter never hashes as the same words without one.
      this.word(0x434e5452);
      this.lanes(counter.lanes);
      this.lanes(counter.offsets);
    }
    // Collections join apart from the siblings too: hashed by member and dot (never by value,
    // for the reason above), so replicas differing in one add are told apart and repaired.
    if (versioned.collections !== undefined) this.collections(versioned.collections);
    this.finish();
  }

  private collections(collections: readonly Collection[]): void {
    this.word(0x434f4c4c);
    this.word(collections.length);
    for (const collection of collections) {
      this.text(collection.type);
      this.word(collection.elements.length);
      // Only present with an expiry: collections without one hash as before.
      if (collection.expiry !== undefined) {
        this.word(0x45585052);
        this.counter(collection.expiry.floorMs);
        this.word(collection.expiry.settings.length);
        for (const setting of collection.expiry.settings) {
          this.text(setting.dot.actor);
          this.counter(setting.dot.counter);
        }
      }
      for (const element of collection.elements) {
        this.bytes(element.member);
        this.word(element.dots.length);
        for (const entry of element.dots) {
          this.text(entry.dot.actor);
          this.counter(entry.dot.counter);
        }
        if (element.counter === undefined) {
          this.word(0);
        } else {
          this.word(1);
          this.lanes(element.counter.lanes);
          this.lanes(element.counter.offsets);
        }
        // Only present when it counted: states without float counters hash as before.
        if (element.floats !== undefined) {
          this.word(0x464c5420);
          this.floatLanes(element.floats.lanes);
          this.floatLanes(element.floats.offsets);
        }
      }
    }
  }

  /** Bytes as little-endian words, after their length. */
  private bytes(value: Uint8Array): void {
    const length = value.length;
    this.word(length);
    let at = 0;
    for (; at + 4 <= length; at += 4) {
      this.word((value[at] as number) | ((value[at + 1] as number) << 8) | ((value[at + 2] as number) << 16) | ((value[at + 3] as number) << 24));
    }
    if (at < length) {
      let tail = 0;
      for (let shift = 0; at < length; at++, shift += 8) tail |= (value[at] as number) << shift;
      this.word(tail);
    }
  }

  /** A double's 8 bytes as two words: the same sum on every replica gives the same bits. */
  private floatLanes(lanes: readonly FloatLane[]): void {
    this.word(lanes.length);
    for (const lane of lanes) {
      this.text(lane.actor);
      this.counter(lane.counter);
      FLOAT_BITS.setFloat64(0, lane.sum);
      this.word(FLOAT_BITS.getUint32(0));
      this.word(FLOAT_BITS.getUint32(4));
    }
  }

  private lanes(lanes: readonly CounterLane[]): void {
    this.word(lanes.length);
    for (const lane of lanes) {
      this.text(lane.actor);
      this.counter(lane.counter);
      this.sum(lane.added);
      this.sum(lane.removed);
    }
  }

  /** A lane's sum, 0 .. 2^64 - 1: both 32-bit halves. */
  private sum(value: bigint): void {
    this.word(Number(BigInt.asUintN(32, value)));
    this.word(Number(BigInt.asUintN(32, value >> 32n)));
  }

  /**
   * A string as words: four code units a word when all are below 256 (server ids and actors are
   * ASCII), else two; the length word says which (bit 31), so the two packings never collide.
   */
  private text(value: string): void {
    const length = value.length;
    let narrow = true;
    for (let at = 0; at < length; at++) {
      if (value.charCodeAt(at) > 0xff) {
        narrow = false;
        break;
      }
    }
    if (narrow) {
      this.word(length);
      let at = 0;
      for (; at + 4 <= length; at += 4) {
        this.word(value.charCodeAt(at) | (value.charCodeAt(at + 1) << 8) | (value.charCodeAt(at + 2) << 16) | (value.charCodeAt(at + 3) << 24));
      }
      let tail = 0;
      for (let shift = 0; at < length; at++, shift += 8) tail |= value.charCodeAt(at) << shift;
      if (length % 4 !== 0) this.word(tail);
      return;
    }
    this.word(length | 0x80000000);
    let at = 0;
    for (; at + 2 <= length; at += 2) this.word(value.charCodeAt(at) | (value.charCodeAt(at + 1) << 16));
    if (at < length) this.word(value.charCodeAt(at));
  }

  /** Counters go up to 2^53 - 1: both 32-bit halves. */
  private counter(value: number): void {
    this.word(value >>> 0);
    this.word(Math.floor(value / TWO_POW_32));
  }

  private word(value: number): void {
    let k = Math.imul(value, A1);
    k = rotl(k, 15);
    this.a ^= Math.imul(k, A2);
    this.a = (Math.imul(rotl(this.a, 13), 5) + 0xe6546b64) | 0;
    let j = Math.imul(value, B1);
    j = rotl(j, 16);
    this.b ^= Math.imul(j, B2);
    this.b = (Math.imul(rotl(this.b, 17), 5) + 0x561ccd1b) | 0;
    this.words++;
  }

  private finish(): void {
    let a = this.a ^ this.words;
    let b = this.b ^ Math.imul(this.words, 0x165667b1);
    a = (a + b) | 0;
    b = (b + a) | 0;
    a = avalanche32(a);
    b = avalanche32(b);
    a = (a + b) | 0;
    b = (b + a) | 0;
    this.hi = a >>> 0;
    this.lo = b >>> 0;
  }
}
