import zipfian from 'zipfian-integer';
import { SeededRandom } from '../src/runtime/index.js';

/**
 * Keys drawn from a Zipf distribution over `keyCount` keys, the shape of real cache traffic and
 * of YCSB's workloads (skew 0.99, Cooper et al., SoCC 2010): with 100,000 keys the hottest key
 * gets ~8% of requests and the top 1% of keys ~60%. Key i is `key:` + i in 12 digits, like
 * redis-benchmark's `-r` keys (16 bytes), so the hottest key is key:000000000000. Values are
 * `valueBytes` bytes (3 by default, as in BENCHMARKS.md).
 *
 * Seeded, so two runs of a benchmark send the same key sequence.
 */
export interface ZipfKeysOptions {
  /** Distinct keys. @default 100000 */
  readonly keyCount?: number;
  /** Zipf exponent; 0 is uniform. @default 0.99 */
  readonly skew?: number;
  /** @default 3 */
  readonly valueBytes?: number;
  /** @default 1 */
  readonly seed?: number;
}

export const ZIPF_DEFAULTS = Object.freeze({ keyCount: 100_000, skew: 0.99, valueBytes: 3, seed: 1 });

const KEY_DIGITS = 12;

export class ZipfKeys {
  readonly keyCount: number;
  readonly skew: number;
  /** The value every SET writes: `valueBytes` of 'x'. */
  readonly value: Buffer;
  private readonly sample: () => number;
  private readonly random: SeededRandom;

  constructor(options: ZipfKeysOptions = {}) {
    this.keyCount = options.keyCount ?? ZIPF_DEFAULTS.keyCount;
    this.skew = options.skew ?? ZIPF_DEFAULTS.skew;
    const valueBytes = options.valueBytes ?? ZIPF_DEFAULTS.valueBytes;
    if (!Number.isSafeInteger(this.keyCount) || this.keyCount < 1) throw new RangeError(`keyCount must be a positive integer, got ${this.keyCount}`);
    if (!Number.isSafeInteger(valueBytes) || valueBytes < 0) throw new RangeError(`valueBytes must be a non-negative integer, got ${valueBytes}`);
    this.value = Buffer.alloc(valueBytes, 'x');
    this.random = new SeededRandom(options.seed ?? ZIPF_DEFAULTS.seed);
    this.sample = zipfian(0, this.keyCount - 1, this.skew, () => this.random.next());
  }

  /** The index of the next key (0 is the hottest). */
  nextIndex(): number {
    return this.sample();
  }

  nextKey(): string {
    return keyName(this.sample());
  }

  /** A uniform draw in [0, 1) from the same seeded stream (the GET/SET choice). */
  nextFraction(): number {
    return this.random.next();
  }
}

export function keyName(index: number): string {
  return `key:${String(index).padStart(KEY_DIGITS, '0')}`;
}
