/**
 * Time, injected. Only this folder touches `Date.now`, `setTimeout` and friends, so the whole
 * cluster also runs on the simulator's virtual clock (STYLE.md practice 3).
 */

import { performance } from 'node:perf_hooks';

/** A scheduled callback; `cancel()` is idempotent. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch (timestamps of versions, absolute TTLs). */
  nowMs(): number;
  /**
   * Milliseconds, fractional, from an arbitrary origin, never going backwards: for measuring how
   * long something took. Why not nowMs(): Date.now has 1 ms resolution (a 0.3 ms request reads as
   * 0 or 1 ms, so sub-millisecond latency buckets are noise) and jumps when the wall clock is set.
   */
  monotonicMs(): number;
  /** Runs `callback` once after `delayMs`. The timer never keeps a process alive. */
  schedule(delayMs: number, callback: () => void): Timer;
  /** Resolves after `delayMs`; a convenience over `schedule`. */
  sleep(delayMs: number): Promise<void>;
}

/** The real clock of a process. */
export class SystemClock implements Clock {
  nowMs(): number {
    return Date.now();
  }

  monotonicMs(): number {
    // performance.now: a monotonic clock with microsecond resolution or better, no allocation
    // (process.hrtime.bigint allocates a BigInt per call).
    return performance.now();
  }

  schedule(delayMs: number, callback: () => void): Timer {
    const handle = setTimeout(callback, Math.max(0, delayMs));
    handle.unref();
    return { cancel: () => { clearTimeout(handle); } };
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      // A sleeping caller is waiting on purpose, so this timer keeps the process alive.
      setTimeout(resolve, Math.max(0, delayMs));
    });
  }
}

/** Repeats `callback` every `intervalMs` on any clock; returns the timer that stops it. */
export function every(clock: Clock, intervalMs: number, callback: () => void): Timer {
  let current: Timer | undefined;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    current = clock.schedule(intervalMs, () => {
      if (stopped) return;
      callback();
      tick();
    });
  };
  tick();
  return {
    cancel: () => {
      stopped = true;
      current?.cancel();
    },
  };
}

/** Defers `callback` to the next turn of the event loop (batching point for sockets). */
export function deferToNextTurn(callback: () => void): void {
  setImmediate(callback);
}
