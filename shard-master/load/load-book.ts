/**
 * The master's view of the load (DESIGN.md section 6): per reporter (a proxy, a client library),
 * an exponentially weighted moving average of its per-vnode rates; the cluster's load is the sum
 * over reporters. Per server it is derived from that with the replica load model (load-model.ts),
 * so the figures GET /v1/load shows are the ones the planner balances.
 *
 *   report (counts over intervalMs) -> rate = count / interval
 *   ewma += alpha * (rate - ewma),   alpha = 1 - 2^(-intervalMs / halfLifeMs)
 *   a reporter's first report sets its ewma to the rate (a new proxy counts at once)
 *
 * A reporter that falls silent decays with the same half-life from its last report (a stopped
 * proxy's load fades instead of staying forever) and is forgotten once below 1/1024 of it.
 * Memory is bounded: at most reportersMax reporters (a new one past it is refused with
 * RC_ERR_OVERLOADED) of 4 x V numbers and hotKeysMax keys each.
 */
import { RingcacheError } from '../../src/runtime/index.js';
import type { Clock } from '../../src/runtime/index.js';
import { PEERS_MAX, WATCHED_KEYS_MAX } from '../../src/load/index.js';
import type { LoadReport, PeerDirectory } from '../../src/load/index.js';

export interface LoadBookOptions {
  readonly vnodeCount: number;
  readonly halfLifeMs: number;
  readonly reportersMax: number;
  readonly hotKeysMax: number;
}

/** Per-vnode rates per second, summed over reporters. */
export interface VnodeRates {
  readonly requests: Float64Array;
  readonly writes: Float64Array;
  readonly touches: Float64Array;
  readonly bytes: Float64Array;
}

export interface HotKeyRate {
  /** The key bytes as latin1 text (one char a byte). */
  readonly key: string;
  readonly opsPerSec: number;
  /** Space-Saving's over-estimate bound, as a rate. */
  readonly errorPerSec: number;
  /** How many reporters see it among their hottest. */
  readonly reporters: number;
}

interface Reporter {
  lastMs: number;
  intervalMs: number;
  readonly rates: VnodeRates;
  hotKeys: { key: string; opsPerSec: number; errorPerSec: number }[];
  /** Where peers send this reporter near-cache invalidations; undefined: it caches nothing. */
  invalidationUrl: string | undefined;
}

/** Past this many half-lives of silence a reporter weighs < 1/1024: forgotten. */
const FORGET_AFTER_HALF_LIVES = 10;

export class LoadBook {
  private readonly reporters = new Map<string, Reporter>();
  private reportsAccepted = 0;

  constructor(private readonly clock: Clock, readonly options: LoadBookOptions) {}

  get reporterCount(): number {
    this.forgetSilent(this.clock.nowMs());
    return this.reporters.size;
  }

  get accepted(): number {
    return this.reportsAccepted;
  }

  record(report: LoadReport): void {
    const nowMs = this.clock.nowMs();
    this.forgetSilent(nowMs);
    let reporter = this.reporters.get(report.reporter);
    const first = reporter === undefined;
    if (reporter === undefined) {
      if (this.reporters.size >= this.options.reportersMax) {
        throw new RingcacheError('RC_ERR_OVERLOADED', `the master keeps load for at most rebalance.reportersMax=${this.options.reportersMax} reporters; ${report.reporter} is refused until a silent one expires`, { reportersMax: this.options.reportersMax });
      }
      reporter = { lastMs: nowMs, intervalMs: report.intervalMs, rates: emptyRates(this.options.vnodeCount), hotKeys: [], invalidationUrl: undefined };
      this.reporters.set(report.reporter, reporter);
    }
    const seconds = report.intervalMs / 1000;
    const alpha = first ? 1 : 1 - 2 ** (-report.intervalMs / this.options.halfLifeMs);
    // Decay first (every vnode, reported or not), then add the reported rates: one pass each.
    decay(reporter.rates, 1 - alpha);
    for (const entry of report.vnodes) {
      add(reporter.rates.requests, entry.vnode, alpha * entry.requests / seconds);
      add(reporter.rates.writes, entry.vnode, alpha * entry.writes / seconds);
      add(reporter.rates.touches, entry.vnode, alpha * entry.touches / seconds);
      add(reporter.rates.bytes, entry.vnode, alpha * entry.bytes / seconds);
    }
    reporter.hotKeys = report.hotKeys.slice(0, this.options.hotKeysMax).map((hot) => ({
      key: hot.key.toString('latin1'), opsPerSec: hot.count / seconds, errorPerSec: hot.error / seconds,
    }));
    reporter.lastMs = nowMs;
    reporter.intervalMs = report.intervalMs;
    reporter.invalidationUrl = report.invalidationUrl;
    this.reportsAccepted++;
  }

