/**
 * A set of keys with a 4096-slot signature filter in front (length, first, middle and last three
 * bytes): a key whose slot is empty is not in the set, so most lookups on the request path pay a
 * few array reads, not a key-to-text conversion and a map lookup. The near cache and the
 * invalidation sender keep their hot sets in one.
 */
export class KeyFilter {
  private readonly slots = new Uint8Array(FILTER_SLOTS);
  private readonly keys: ReadonlySet<string>;

  /** `keys` as latin1 text (one char a byte). */
  constructor(keys: Iterable<string> = []) {
    this.keys = new Set(keys);
    for (const text of this.keys) this.slots[signature(Buffer.from(text, 'latin1'))] = 1;
  }

  get size(): number {
    return this.keys.size;
  }

  /** False: surely not in the set. True: perhaps (ask `has` with the text). */
  mayHold(key: Uint8Array): boolean {
    return this.slots[signature(key)] !== 0;
  }

  has(text: string): boolean {
    return this.keys.has(text);
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys[Symbol.iterator]();
  }
}

const FILTER_SLOTS = 4096;

function signature(key: Uint8Array): number {
  const length = key.length;
  if (length === 0) return 0;
  // Keys often share a prefix and differ at the end ("user:1041"): the last bytes weigh most.
  const tail = (key[length - 1] ?? 0) | ((key[length - 2] ?? 0) << 8) | ((key[length - 3] ?? 0) << 16);
  const mixed = Math.imul(length, 0x9e3779b1) ^ Math.imul(key[0] ?? 0, 0x85ebca6b) ^ Math.imul(key[length >> 1] ?? 0, 0xc2b2ae35) ^ Math.imul(tail, 0x27d4eb2f);
  return (mixed ^ (mixed >>> 15)) & (FILTER_SLOTS - 1);
}

/** latin1: one char per byte, so distinct keys stay distinct; a Buffer converts without a copy. */
export function keyText(key: Uint8Array): string {
  const buffer = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return buffer.toString('latin1');
}
