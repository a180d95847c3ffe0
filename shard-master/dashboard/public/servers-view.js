// The servers table (grouped by zone), the proxies and the table's epoch, from GET /v1/dashboard.
import { fill, h, note } from './dom.js';
import { ago, bytes, clockTime, count, ms, percent } from './format.js';

const COLUMNS = ['status', 'server', 'state', 'keys', 'bytes held / max', 'vnodes held / table / target', 'share', 'leads', 'req/s', 'p50 ms', 'p99 ms', 'probe', 'address', 'problems'];

export function renderServers(table, overview) {
  const byId = new Map(overview.servers.map((server) => [server.id, server]));
  const head = h('thead', {}, h('tr', {}, COLUMNS.map((title) => h('th', {}, title))));
  const body = h('tbody');
  for (const zone of overview.zones) {
    const servers = zone.servers.map((id) => byId.get(id)).filter(Boolean);
    const up = servers.filter((server) => server.status === 'up').length;
    const replicas = servers.reduce((sum, server) => sum + server.replicas, 0);
    const target = servers.reduce((sum, server) => sum + server.target, 0);
    body.append(h('tr', { class: 'zone-row' }, h('th', { colspan: COLUMNS.length },
      `zone ${zone.zone}`, h('span', { class: 'muted' }, ` · ${servers.length} servers, ${up} up · replicas ${replicas} / target ${target}`))));
    for (const server of servers) body.append(serverRow(server, overview));
  }
  fill(table, head, body);
}

function serverRow(server, overview) {
  const holds = server.holds;
  const emptyWhileOthersHold = holds !== null && holds.keys === 0 && overview.totals.keys > 0;
  return h('tr', { class: `server status-${server.status}`, dataset: { server: server.id, status: server.status } },
    h('td', { class: 'status', title: statusWhy(server, overview.atMs) }, h('span', { class: 'dot' }), ` ${server.status}`,
      server.statusSource === 'gossip' ? h('span', { class: 'muted' }, ' (gossip)') : null),
    h('td', { class: 'id' }, server.id),
    h('td', {}, server.state),
    h('td', { class: emptyWhileOthersHold ? 'num warn' : 'num', title: emptyWhileOthersHold ? 'holds no keys while the cluster holds some' : null },
      holds === null ? '?' : count(holds.keys)),
    h('td', { class: 'num' }, holds === null ? '?' : bytesCell(holds)),
    h('td', { class: 'num', title: 'vnodes it holds keys of / replicas the table gives it / its capacity-weighted target' },
      `${holds === null ? '?' : holds.vnodes} / ${server.replicas} / ${server.target}`),
    h('td', { class: 'num' }, percent(server.share)),
    h('td', { class: 'num' }, server.leads),
    h('td', { class: 'num' }, server.requests === null ? '-' : count(server.requests.perSec)),
    h('td', { class: 'num' }, server.requests === null ? '-' : ms(server.requests.p50Ms)),
    h('td', { class: 'num' }, server.requests === null ? '-' : ms(server.requests.p99Ms)),
    h('td', { class: 'num' }, probeCell(server.probe)),
    h('td', { class: 'addr' }, `${server.host}:${server.port} :${server.httpPort}`),
    h('td', { class: 'problem' }, problemText(server, overview.epoch)),
  );
}

function bytesCell(holds) {
  const fraction = holds.bytesMax > 0 ? holds.bytes / holds.bytesMax : 0;
  return h('span', { class: 'bytes' },
    `${bytes(holds.bytes)} / ${bytes(holds.bytesMax)}`,
    meter(fraction, fraction > 0.9 ? 'meter hot' : 'meter'));
}

export function meter(fraction, kind = 'meter') {
  const bar = h('span', { class: 'fill' });
  bar.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
  return h('span', { class: kind }, bar);
}

function probeCell(probe) {
  if (probe.status === 'up' && probe.roundTripMs !== null) return `${ms(probe.roundTripMs)} ms`;
  return probe.status;
}

function statusWhy(server, nowMs) {
  const probe = server.probe;
  const source = server.statusSource === 'gossip' ? 'gossip says' : "the master's /health probes say";
  if (probe.failingSinceMs !== null) return `${source} ${server.status}: probes failing since ${clockTime(probe.failingSinceMs)} (${ago(probe.failingSinceMs, nowMs)}): ${probe.error ?? ''}`;
  return `${source} ${server.status}; last probe ${ago(probe.checkedAtMs, nowMs)}`;
}

