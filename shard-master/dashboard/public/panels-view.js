// Load per server, hot keys and moves in flight: the master's GET /v1/load, /v1/hotkeys and
// /v1/moves. A master without those routes answers 404; the panels then say "not reported yet"
// and the page asks again now and then, so they fill in once the master serves them.
import { fill, h, note } from './dom.js';
import { ago, bytes, count, percent } from './format.js';
import { meter } from './servers-view.js';

const ITEMS_MAX = 50;

export function notReported(element, route) {
  fill(element, note(`not reported yet: this shard-master does not serve GET ${route}.`));
}

export function unavailable(element, route, reason) {
  element.classList.add('stale');
  if (element.childElementCount === 0) fill(element, note(`GET ${route} failed: ${reason}`, 'problem'));
}

/** Renders GET /v1/load; returns its per-vnode load for the heat map when it has one. */
export function renderLoad(element, body) {
  element.classList.remove('stale');
  const servers = Array.isArray(body?.servers) ? body.servers.slice(0, ITEMS_MAX) : [];
  const rows = servers.map((server) => h('tr', {},
    h('td', { class: 'id' }, text(server.id)),
    h('td', { class: 'num' }, `${count(server.opsPerSec)} ops/s`),
    h('td', { class: 'num' }, `${bytes(server.bytesPerSec)}/s`),
    h('td', { class: 'num' }, percent(server.share), meter(typeof server.share === 'number' ? server.share : 0))));
  fill(element,
    typeof body?.maxOverMean === 'number' ? h('p', {}, `max / mean ${body.maxOverMean.toFixed(3)}`) : null,
    rows.length === 0 ? note('no load reported yet') : h('table', { class: 'small' }, h('tbody', {}, rows)));
  return perVnodeLoad(body);
}

function perVnodeLoad(body) {
  const vnodes = body?.vnodes;
  if (!Array.isArray(vnodes)) return undefined;
  if (vnodes.every((v) => typeof v === 'number')) return vnodes;
  const out = [];
  for (const entry of vnodes) {
    if (entry && Number.isInteger(entry.vnode) && typeof entry.opsPerSec === 'number') out[entry.vnode] = entry.opsPerSec;
  }
  return out.length > 0 ? Array.from(out, (value) => value ?? null) : undefined;
}

const HOT_KEY_COLUMNS = ['key', 'ops/s', 'share', 'vnode', 'replicas', 'proxies'];

/**
 * GET /v1/hotkeys: the hottest keys over every proxy's reports, with where they live. A key that
 * is not printable UTF-8 comes as base64 (`key` then equals `keyBase64`), and is said so.
 */
export function renderHotKeys(element, body) {
  element.classList.remove('stale');
  const list = Array.isArray(body?.hotKeys) ? body.hotKeys : [];
  const rows = list.slice(0, ITEMS_MAX).map((entry) => h('tr', { class: 'hotkey' },
    h('td', { class: 'key', title: entry?.keyBase64 === entry?.key ? 'not printable: shown as base64' : null }, text(entry?.key)),
    h('td', { class: 'num' }, count(entry?.opsPerSec)),
    h('td', { class: 'num' }, percent(entry?.share)),
    h('td', { class: 'num' }, text(entry?.vnode)),
    h('td', { class: 'id' }, Array.isArray(entry?.replicas) ? entry.replicas.map(text).join(' ') : '?'),
    h('td', { class: 'num' }, text(entry?.reporters))));
  fill(element,
    typeof body?.totalOpsPerSec === 'number' ? h('p', { class: 'muted' }, `of ${count(body.totalOpsPerSec)} requests/s reported by the proxies`) : null,
    rows.length === 0 ? note('no hot keys right now')
      : h('table', { class: 'small' }, h('thead', {}, h('tr', {}, HOT_KEY_COLUMNS.map((title) => h('th', {}, title)))), h('tbody', {}, rows)),
    list.length > ITEMS_MAX ? note(`and ${list.length - ITEMS_MAX} more`) : null);
}

const MOVE_COLUMNS = ['vnode', 'from -> to', 'keys copied', 'progress', 'bytes copied', 'state', 'started'];

/**
 * GET /v1/moves: each move in flight with what its target reports copied. Progress is the keys
 * copied against the most keys any replica of the vnode holds (GET /v1/dashboard/vnodes, the
 * heat map's view): the target fills from every old replica, so the fullest is the goal.
 */
export function renderMoves(element, body, page) {
  element.classList.remove('stale');
  const inFlight = Array.isArray(body?.inFlight) ? body.inFlight : [];
  const queuedCount = typeof body?.queuedCount === 'number' ? body.queuedCount : Array.isArray(body?.queued) ? body.queued.length : 0;
  const keysOf = page?.heatmap?.view?.keys ?? [];
  const rows = inFlight.slice(0, ITEMS_MAX).map((move) => {
    const held = keysOf[move.vnode];
    const fraction = move.synced === true ? 1 : typeof held === 'number' && held > 0 && typeof move.keysCopied === 'number' ? Math.min(1, move.keysCopied / held) : undefined;
    return h('tr', { class: 'move', dataset: { vnode: text(move.vnode) } },
      h('td', { class: 'num' }, text(move.vnode)),
      h('td', { class: 'id' }, `${text(move.from)} -> ${text(move.to)}`),
      h('td', { class: 'num' }, typeof held === 'number' ? `${count(move.keysCopied)} / ${count(held)}` : count(move.keysCopied)),
      h('td', { class: 'num' }, fraction === undefined ? '?' : h('span', {}, percent(fraction), meter(fraction))),
      h('td', { class: 'num' }, bytes(move.bytesCopied)),
      h('td', {}, move.synced === true ? 'in sync: next epoch swaps it in' : 'copying'),
      // Both times on the master's clock: no skew with this browser's.
      h('td', {}, typeof move.startedAtMs === 'number' ? ago(move.startedAtMs, page?.overview?.atMs ?? move.startedAtMs) : '?'));
  });
  fill(element,
    h('p', {}, `${inFlight.length} in flight, ${queuedCount} queued`,
      typeof body?.completed === 'number' ? h('span', { class: 'muted' }, ` · ${body.completed} completed, ${count(body.keysMoved)} keys, ${bytes(body.bytesMoved)} moved since the master started`) : null),
    rows.length === 0 ? note('no move in flight')
      : h('table', { class: 'small' }, h('thead', {}, h('tr', {}, MOVE_COLUMNS.map((title) => h('th', {}, title)))), h('tbody', {}, rows)));
}

function text(value) {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === undefined || value === null ? '?' : JSON.stringify(value);
}
