// The vnode table as a heat map, one cell per vnode (or per run of vnodes when V is large),
// coloured by keys held, by leader, or by load once the master reports load per vnode.
import { fill, h } from './dom.js';
import { colourOf } from './charts-view.js';
import { count } from './format.js';

const CELLS_MAX = 4096;
const COLUMNS_MAX = 64;
const CELL_PX_MAX = 28;
const RAMP = [[247, 251, 255], [253, 212, 158], [252, 141, 89], [215, 48, 31], [127, 0, 0]];

export class Heatmap {
  constructor(canvas, hover, legend, select) {
    this.canvas = canvas;
    this.hover = hover;
    this.legend = legend;
    this.select = select;
    this.view = undefined;
    this.load = undefined;
    this.serverOrder = [];
    /** The operator picked a colouring: the page no longer switches it by itself. */
    this.chosen = false;
    canvas.addEventListener('mousemove', (event) => this.describe(event));
    canvas.addEventListener('mouseleave', () => { this.hover.textContent = ''; });
    select.addEventListener('change', () => { this.chosen = true; this.draw(); });
  }

  /** vnodes: GET /v1/dashboard/vnodes; serverOrder: ids in the charts' colour order. */
  update(view, serverOrder) {
    this.view = view;
    this.serverOrder = serverOrder;
    this.draw();
  }

  /** Per-vnode load from GET /v1/load when it carries one; undefined leaves the option off. */
  setLoad(perVnode) {
    this.load = perVnode;
    const option = this.select.querySelector('option[value="load"]');
    option.disabled = perVnode === undefined;
    option.textContent = perVnode === undefined ? 'load per vnode (not reported)' : 'load per vnode (ops/s)';
    if (perVnode === undefined && this.select.value === 'load') this.select.value = 'keys';
    // A heat map of load is the point of the panel: shown by default once there is load to show.
    if (perVnode !== undefined && !this.chosen && perVnode.some((value) => value > 0)) this.select.value = 'load';
    this.draw();
  }

  layout() {
    const vnodes = this.view.vnodeCount;
    const group = Math.ceil(vnodes / CELLS_MAX);
    const cells = Math.ceil(vnodes / group);
    // About twice as wide as tall (V=1024: 64 x 16; V=64: 16 x 4), at most 64 columns.
    const columns = Math.min(cells, COLUMNS_MAX, 2 ** Math.ceil(Math.log2(2 * Math.sqrt(cells))));
    const rows = Math.ceil(cells / columns);
    const width = Math.max(320, this.canvas.parentElement.clientWidth - 24);
    const size = Math.max(4, Math.min(CELL_PX_MAX, Math.floor(width / columns)));
    return { group, cells, columns, rows, size };
  }

  values() {
    const metric = this.select.value;
    if (metric === 'load' && this.load !== undefined) return this.load;
    return this.view.keys;
  }

  draw() {
    if (this.view === undefined) return;
    const { group, cells, columns, rows, size } = this.layout();
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = columns * size * ratio;
    this.canvas.height = rows * size * ratio;
    this.canvas.style.width = `${columns * size}px`;
    this.canvas.style.height = `${rows * size}px`;
    const context = this.canvas.getContext('2d');
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    const metric = this.select.value;
    const values = this.values();
    let most = 0;
    for (const value of values) if (typeof value === 'number') most = Math.max(most, value);
    const moving = new Set(this.view.pending.map((move) => move.vnode));
    for (let cell = 0; cell < cells; cell++) {
      const first = cell * group;
      const x = (cell % columns) * size;
      const y = Math.floor(cell / columns) * size;
      context.fillStyle = metric === 'leader' ? this.leaderColour(first) : rampColour(cellValue(values, first, group), most);
      context.fillRect(x, y, size - 1, size - 1);
      if (group === 1 && moving.has(first)) {
        context.strokeStyle = '#111';
        context.lineWidth = 2;
        context.strokeRect(x + 1, y + 1, size - 3, size - 3);
      }
    }
    this.canvas.dataset.cells = String(cells);
    this.drawLegend(metric, most, group);
  }

  leaderColour(vnode) {
    const leader = this.view.servers[this.view.rows[vnode]?.[0]];
    const index = this.serverOrder.indexOf(leader);
    return index < 0 ? '#cccccc' : colourOf(index);
  }

  drawLegend(metric, most, group) {
    const runs = group > 1 ? ` Each cell is ${group} vnodes (their largest value).` : '';
    const moves = this.view.pending.length > 0 ? ` ${this.view.pending.length} rows moving (outlined).` : '';
    if (metric === 'leader') {
      fill(this.legend, this.serverOrder.map((server, index) => {
        const chip = h('span', { class: 'chip' });
        chip.style.background = colourOf(index);
        return h('span', { class: 'legend-item' }, chip, server);
      }), h('span', { class: 'muted' }, ` Colour: the row's first replica, which coordinates its writes.${runs}${moves}`));
      return;
    }
    const unit = metric === 'load' ? 'ops/s' : 'keys';
    const ramp = h('span', { class: 'ramp' });
    fill(this.legend, '0 ', ramp, ` ${count(most)} ${unit}`,
      h('span', { class: 'muted' }, ` Grey: no replica of the vnode reported.${runs}${moves}${metric === 'keys' && this.load === undefined ? ' Load per vnode: not reported by this master (GET /v1/load).' : ''}`));
  }

  describe(event) {
    if (this.view === undefined) return;
    const { group, columns, size, cells } = this.layout();
    const rect = this.canvas.getBoundingClientRect();
    const cell = Math.floor((event.clientY - rect.top) / size) * columns + Math.floor((event.clientX - rect.left) / size);
    if (cell < 0 || cell >= cells) return;
    const vnode = cell * group;
    const replicas = (this.view.rows[vnode] ?? []).map((index) => this.view.servers[index] ?? '?');
    const move = this.view.pending.find((entry) => entry.vnode === vnode);
    const keys = this.view.keys[vnode];
    const load = this.load?.[vnode];
    this.hover.textContent = [
      group > 1 ? `vnodes ${vnode}..${vnode + group - 1}` : `vnode ${vnode}`,
      `replicas ${replicas.join(', ')}`,
      keys === null || keys === undefined ? 'keys not reported' : `${keys} keys`,
      load === undefined ? null : `${count(load)} ops/s`,
      move === undefined ? null : `moving ${move.from} -> ${move.to}`,
    ].filter(Boolean).join(' · ');
  }
}

function cellValue(values, first, group) {
  let best = null;
  for (let vnode = first; vnode < first + group && vnode < values.length; vnode++) {
    const value = values[vnode];
    if (typeof value === 'number') best = Math.max(best ?? 0, value);
  }
  return best;
}

function rampColour(value, most) {
  if (value === null) return '#d9d9d9';
  const t = most <= 0 ? 0 : Math.min(1, value / most);
  const position = t * (RAMP.length - 1);
  const low = RAMP[Math.floor(position)];
  const high = RAMP[Math.min(RAMP.length - 1, Math.floor(position) + 1)];
  const mix = position - Math.floor(position);
  const channel = (i) => Math.round(low[i] + (high[i] - low[i]) * mix);
  return `rgb(${channel(0)}, ${channel(1)}, ${channel(2)})`;
}