  /**
   * What `reporterName` needs to invalidate the others' near caches: the other caching reporters'
   * URLs, and the keys they may hold (their last reported hot keys). Reporters silent for two
   * intervals are left out: a stopped proxy caches nothing.
   */
  directory(reporterName: string): PeerDirectory {
    const nowMs = this.clock.nowMs();
    const peers = new Set<string>();
    const watched = new Set<string>();
    for (const [name, reporter] of this.reporters) {
      if (reporter.invalidationUrl === undefined || this.weight(reporter, nowMs) < 1) continue;
      for (const hot of reporter.hotKeys) if (watched.size < WATCHED_KEYS_MAX) watched.add(hot.key);
      if (name !== reporterName && peers.size < PEERS_MAX) peers.add(reporter.invalidationUrl);
    }
    return { peers: [...peers], watchedKeys: [...watched] };
  }

  /** The cluster's per-vnode rates now: every reporter's average, silent ones decayed. */
  rates(): VnodeRates {
    const nowMs = this.clock.nowMs();
    this.forgetSilent(nowMs);
    const total = emptyRates(this.options.vnodeCount);
    for (const reporter of this.reporters.values()) {
      const weight = this.weight(reporter, nowMs);
      accumulate(total.requests, reporter.rates.requests, weight);
      accumulate(total.writes, reporter.rates.writes, weight);
      accumulate(total.touches, reporter.rates.touches, weight);
      accumulate(total.bytes, reporter.rates.bytes, weight);
    }
    return total;
  }

  /** The hottest keys over every reporter, hottest first. */
  hotKeys(limit: number): HotKeyRate[] {
    const nowMs = this.clock.nowMs();
    this.forgetSilent(nowMs);
    const merged = new Map<string, { opsPerSec: number; errorPerSec: number; reporters: number }>();
    for (const reporter of this.reporters.values()) {
      const weight = this.weight(reporter, nowMs);
      for (const hot of reporter.hotKeys) {
        const entry = merged.get(hot.key) ?? { opsPerSec: 0, errorPerSec: 0, reporters: 0 };
        entry.opsPerSec += hot.opsPerSec * weight;
        entry.errorPerSec += hot.errorPerSec * weight;
        entry.reporters++;
        merged.set(hot.key, entry);
      }
    }
    return [...merged.entries()]
      .map(([key, entry]) => ({ key, ...entry }))
      .sort((a, b) => b.opsPerSec - a.opsPerSec || (a.key < b.key ? -1 : 1))
      .slice(0, limit);
  }

  /** 1 until two report intervals have passed in silence (a report may be late), then halving every half-life. */
  private weight(reporter: Reporter, nowMs: number): number {
    const silentMs = nowMs - reporter.lastMs - 2 * reporter.intervalMs;
    return silentMs <= 0 ? 1 : 2 ** (-silentMs / this.options.halfLifeMs);
  }

  private forgetSilent(nowMs: number): void {
    const forgetMs = FORGET_AFTER_HALF_LIVES * this.options.halfLifeMs;
    for (const [name, reporter] of this.reporters) if (nowMs - reporter.lastMs - 2 * reporter.intervalMs > forgetMs) this.reporters.delete(name);
  }
}

function emptyRates(vnodeCount: number): VnodeRates {
  return { requests: new Float64Array(vnodeCount), writes: new Float64Array(vnodeCount), touches: new Float64Array(vnodeCount), bytes: new Float64Array(vnodeCount) };
}

function decay(rates: VnodeRates, factor: number): void {
  for (const series of [rates.requests, rates.writes, rates.touches, rates.bytes]) for (let v = 0; v < series.length; v++) series[v] = (series[v] ?? 0) * factor;
}

function add(series: Float64Array, vnode: number, value: number): void {
  series[vnode] = (series[vnode] ?? 0) + value;
}

function accumulate(total: Float64Array, series: Float64Array, weight: number): void {
  for (let v = 0; v < total.length; v++) total[v] = (total[v] ?? 0) + (series[v] ?? 0) * weight;
}
