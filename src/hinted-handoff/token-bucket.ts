import { assert } from '../runtime/index.js';
import type { Clock } from '../runtime/index.js';

/**
 * A token bucket on an injected clock: `ratePerSec` tokens a second, at most `burst` saved up.
 * A request larger than the burst is let through once the bucket is full, leaving it in debt,
 * so one large hint is never stuck yet the average rate still holds.
 *
 *   tokens(t) = min(burst, tokens(t0) + ratePerSec * (t - t0) / 1000)
 */
export class TokenBucket {
  private tokens: number;
  private refilledAtMs: number;

  constructor(private readonly clock: Clock, private readonly ratePerSec: number, private readonly burst: number) {
    assert(ratePerSec > 0 && burst > 0, 'a token bucket has a positive rate and burst');
    this.tokens = burst;
    this.refilledAtMs = clock.nowMs();
  }

  /** Takes `amount` tokens and returns 0, or takes nothing and returns the ms to wait before asking again. */
  take(amount: number): number {
    this.refill();
    const needed = Math.min(amount, this.burst);
    if (this.tokens >= needed) {
      this.tokens -= amount;
      return 0;
    }
    return Math.max(1, Math.ceil(((needed - this.tokens) * 1000) / this.ratePerSec));
  }

  private refill(): void {
    const nowMs = this.clock.nowMs();
    const elapsedMs = nowMs - this.refilledAtMs;
    if (elapsedMs <= 0) return;
    this.tokens = Math.min(this.burst, this.tokens + (this.ratePerSec * elapsedMs) / 1000);
    this.refilledAtMs = nowMs;
  }
}
