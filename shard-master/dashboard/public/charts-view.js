// The live charts (uPlot, vendored under vendor/uplot): requests per second, p50/p99 latency,
// keys and bytes per node, and requests per second and p50/p99 per proxy, over the last minutes.
// The history comes from GET /v1/dashboard?since=, so the master's last ten minutes show at once
// and then grow point by point. Nodes' points come from the master's stats rounds, proxies'
// from their load reports: two histories.
import { fill } from './dom.js';
import { bytes, count, ms } from './format.js';

const POINTS_MAX = 600;
const HEIGHT_PX = 190;
const PALETTE = ['#2f6fdf', '#e0702c', '#2a9d5c', '#c4373f', '#8a55c8', '#9c6b30', '#d45a9f', '#5a6b7b', '#b5a020', '#1fa3b5'];
const NODES_UNREPORTED = 'not reported: no node\'s /v1/stats carries request counters (a `requests` field; nodes older than this master\'s version send none).';
const PROXIES_UNREPORTED = 'no proxy reports yet: each proxy sends its requests, errors and p50/p99 with its load report every rebalance.loadReportIntervalMs (0 turns reports off).';

export function colourOf(index) {
  return PALETTE[index % PALETTE.length];
}

/** Per id (a server, a proxy), its points in time order, at most POINTS_MAX. */
class History {
  constructor() {
    this.points = new Map();
  }

  /** The time of the newest point held; -1 when none. */
  get lastAtMs() {
    let last = -1;
    for (const points of this.points.values()) last = Math.max(last, points.at(-1)?.atMs ?? -1);
    return last;
  }

  /** Adds what is newer than what is held (a poll may repeat a point); drops ids no longer present. */
  merge(byId, present) {
    for (const [id, points] of Object.entries(byId ?? {})) {
      if (!present.has(id) || !Array.isArray(points)) continue;
      const held = this.points.get(id) ?? [];
      for (const point of points) if (point.atMs > (held.at(-1)?.atMs ?? -1)) held.push(point);
      if (held.length > POINTS_MAX) held.splice(0, held.length - POINTS_MAX);
      this.points.set(id, held);
    }
    for (const id of [...this.points.keys()]) if (!present.has(id)) this.points.delete(id);
  }

  of(id) {
    return this.points.get(id) ?? [];
  }
}

export class Charts {
  constructor() {
    this.servers = new History();
    this.proxies = new History();
    this.charts = new Map();
  }

  /**
   * The `since` to ask for: the nodes' newest point. A stats round records its points when it
   * ends, stamped with when it began, so the nodes' points are the ones that can arrive late;
   * a proxy's point is stamped when the master receives it, after every point already answered,
   * so it is newer than this too. Repeats are dropped by merge.
   */
  get since() {
    return this.servers.lastAtMs;
  }

  update(overview) {
    const serverIds = overview.servers.map((server) => server.id);
    this.servers.merge(overview.history, new Set(serverIds));
    const reporting = overview.proxies.reporting ?? [];
    const proxyIds = reporting.map((proxy) => proxy.id);
    this.proxies.merge(overview.proxies.history, new Set(proxyIds));

    const nodes = { history: this.servers, ids: serverIds };
    const withRequests = overview.servers.filter((server) => server.requestsReported).map((server) => server.id);
    const noNodeFigures = withRequests.length === 0 ? NODES_UNREPORTED : null;
    this.draw('rps', nodes, withRequests, [{ field: 'perSec', suffix: '' }], count, noNodeFigures);
    this.draw('latency', nodes, withRequests, LATENCY_FIELDS, ms, noNodeFigures);
    this.draw('keys', nodes, serverIds, [{ field: 'keys', suffix: '' }], count, null);
    this.draw('bytes', nodes, serverIds, [{ field: 'bytes', suffix: '' }], bytes, null);

    const proxies = { history: this.proxies, ids: proxyIds };
    const noProxy = proxyIds.length === 0 ? PROXIES_UNREPORTED : null;
    this.draw('proxy-rps', proxies, proxyIds, [{ field: 'perSec', suffix: '' }, { field: 'errorsPerSec', suffix: ' errors', dash: [2, 3] }], count, noProxy);
    this.draw('proxy-latency', proxies, proxyIds, LATENCY_FIELDS, ms, noProxy);
  }

  /** One chart: a series per id and field, coloured by the id's place in `source.ids`. */
  draw(name, source, ids, fields, format, unavailable) {
    const box = document.getElementById(`${name}-chart`);
    const noteLine = document.getElementById(`${name}-note`);
    if (unavailable !== null) {
      this.drop(name);
      box.hidden = true;
      noteLine.textContent = unavailable;
      return;
    }
    box.hidden = false;
    const data = aligned(source.history, ids, fields);
    noteLine.textContent = data[0].length < 2 ? 'collecting points: one a second while someone watches' : '';
    const key = JSON.stringify([ids, fields.map((field) => field.field)]);
    const existing = this.charts.get(name);
    if (existing !== undefined && existing.key === key) {
      existing.plot.setData(data);
      return;
    }
    this.drop(name);
    fill(box);
    const series = [{}];
    for (const id of ids) {
      const colour = colourOf(source.ids.indexOf(id));
      for (const field of fields) {
        series.push({ label: `${id}${field.suffix}`, stroke: colour, width: 1.5, dash: field.dash, value: (_u, v) => (v === null || v === undefined ? '-' : format(v)) });
      }
    }
    const plot = new window.uPlot({
      width: Math.max(280, box.clientWidth),
      height: HEIGHT_PX,
      series,
      scales: { x: { time: true } },
      axes: [{}, { size: 84, values: (_u, values) => values.map((v) => format(v)) }],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    }, data, box);
    box.dataset.series = String(series.length - 1);
    this.charts.set(name, { key, plot });
  }

  drop(name) {
    this.charts.get(name)?.plot.destroy();
    this.charts.delete(name);
  }

  /** Charts follow the width of their panel. */
  resize() {
    for (const [name, chart] of this.charts) {
      const box = document.getElementById(`${name}-chart`);
      chart.plot.setSize({ width: Math.max(280, box.clientWidth), height: HEIGHT_PX });
    }
  }
}

const LATENCY_FIELDS = [{ field: 'p50Ms', suffix: ' p50' }, { field: 'p99Ms', suffix: ' p99', dash: [6, 4] }];

/** uPlot's columnar data: [x seconds, then one y array per id and field], aligned on x. */
function aligned(history, ids, fields) {
  const times = new Set();
  for (const id of ids) for (const point of history.of(id)) times.add(point.atMs);
  const xs = [...times].sort((a, b) => a - b);
  const position = new Map(xs.map((t, i) => [t, i]));
  const columns = [xs.map((t) => t / 1000)];
  for (const id of ids) {
    for (const field of fields) {
      const ys = new Array(xs.length).fill(null);
      for (const point of history.of(id)) ys[position.get(point.atMs)] = point[field.field] ?? null;
      columns.push(ys);
    }
  }
  return columns;
}
