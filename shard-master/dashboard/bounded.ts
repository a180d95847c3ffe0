import { assert } from '../../src/runtime/index.js';

/**
 * `work(item)` for every item with at most `parallelMax` in flight; resolves with the results in
 * item order once all have settled. `work` must not throw (the fetchers answer failures as values).
 */
export async function mapBounded<T, R>(items: readonly T[], parallelMax: number, work: (item: T) => Promise<R>): Promise<R[]> {
  assert(Number.isSafeInteger(parallelMax) && parallelMax >= 1, 'parallelMax is a positive integer');
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallelMax, items.length) }, lane));
  return results;
}
