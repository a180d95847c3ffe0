import { RingcacheError, asRingcacheError, assert } from '../runtime/index.js';

/** How a batch of per-key tasks ended. */
export interface BatchOutcome {
  readonly failures: number;
  /** The failure of the lowest-numbered task that failed. */
  readonly firstError: unknown;
}

/**
 * Runs `task(0) .. task(count - 1)` with at most `parallelMax` in flight, and resolves once every
 * task has settled (never early: a multi-key command answers after all its keys are done, so a
 * reply never races writes still in flight). Multi-key commands (DEL, EXISTS, MGET, MSET) use it
 * so one huge command cannot flood the internode links (ProxyOptions.multiKeyParallelMax).
 */
export function runBounded(count: number, parallelMax: number, task: (index: number) => Promise<void>): Promise<BatchOutcome> {
  assert(Number.isSafeInteger(parallelMax) && parallelMax >= 1, 'parallelMax is a positive integer');
  if (count === 0) return Promise.resolve({ failures: 0, firstError: undefined });
  return new Promise((resolve) => {
    let next = 0;
    let settled = 0;
    let failures = 0;
    let firstIndex = Number.POSITIVE_INFINITY;
    let firstError: unknown;
    const launch = (): void => {
      const index = next++;
      let promise: Promise<void>;
      try {
        promise = task(index);
      } catch (error) {
        promise = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      promise.then(done, (error: unknown) => {
        failures++;
        if (index < firstIndex) {
          firstIndex = index;
          firstError = error;
        }
        done();
      });
    };
    const done = (): void => {
      settled++;
      if (settled === count) resolve({ failures, firstError });
      else if (next < count) launch();
    };
    const initial = Math.min(count, parallelMax);
    for (let i = 0; i < initial; i++) launch();
  });
}

/**
 * The error of a multi-key command some of whose keys failed: the first failure's code, with how
 * many failed. One key: its error unchanged.
 */
export function batchError(command: string, outcome: BatchOutcome, count: number): RingcacheError {
  const first = asRingcacheError(outcome.firstError, command);
  if (count === 1) return first;
  return new RingcacheError(first.code, `${command}: ${String(outcome.failures)} of ${String(count)} keys failed; first: ${first.message}`,
    { ...first.details, failedKeys: outcome.failures, keys: count });
}
