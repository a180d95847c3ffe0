// The live charts (uPlot, vendored under vendor/uplot): requests per second, p50/p99 latency,
// keys and bytes per node over the last minutes. The history comes from GET /v1/dashboard?since=,
// so the master's last ten minutes show at once and then grow point by point.
import { fill } from './dom.js';
import { bytes, count, ms } from './format.js';

const POINTS_MAX = 600;
const HEIGHT_PX = 190;
const PALETTE = ['#2f6fdf', '#e0702c', '#2a9d5c', '#c4373f', '#8a55c8', '#9c6b30', '#d45a9f', '#5a6b7b', '#b5a020', '#1fa3b5'];

export function colourOf(index) {
  return PALETTE[index % PALETTE.length];
}

export class Charts {
  constructor() {
    this.history = new Map();
    this.lastAtMs = -1;
    this.charts = new Map();
    this.servers = [];
  }

  /** The `since` to ask for: only points newer than those held. */
  get since() {
    return this.lastAtMs;
  }

  update(overview) {
    for (const [server, points] of Object.entries(overview.history)) {
      const held = this.history.get(server) ?? [];
      for (const point of points) if (point.atMs > (held.at(-1)?.atMs ?? -1)) held.push(point);
      if (held.length > POINTS_MAX) held.splice(0, held.length - POINTS_MAX);
      this.history.set(server, held);
      for (const point of points) this.lastAtMs = Math.max(this.lastAtMs, point.atMs);
    }
    const present = new Set(overview.servers.map((server) => server.id));
    for (const server of [...this.history.keys()]) if (!present.has(server)) this.history.delete(server);
    this.servers = overview.servers.map((server) => server.id);
    const reporting = overview.servers.filter((server) => server.requestsReported).map((server) => server.id);
    const why = 'not reported: no node\'s /v1/stats carries request counters (a `requests` field; nodes older than this master\'s version send none).';
    this.draw('rps', reporting, [{ field: 'perSec', suffix: '' }], count, reporting.length === 0 ? why : null);
    this.draw('latency', reporting, [{ field: 'p50Ms', suffix: ' p50' }, { field: 'p99Ms', suffix: ' p99', dash: [6, 4] }], ms, reporting.length === 0 ? why : null);
    this.draw('keys', this.servers, [{ field: 'keys', suffix: '' }], count, null);
    this.draw('bytes', this.servers, [{ field: 'bytes', suffix: '' }], bytes, null);
  }

  draw(name, servers, fields, format, unavailable) {
    const box = document.getElementById(`${name}-chart`);
    const noteLine = document.getElementById(`${name}-note`);
    if (unavailable !== null) {
      this.drop(name);
      box.hidden = true;
      noteLine.textContent = unavailable;
      return;
    }
    box.hidden = false;
    const data = this.aligned(servers, fields);
    noteLine.textContent = data[0].length < 2 ? 'collecting points: one a second while someone watches' : '';
    const key = JSON.stringify([servers, fields.map((field) => field.field)]);
    const existing = this.charts.get(name);
    if (existing !== undefined && existing.key === key) {
      existing.plot.setData(data);
      return;
    }
    this.drop(name);
    fill(box);
    const series = [{}];
    servers.forEach((server) => {
      const index = this.servers.indexOf(server);
      for (const field of fields) {
        series.push({ label: `${server}${field.suffix}`, stroke: colourOf(index), width: 1.5, dash: field.dash, value: (_u, v) => (v === null || v === undefined ? '-' : format(v)) });
      }
    });
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

  /** uPlot's columnar data: [x seconds, then one y array per server and field], aligned on x. */
  aligned(servers, fields) {
    const times = new Set();
    for (const server of servers) for (const point of this.history.get(server) ?? []) times.add(point.atMs);
    const xs = [...times].sort((a, b) => a - b);
    const position = new Map(xs.map((t, i) => [t, i]));
    const columns = [xs.map((t) => t / 1000)];
    for (const server of servers) {
      for (const field of fields) {
        const ys = new Array(xs.length).fill(null);
        for (const point of this.history.get(server) ?? []) ys[position.get(point.atMs)] = point[field.field];
        columns.push(ys);
      }
    }
    return columns;
  }

  /** Charts follow the width of their panel. */
  resize() {
    for (const [name, chart] of this.charts) {
      const box = document.getElementById(`${name}-chart`);
      chart.plot.setSize({ width: Math.max(280, box.clientWidth), height: HEIGHT_PX });
    }
  }
}
