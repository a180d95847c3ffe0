/**
 * A Prometheus histogram whose hot path is an array increment. prom-client's own `observe`
 * hashes the label object into a string and validates it on every call (~0.3 us and several
 * allocations); at 100k requests/s that is a few percent of the proxy's core spent on metrics.
 * Here each label set is registered once and gets a series number; `observe(series, ms)` finds
 * the bucket in a short array and bumps two numbers. The Prometheus text is built at scrape time.
 *
 *   series 0 (resp, get)  counts [ <=0.5ms | <=1ms | ... | <=10s ]  sum  count
 *   series 1 (resp, set)  counts [ ...                            ]  sum  count
 *
 * It subclasses prom-client's Histogram only so a Registry accepts and serializes it like any
 * other metric (the registry calls `getForPromString()` / `get()`); the parent's storage is unused.
 */
import { Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { assert } from '../runtime/index.js';

/** Upper bounds in ms: sub-ms buckets for in-memory hits, up to the 10 s a stuck quorum can take. */
export const LATENCY_BOUNDS_MS: readonly number[] = Object.freeze([0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000]);

interface SeriesState {
  readonly labels: Readonly<Record<string, string>>;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

interface ExportedValue {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
}

export class LatencyHistogram<T extends string> extends Histogram<T> {
  private readonly series: SeriesState[] = [];
  private readonly boundsMs: readonly number[];
  private readonly boundLabels: readonly string[];

  constructor(registry: Registry, private readonly metricName: string, private readonly metricHelp: string, labelNames: readonly T[], boundsMs: readonly number[] = LATENCY_BOUNDS_MS) {
    super({ name: metricName, help: metricHelp, labelNames, registers: [registry] });
    assert(boundsMs.length > 0 && boundsMs.every((bound, i) => i === 0 || bound > (boundsMs[i - 1] ?? 0)), 'histogram bounds are increasing');
    this.boundsMs = boundsMs;
    this.boundLabels = boundsMs.map((bound) => String(bound / 1000));
  }

  /** Registers one label set; returns its series number for `observeMs`. Call at start-up. */
  addSeries(labels: Readonly<Record<T, string>>): number {
    this.series.push({ labels, counts: new Float64Array(this.boundsMs.length), sum: 0, count: 0 });
    return this.series.length - 1;
  }

  observeMs(series: number, elapsedMs: number): void {
    const state = this.series[series];
    if (state === undefined) return;
    const bounds = this.boundsMs;
    let index = 0;
    while (index < bounds.length && elapsedMs > (bounds[index] as number)) index++;
    if (index < bounds.length) state.counts[index] = (state.counts[index] as number) + 1;
    state.sum += elapsedMs;
    state.count++;
  }

  override reset(): void {
    super.reset();
    // The parent's constructor calls reset() before this class's fields exist.
    const series = this.series as SeriesState[] | undefined;
    for (const state of series ?? []) {
      state.counts.fill(0);
      state.sum = 0;
      state.count = 0;
    }
  }

  /** What the registry serializes (it prefers this over get()). */
  getForPromString(): ReturnType<Histogram<T>['get']> {
    return this.get();
  }

  override get(): ReturnType<Histogram<T>['get']> {
    const values: ExportedValue[] = [];
    for (const state of this.series) {
      if (state.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i < this.boundsMs.length; i++) {
        cumulative += state.counts[i] as number;
        values.push({ value: cumulative, labels: { ...state.labels, le: this.boundLabels[i] as string }, metricName: `${this.metricName}_bucket` });
      }
      values.push({ value: state.count, labels: { ...state.labels, le: '+Inf' }, metricName: `${this.metricName}_bucket` });
      values.push({ value: state.sum / 1000, labels: { ...state.labels }, metricName: `${this.metricName}_sum` });
      values.push({ value: state.count, labels: { ...state.labels }, metricName: `${this.metricName}_count` });
    }
    const metric = { name: this.metricName, help: this.metricHelp, type: 'histogram', aggregator: 'sum', values };
    // The registry reads these fields; prom-client's typings name `type` with a const enum it does not export.
    return Promise.resolve(metric as unknown as Awaited<ReturnType<Histogram<T>['get']>>);
  }
}
