import { randomBytes } from 'node:crypto';

/**
 * Randomness, injected. The simulator seeds it so every run replays exactly from its seed.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /**
   * `count` fresh bytes: the process's come from the operating system's CSPRNG (nonces of the
   * internode challenge must not be guessable); the simulator's from its seed.
   */
  bytes(count: number): Buffer;
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counter), 128 bits of state: fast, passes PractRand,
 * and trivially seedable, which is all a simulator needs. Not for secrets.
 */
export class SeededRandom implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    // Mix the high bits of seeds above 2^32 too, then warm up so nearby seeds diverge.
    this.c ^= Math.floor(seed / 0x100000000) >>> 0;
    for (let i = 0; i < 16; i++) this.next();
  }

  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 0x100000000;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  bytes(count: number): Buffer {
    const bytes = Buffer.alloc(count);
    for (let i = 0; i < count; i++) bytes[i] = this.int(256);
    return bytes;
  }
}

/** The process's own randomness (Math.random). */
export class SystemRandom implements Random {
  next(): number {
    return Math.random();
  }

  int(maxExclusive: number): number {
    return Math.floor(Math.random() * maxExclusive);
  }

  bytes(count: number): Buffer {
    return randomBytes(count);
  }
}

/** Fisher-Yates shuffle of a copy. */
export function shuffled<T>(random: Random, items: readonly T[]): T[] {
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const swap = copy[i] as T;
    copy[i] = copy[j] as T;
    copy[j] = swap;
  }
  return copy;
}
