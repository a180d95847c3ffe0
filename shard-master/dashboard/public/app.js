// The dashboard's main loop: poll GET /v1/dashboard every second (only the history points that
// are new), the vnode view and the optional panels every few seconds, and redraw. When the master
// stops answering, the last picture stays up, greyed, under a banner that says since when; when a
// node dies, its row turns red as soon as the master says so (detection bound on the Table panel).
import { getJson } from './api.js';
import { Charts } from './charts-view.js';
import { fill } from './dom.js';
import { bytes, clockTime, count } from './format.js';
import { Heatmap } from './heatmap-view.js';
import { notReported, renderHotKeys, renderLoad, renderMoves, unavailable } from './panels-view.js';
import { renderEpoch, renderProxies, renderServers } from './servers-view.js';
import { askForToken, forgetToken, storedToken, takeTokenFromUrl } from './token.js';

const POLL_MS = 1000;
const RETRY_MS_MAX = 5000;
const VNODES_EVERY_MS = 5000;
const PANEL_EVERY_MS = 5000;
/** A route this master lacks is asked again this often: it may be upgraded while the page is open. */
const MISSING_RECHECK_MS = 30000;

const PANELS = [
  { route: '/v1/load', element: 'load', render: (element, body, page) => page.heatmap.setLoad(renderLoad(element, body)) },
  { route: '/v1/hotkeys', element: 'hotkeys', render: renderHotKeys },
  { route: '/v1/moves', element: 'moves', render: renderMoves },
];

class Page {
  constructor() {
    this.token = storedToken();
    this.charts = new Charts();
    this.heatmap = new Heatmap(byId('heatmap'), byId('heatmap-hover'), byId('heatmap-legend'), byId('heatmap-metric'));
    this.overview = undefined;
    this.unreachableSinceMs = undefined;
    this.retryMs = POLL_MS;
    this.vnodesDueMs = 0;
    this.panelDueMs = new Map();
    window.addEventListener('resize', () => { this.charts.resize(); this.heatmap.draw(); });
  }

  async run() {
    for (;;) {
      const since = this.charts.since;
      const answer = await getJson(since < 0 ? '/v1/dashboard' : `/v1/dashboard?since=${since}`, this.token);
      if (answer.kind === 'unauthorized') {
        await this.authorize();
        continue;
      }
      if (answer.kind !== 'ok') {
        this.masterFailing(answer);
        await sleep(this.retryMs);
        this.retryMs = Math.min(RETRY_MS_MAX, this.retryMs * 2);
        continue;
      }
      this.retryMs = POLL_MS;
      this.render(answer.body);
      await Promise.all([this.pollVnodes(), ...PANELS.map((panel) => this.pollPanel(panel))]);
      await sleep(POLL_MS);
    }
  }

  async authorize() {
    const refused = this.token !== '';
    forgetToken();
    this.token = '';
    document.body.dataset.state = 'token';
    setConnection(refused ? 'the cluster token was refused' : 'this cluster wants its token', 'warn');
    this.token = await askForToken(refused);
  }

  render(overview) {
    this.overview = overview;
    this.unreachableSinceMs = undefined;
    document.body.dataset.state = 'live';
    byId('dashboard').classList.remove('stale');
    setConnection(`live · updated ${clockTime(overview.atMs)}`, 'ok');
    const { totals } = overview;
    const zones = overview.zones.length;
    fill(byId('summary'),
      `epoch ${overview.epoch} · ${overview.servers.length} servers in ${zones} zone${zones === 1 ? '' : 's'}: `,
      `${totals.up} up, ${totals.suspect} suspect, ${totals.down} down · ${count(totals.keys)} keys · ${bytes(totals.bytes)}`);
    const down = overview.servers.filter((server) => server.status !== 'up').map((server) => `${server.id} ${server.status}`);
    byId('servers-note').textContent = down.length === 0 ? '' : `Not up: ${down.join(', ')}. The rest of the cluster keeps serving (N=${overview.replicaCount}).`;
    renderServers(byId('servers'), overview);
    renderProxies(byId('proxies'), overview);
    renderEpoch(byId('epoch'), overview);
    this.charts.update(overview);
  }

  /** No answer ('failed'), or an answer that is not the overview ('error', 'missing'). */
  masterFailing(answer) {
    this.unreachableSinceMs ??= Date.now();
    document.body.dataset.state = answer.kind === 'failed' ? 'master-down' : 'master-error';
    byId('dashboard').classList.add('stale');
    const since = clockTime(this.unreachableSinceMs);
    const what = answer.kind === 'failed' ? `shard-master unreachable since ${since} (${answer.reason})`
      : answer.kind === 'missing' ? 'this shard-master has no /v1/dashboard (an older version?)'
      : `the shard-master answers errors since ${since} (${answer.reason})`;
    const last = this.overview === undefined ? 'nothing received yet' : `showing what it said at ${clockTime(this.overview.atMs)}`;
    setConnection(`${what}; ${last}; retrying. The data plane does not need it: proxies and nodes keep the last table.`, 'down');
  }

  async pollVnodes() {
    if (Date.now() < this.vnodesDueMs) return;
    this.vnodesDueMs = Date.now() + VNODES_EVERY_MS;
    const answer = await getJson('/v1/dashboard/vnodes', this.token);
    if (answer.kind === 'ok') this.heatmap.update(answer.body, this.overview?.servers.map((server) => server.id) ?? []);
  }

  async pollPanel(panel) {
    if (Date.now() < (this.panelDueMs.get(panel.route) ?? 0)) return;
    const element = byId(panel.element);
    const answer = await getJson(panel.route, this.token);
    if (answer.kind === 'missing') {
      this.panelDueMs.set(panel.route, Date.now() + MISSING_RECHECK_MS);
      notReported(element, panel.route);
      if (panel.route === '/v1/load') this.heatmap.setLoad(undefined);
      return;
    }
    this.panelDueMs.set(panel.route, Date.now() + PANEL_EVERY_MS);
    if (answer.kind === 'ok') panel.render(element, answer.body, this);
    else unavailable(element, panel.route, answer.kind === 'unauthorized' ? 'the token was refused' : answer.reason);
  }
}

function setConnection(text, kind) {
  const element = byId('connection');
  element.textContent = text;
  element.className = `connection ${kind}`;
}

function byId(id) {
  return document.getElementById(id);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

takeTokenFromUrl();
void new Page().run();
