/**
 * A percentile from a bucketed latency histogram, as Prometheus's histogram_quantile computes it:
 * find the bucket where the cumulative count reaches q x total and interpolate linearly inside it
 * (the first bucket starts at 0). Past the last bound there is no upper edge: the answer is that
 * bound, a floor. Pure; used by the proxies for their load reports and by the shard-master for
 * the nodes' figures.
 *
 *   counts:  [ <=b0 | <=b1 | ... | <=bK | above bK ]   one per bound, plus one above the last
 */

/** null when the histogram is empty. */
export function quantileMs(boundsMs: readonly number[], counts: readonly number[], q: number): number | null {
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    const inBucket = counts[i] ?? 0;
    if (inBucket > 0 && cumulative + inBucket >= rank) {
      const upper = boundsMs[i];
      if (upper === undefined) return boundsMs.at(-1) ?? null;
      const lower = i === 0 ? 0 : boundsMs[i - 1] ?? 0;
      return lower + (upper - lower) * ((rank - cumulative) / inBucket);
    }
    cumulative += inBucket;
  }
  return boundsMs.at(-1) ?? null;
}