function problemText(server, epoch) {
  const parts = [];
  if (server.probe.error !== null) parts.push(`/health: ${server.probe.error}`);
  // A node the probes call down is not asked for stats: saying so again adds nothing.
  if (server.holdsProblem !== null && server.probe.status !== 'down') parts.push(`stats: ${server.holdsProblem}`);
  if (server.holds !== null && server.holds.epoch < epoch) parts.push(`knows epoch ${server.holds.epoch}, behind the table's ${epoch}`);
  return parts.join('; ');
}

const PROXY_COLUMNS = ['status', 'proxy', 'req/s', 'errors/s', 'rejected/s', 'p50 ms', 'p99 ms', 'epoch', 'last report', 'listens on'];

/** The proxies that report their own figures (a row each), then the one the master probes. */
export function renderProxies(element, overview) {
  const { configured, note: why } = overview.proxies;
  const reporting = overview.proxies.reporting ?? [];
  const rows = reporting.map((proxy) => h('tr', { class: `proxy status-${proxy.status === 'reporting' ? 'up' : 'suspect'}`, dataset: { proxy: proxy.id, status: proxy.status } },
    h('td', { class: 'status', title: `reports every ${proxy.intervalMs / 1000} s; first report ${clockTime(proxy.firstReportAtMs)}` }, h('span', { class: 'dot' }), ` ${proxy.status}`),
    h('td', { class: 'id' }, proxy.id),
    h('td', { class: 'num' }, count(proxy.latest.perSec)),
    h('td', { class: proxy.latest.errorsPerSec > 0 ? 'num warn' : 'num' }, count(proxy.latest.errorsPerSec)),
    h('td', { class: 'num' }, count(proxy.latest.rejectedPerSec)),
    h('td', { class: 'num' }, ms(proxy.latest.p50Ms)),
    h('td', { class: 'num' }, ms(proxy.latest.p99Ms)),
    h('td', { class: 'num' }, proxy.epoch),
    h('td', {}, ago(proxy.lastReportAtMs, overview.atMs)),
    h('td', { class: 'addr' }, (proxy.endpoints ?? []).join(' '))));
  const probed = configured.map((proxy) => h('tr', { class: `status-${proxy.probe.status}`, dataset: { probed: proxy.url, status: proxy.probe.status } },
    h('td', { class: 'status' }, h('span', { class: 'dot' }), ` ${proxy.probe.status}`),
    h('td', { class: 'addr' }, proxy.url),
    h('td', {}, proxy.epoch === null ? 'epoch ?' : `epoch ${proxy.epoch}`),
    h('td', {}, proxy.serversDown === null ? '' : `avoids ${proxy.serversDown} server${proxy.serversDown === 1 ? '' : 's'}`),
    h('td', { class: 'problem' }, proxy.probe.error ?? ''),
  ));
  fill(element,
    rows.length === 0 ? note('No proxy reports yet.')
      : h('table', { class: 'small', id: 'proxy-table' }, h('thead', {}, h('tr', {}, PROXY_COLUMNS.map((title) => h('th', {}, title)))), h('tbody', {}, rows)),
    configured.length === 0 ? null : h('p', { class: 'muted' }, 'Probed at its /health (the proxy of the master\'s config file):'),
    configured.length === 0 ? null : h('table', { class: 'small' }, h('tbody', {}, probed)),
    note(why));
}

export function renderEpoch(element, overview) {
  const changed = overview.epochChangedAtMs === null
    ? 'commit time unknown'
    : `committed ${clockTime(overview.epochChangedAtMs)} (${ago(overview.epochChangedAtMs, overview.atMs)})`;
  fill(element,
    h('p', { class: 'big' }, `epoch ${overview.epoch}`),
    h('p', {}, changed),
    h('p', {}, `V=${overview.vnodeCount} vnodes, N=${overview.replicaCount} replicas each`),
    h('p', {}, `imbalance ${overview.imbalance.toFixed(3)} (fullest server ${percent(overview.imbalance)} over its target)`),
    h('p', { class: 'muted' }, `${overview.totals.keys} keys, ${bytes(overview.totals.bytes)} held over all replicas`),
    h('p', { class: 'muted' }, `down within ${(overview.detection.boundMs / 1000).toFixed(1)} s of dying (probes every ${overview.detection.probeIntervalMs / 1000} s, down after ${overview.detection.downAfterMs / 1000} s failing)`));
}
