/**
 * A Prometheus histogram whose hot path is an array increment. prom-client's own `observe`
 * hashes the label object into a string and validates it on every call (~0.3 us and several
 * allocations); at 100k requests/s that is a few percent of the proxy's core spent on metrics.
 * Here each label set is registered once and gets a series number; `observeMs(series, ms)` finds
 * the bucket in a short array and bumps two numbers. The Prometheus text is built at scrape time.
 *
 *   series 0 (resp, get)  counts [ <=0.25ms | <=0.5ms | ... | <=10s ]  sum  count
 *   series 1 (resp, set)  counts [ ...                              ]  sum  count
 *
 * Observations are milliseconds (Clock.monotonicMs differences, fractional); the exported
 * buckets, sum and name are in seconds, as Prometheus wants.
 *
 * It subclasses prom-client's Histogram only so a Registry accepts and serializes it like any
 * other metric (the registry calls `getForPromString()` / `get()`); the parent's storage is unused.
 */
import { Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { assert } from '../runtime/index.js';

/** Upper bounds in ms: sub-ms buckets for in-memory hits, up to the 10 s a stuck quorum can take. */
export const LATENCY_BOUNDS_MS: readonly number[] = Object.freeze([0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000]);

/**
 * Counts of one series, by bucket: a plain object with no prom-client in it, so a component can
 * keep its own (a node's request handler) and a LatencyHistogram exports them at scrape time.
 */
export class LatencyBuckets {
  /** counts[i]: observations in (bounds[i-1], bounds[i]]; above the last bound only in count. */
  readonly counts: Float64Array;
  sumMs = 0;
  count = 0;

  constructor(readonly boundsMs: readonly number[] = LATENCY_BOUNDS_MS) {
    checkBounds(boundsMs);
    this.counts = new Float64Array(boundsMs.length);
  }

  observeMs(elapsedMs: number): void {
    const bounds = this.boundsMs;
    let index = 0;
    while (index < bounds.length && elapsedMs > (bounds[index] as number)) index++;
    if (index < bounds.length) this.counts[index] = (this.counts[index] as number) + 1;
    this.sumMs += elapsedMs;
    this.count++;
  }

  reset(): void {
    this.counts.fill(0);
    this.sumMs = 0;
    this.count = 0;
  }
}

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly buckets: LatencyBuckets;
}

interface ExportedValue {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
}

export interface LatencyHistogramOptions<T extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly T[];
  readonly boundsMs?: readonly number[];
  /**
   * Series kept elsewhere (LatencyBuckets owned by another component), read at every scrape
   * besides those made by addSeries. Each must use this histogram's bounds.
   */
  readonly source?: () => Iterable<readonly [Readonly<Record<T, string>>, LatencyBuckets]>;
}

export class LatencyHistogram<T extends string> extends Histogram<T> {
  private readonly series: Series[] = [];
  private readonly boundsMs: readonly number[];
  private readonly boundLabels: readonly string[];
  private readonly metricName: string;
  private readonly metricHelp: string;
  private readonly source: LatencyHistogramOptions<T>['source'];

  constructor(registry: Registry, options: LatencyHistogramOptions<T>) {
    super({ name: options.name, help: options.help, labelNames: options.labelNames, registers: [registry] });
    this.metricName = options.name;
    this.metricHelp = options.help;
    this.boundsMs = options.boundsMs ?? LATENCY_BOUNDS_MS;
    this.source = options.source;
    checkBounds(this.boundsMs);
    this.boundLabels = this.boundsMs.map((bound) => String(bound / 1000));
  }

  /** Registers one label set; returns its series number for `observeMs`. Call at start-up. */
  addSeries(labels: Readonly<Record<T, string>>): number {
    this.series.push({ labels, buckets: new LatencyBuckets(this.boundsMs) });
    return this.series.length - 1;
  }

  observeMs(series: number, elapsedMs: number): void {
    this.series[series]?.buckets.observeMs(elapsedMs);
  }

  /**
   * Every series of this histogram summed, cumulative since start: one count per bound plus one
   * above the last (the layout quantileMs reads). A walk over series x bounds, for a report every
   * second or so; observeMs is untouched by it.
   */
  totalCounts(): number[] {
    const counts = new Array<number>(this.boundsMs.length + 1).fill(0);
    for (const { buckets } of this.series) {
      let inBounds = 0;
      for (let i = 0; i < this.boundsMs.length; i++) {
        const n = buckets.counts[i] as number;
        counts[i] = (counts[i] as number) + n;
        inBounds += n;
      }
      counts[this.boundsMs.length] = (counts[this.boundsMs.length] as number) + buckets.count - inBounds;
    }
    return counts;
  }

  /** The upper bounds of the buckets, in ms. */
  get bucketBoundsMs(): readonly number[] {
    return this.boundsMs;
  }

  override reset(): void {
    super.reset();
    // The parent's constructor calls reset() before this class's fields exist.
    const series = this.series as Series[] | undefined;
    for (const state of series ?? []) state.buckets.reset();
  }

  /** What the registry serializes (it prefers this over get()). */
  getForPromString(): ReturnType<Histogram<T>['get']> {
    return this.get();
  }

  override get(): ReturnType<Histogram<T>['get']> {
    const values: ExportedValue[] = [];
    for (const { labels, buckets } of this.series) this.export(labels, buckets, values);
    for (const [labels, buckets] of this.source?.() ?? []) {
      assert(buckets.boundsMs === this.boundsMs || buckets.boundsMs.every((bound, i) => bound === this.boundsMs[i]), `${this.metricName}: a source series has other bounds`);
      this.export(labels, buckets, values);
    }
    const metric = { name: this.metricName, help: this.metricHelp, type: 'histogram', aggregator: 'sum', values };
    // The registry reads these fields; prom-client's typings name `type` with a const enum it does not export.
    return Promise.resolve(metric as unknown as Awaited<ReturnType<Histogram<T>['get']>>);
  }

  private export(labels: Readonly<Record<string, string>>, buckets: LatencyBuckets, values: ExportedValue[]): void {
    if (buckets.count === 0) return;
    let cumulative = 0;
    for (let i = 0; i < this.boundsMs.length; i++) {
      cumulative += buckets.counts[i] as number;
      values.push({ value: cumulative, labels: { ...labels, le: this.boundLabels[i] as string }, metricName: `${this.metricName}_bucket` });
    }
    values.push({ value: buckets.count, labels: { ...labels, le: '+Inf' }, metricName: `${this.metricName}_bucket` });
    values.push({ value: buckets.sumMs / 1000, labels: { ...labels }, metricName: `${this.metricName}_sum` });
    values.push({ value: buckets.count, labels: { ...labels }, metricName: `${this.metricName}_count` });
  }
}

function checkBounds(boundsMs: readonly number[]): void {
  assert(boundsMs.length > 0 && boundsMs.every((bound, i) => i === 0 || bound > (boundsMs[i - 1] ?? 0)), 'histogram bounds are increasing');
}
