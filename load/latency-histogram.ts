/**
 * Latencies in microseconds, in log-linear buckets like HdrHistogram (Gil Tene): exact below
 * 128 us, then 64 buckets per power of two, so any recorded value is reported within 1/64 (1.6%)
 * of itself. 1,700 counters cover 1 us .. 35 minutes; recording is a few integer operations, so
 * the load driver measuring every request is not what limits it.
 *
 *   index:   0 .. 127          128 .. 191        192 .. 255        ...
 *   values:  0 .. 127 (exact)  128 .. 255 (/2)   256 .. 511 (/4)   ... (bucket width doubles)
 */
const EXACT_MAX = 128;
const SUB_BUCKETS = 64;
const SUB_BITS = 6;
const VALUE_MAX = 0x7fffffff;
const BUCKET_COUNT = EXACT_MAX + (31 - SUB_BITS) * SUB_BUCKETS;

function bucketOf(value: number): number {
  if (value < EXACT_MAX) return value;
  const shift = 31 - Math.clz32(value) - SUB_BITS; // value >>> shift lands in [64, 127]
  return EXACT_MAX + (shift - 1) * SUB_BUCKETS + ((value >>> shift) - SUB_BUCKETS);
}

/** The highest value that lands in `bucket` (percentiles are reported conservatively). */
function bucketHigh(bucket: number): number {
  if (bucket < EXACT_MAX) return bucket;
  const offset = bucket - EXACT_MAX;
  const shift = Math.floor(offset / SUB_BUCKETS) + 1;
  const mantissa = (offset % SUB_BUCKETS) + SUB_BUCKETS;
  return (mantissa + 1) * 2 ** shift - 1;
}

export interface LatencySummary {
  readonly count: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  count = 0;
  private sumUs = 0;
  private maxUs = 0;

  /** Records one latency; negative or fractional microseconds are rounded into range. */
  record(latencyUs: number): void {
    const value = Math.min(VALUE_MAX, Math.max(0, Math.round(latencyUs)));
    this.counts[bucketOf(value)]! += 1;
    this.count++;
    this.sumUs += value;
    if (value > this.maxUs) this.maxUs = value;
  }

  /** Records `times` requests of the same latency (the replies of one socket read). */
  recordMany(latencyUs: number, times: number): void {
    const value = Math.min(VALUE_MAX, Math.max(0, Math.round(latencyUs)));
    this.counts[bucketOf(value)]! += times;
    this.count += times;
    this.sumUs += value * times;
    if (value > this.maxUs) this.maxUs = value;
  }

  /** The value at quantile q in [0, 1]: the smallest bucket whose cumulative count reaches q. */
  valueAt(quantile: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(quantile * this.count));
    let seen = 0;
    for (let bucket = 0; bucket < BUCKET_COUNT; bucket++) {
      seen += this.counts[bucket]!;
      if (seen >= rank) return Math.min(bucketHigh(bucket), this.maxUs);
    }
    return this.maxUs;
  }

  add(other: LatencyHistogram): void {
    for (let bucket = 0; bucket < BUCKET_COUNT; bucket++) this.counts[bucket]! += other.counts[bucket]!;
    this.count += other.count;
    this.sumUs += other.sumUs;
    this.maxUs = Math.max(this.maxUs, other.maxUs);
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sumUs = 0;
    this.maxUs = 0;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      meanUs: this.count === 0 ? 0 : this.sumUs / this.count,
      p50Us: this.valueAt(0.5),
      p99Us: this.valueAt(0.99),
      p999Us: this.valueAt(0.999),
      maxUs: this.maxUs,
    };
  }
}
