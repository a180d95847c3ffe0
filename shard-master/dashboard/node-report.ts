/**
 * A node's `GET /v1/stats` answer (src/node/http.ts NodeStats), read defensively: it comes off the
 * wire, so every number is checked and every list bounded before the dashboard keeps any of it.
 *
 * Request figures are read from an optional `requests` field, cumulative since the node started:
 *
 *   requests: { total: 1234,                       requests answered
 *               errors: 5,                         of which with an error (optional)
 *               latencyMs: { boundsMs: [0.25, 0.5, 1, ...],         upper bounds, increasing
 *                            counts:   [ 10,  40, 700, ..., 2] } }  one per bound + one above the last
 *
 * Nodes send it (src/node/request-figures.ts: the data kinds only, no errors); a node of an older
 * version does not, and the dashboard then says "not reported" rather than drawing zeros. Rates
 * and percentiles come from the difference of two such snapshots (request-rates.ts).
 */

export interface RequestCounters {
  readonly total: number;
  readonly errors: number | null;
  readonly latency: { readonly boundsMs: readonly number[]; readonly counts: readonly number[] } | null;
}

export interface NodeReport {
  readonly epoch: number;
  readonly keys: number;
  readonly bytes: number;
  readonly bytesMax: number;
  readonly evictions: number;
  readonly rejections: number;
  /** Keys per vnode, for the vnodes that hold any (and are < V). */
  readonly vnodeKeys: ReadonlyMap<number, number>;
  readonly requests: RequestCounters | null;
}

export type NodeReportResult = { readonly ok: true; readonly report: NodeReport } | { readonly ok: false; readonly problem: string };

/** Histogram bounds accepted; Prometheus-style latency histograms have 10-20. */
const LATENCY_BOUNDS_MAX = 64;

export function readNodeReport(body: unknown, vnodeCount: number): NodeReportResult {
  if (!isRecord(body) || !isRecord(body.totals) || !Array.isArray(body.vnodes)) {
    return { ok: false, problem: 'its /v1/stats answer has no totals or vnodes' };
  }
  const { totals } = body;
  const keys = count(totals.keys);
  const bytes = count(totals.bytes);
  if (keys === undefined || bytes === undefined) return { ok: false, problem: 'its /v1/stats totals have no key or byte count' };
  if (body.vnodes.length > vnodeCount) return { ok: false, problem: `its /v1/stats lists ${body.vnodes.length} vnodes, more than V=${vnodeCount}` };
  const vnodeKeys = new Map<number, number>();
  for (const entry of body.vnodes) {
    if (!isRecord(entry)) continue;
    const vnode = count(entry.vnode);
    const held = count(entry.keys);
    if (vnode !== undefined && vnode < vnodeCount && held !== undefined) vnodeKeys.set(vnode, held);
  }
  return {
    ok: true,
    report: {
      epoch: count(body.epoch) ?? 0,
      keys,
      bytes,
      bytesMax: count(totals.bytesMax) ?? 0,
      evictions: count(totals.evictions) ?? 0,
      rejections: count(totals.rejections) ?? 0,
      vnodeKeys,
      requests: readRequests(body.requests),
    },
  };
}

function readRequests(value: unknown): RequestCounters | null {
  if (!isRecord(value)) return null;
  const total = count(value.total);
  if (total === undefined) return null;
  return { total, errors: count(value.errors) ?? null, latency: readLatency(value.latencyMs) };
}

function readLatency(value: unknown): RequestCounters['latency'] {
  if (!isRecord(value) || !Array.isArray(value.boundsMs) || !Array.isArray(value.counts)) return null;
  const { boundsMs, counts } = value;
  if (boundsMs.length === 0 || boundsMs.length > LATENCY_BOUNDS_MAX || counts.length !== boundsMs.length + 1) return null;
  const bounds = boundsMs.map((bound) => (typeof bound === 'number' && Number.isFinite(bound) && bound >= 0 ? bound : Number.NaN));
  if (bounds.some((bound, i) => Number.isNaN(bound) || (i > 0 && bound <= (bounds[i - 1] ?? 0)))) return null;
  const numbers = counts.map(count);
  if (numbers.some((n) => n === undefined)) return null;
  return { boundsMs: bounds, counts: numbers as number[] };
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
