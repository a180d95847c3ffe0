import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../../src/cli/cluster.js';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/index.js';
import type { DashboardOverview } from '../../src/client/dashboard-api.js';
import { SystemClock } from '../../src/runtime/index.js';
import { testPort } from '../support/ports.js';

/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core, against a real
 * cluster (master, five nodes, a proxy: child processes on free ports, as `ringcache start` runs
 * them). It loads the page with the token in the URL fragment, checks every server row, the keys
 * chart and, under a bounded burst of reads, each node's and the proxy's requests/s and p50/p99
 * charts; that a zone, a server id, a proxy id and a hot key named like markup show as text (the
 * hot key is a real one, read through the proxy until its load reports name it); that a node killed with SIGKILL turns red
 * within the master's detection bound, that the page says so when the master dies and goes live
 * again when it is back, and saves
 * screenshots under reports/.
 *
 * Chromium: /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it) or
 * CHROMIUM_PATH (not a RINGCACHE_* name: the roles' config loader refuses unknown ones). In CI
 * (CI set) a missing browser fails this test; on a workstation it is skipped with a message, since
 * installing a browser is not everyone's business.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = (process.env.CI ?? '') !== '';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REPORTS = join(ROOT, 'reports');
const TOKEN = 'dashboard-test-token';
/** A zone named like markup: the page must show these characters, never run them. */
const MARKUP_ZONE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
const SERVER_IDS = ['n1', 'n2', 'n3', 'n4', 'n5'];
/**
 * A server id named like markup. The config refuses such ids (src/config/load.ts: 1-32 letters,
 * digits, '-' or '_'), and the master's servers come only from it, so no real process can carry
 * one; the page must still show it as text. Parsed as HTML it would add an <img> to the page.
 */
const MARKUP_ID = '<img src=x onerror="window.__pwned = 4">n5';
/** A proxy id named like markup: the master's report reader refuses such names, so as for MARKUP_ID. */
const MARKUP_PROXY = '<img src=x onerror="window.__pwned = 5">proxy';
/** A key named like markup, read through the proxy until it is the hottest key. */
const MARKUP_KEY = '<script>window.__pwned = 3</script>';
/** Reads through the proxy while the request charts fill: bounded in time and count. */
const BURST_MS_MAX = 15_000;
const BURST_REQUESTS_MAX = 30_000;
/** The page polls the master once a second: one poll and its answer on top of the master's bound. */
// Page-side checks are passed as strings: this project compiles without the DOM's types.
const PAGE_POLL_MS = 1000;

if (!HAVE_CHROMIUM && !IN_CI) {
  console.warn(`dashboard browser test skipped: no chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH); CI installs it and runs the test`);
}

describe.skipIf(!HAVE_CHROMIUM && !IN_CI)('the dashboard in a real browser', () => {
  const folder = mkdtempSync(join(tmpdir(), 'ringcache-dashboard-'));
  let cluster: LocalCluster | undefined;
  let context: BrowserContext | undefined;
  let masterUrl = '';
  let masterPort = 0;
  let proxyHttpUrl = '';
  let restartedMaster: ChildProcess | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`no chromium at ${CHROMIUM}: .ci/run installs it (apt-get install -y chromium); set CHROMIUM_PATH to use another`);
    if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    masterPort = await testPort();
    masterUrl = `http://127.0.0.1:${String(masterPort)}`;
    const zones = ['a', 'a', 'b', 'b', MARKUP_ZONE];
    const nodes = [];
    for (const [index, zone] of zones.entries()) {
      nodes.push({ id: SERVER_IDS[index] ?? '', zone, capacity: 1, host: '127.0.0.1', port: await testPort(), httpPort: await testPort() });
    }
    const file = {
      cluster: { vnodeCount: 64, replicaCount: 3, token: TOKEN },
      replication: { r: 2, w: 2, requestTimeoutMs: 500, failureBackoffMs: 300 },
      master: { host: '127.0.0.1', port: masterPort, stateFile: 'master-state.json', longPollMs: 1000 },
      proxy: { host: '127.0.0.1', respPort: await testPort(), httpPort: await testPort(), tableCacheFile: 'proxy-table.json' },
      nodes,
    };
    // The same config as a file, for the master the last test starts again by hand.
    writeFileSync(join(folder, 'config.json'), JSON.stringify(file));
    const config = loadConfig({ file });
    proxyHttpUrl = `http://127.0.0.1:${String(config.proxy.httpPort)}`;
    cluster = new LocalCluster({
      config, clock: new SystemClock(), startupTimeoutMs: 30_000, stopTimeoutMs: 5_000, cwd: folder,
      onLine: () => undefined,
      // The test kills a node and the master on purpose; the others must stay up.
      onUnexpectedExit: () => undefined,
    });
    await cluster.start();
    for (let i = 0; i < 300; i++) {
      const response = await fetch(`http://127.0.0.1:${String(config.proxy.httpPort)}/v1/kv/user:${String(i)}`, { method: 'PUT', body: `value-${String(i)}-${'x'.repeat(i)}` });
      expect(response.status).toBeLessThan(300);
    }
    context = await chromium.launchPersistentContext(join(folder, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context.on('page', (page) => { watchErrors(page, pageErrors); });
    mkdirSync(REPORTS, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    restartedMaster?.kill('SIGKILL');
    await context?.close();
    await cluster?.stop();
    rmSync(folder, { recursive: true, force: true });
  }, 60_000);

  it('refuses its JSON without the token, with a coded error', async () => {
    for (const route of ['/v1/dashboard', '/v1/dashboard/vnodes']) {
      const response = await fetch(`${masterUrl}${route}`);
      expect(response.status).toBe(401);
      const body = await response.json() as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['code', 'details', 'message']);
      expect(body.code).toBe('RC_ERR_UNAUTHORIZED');
    }
  });

  /**
   * A live node's row: gossip says 'up', or 'recovering' while anti-entropy has not synced the
   * node since it started empty (on a build without anti-entropy, for as long as it runs).
   */
  const LIVE = ':is([data-status="up"], [data-status="recovering"])';
  /** The header's counts: recovering nodes are live but not counted as up. */
  const ONE_DOWN = /\b[0-4] up, 0 suspect, 1 down/;

  it('takes the token from the URL fragment, shows every server row, a chart and the heat map', async () => {
    const page = await context!.newPage();
    await page.goto(`${masterUrl}/#token=${TOKEN}`);
    await page.waitForSelector('body[data-state="live"]', { timeout: 15_000 });
    // The fragment is wiped from the address bar and kept for this tab only.
    expect(page.url()).toBe(`${masterUrl}/`);
    expect(await page.evaluate("sessionStorage.getItem('ringcache.token')")).toBe(TOKEN);
    for (const id of SERVER_IDS) {
      await page.waitForSelector(`tr[data-server="${id}"]${LIVE}`, { timeout: 10_000 });
    }
    expect(await page.locator('tr.server').count()).toBe(5);
    expect(await page.locator('tr.zone-row').count()).toBe(3);
    // Keys held: the writes above are on the nodes, and the row says how many.
    await page.waitForFunction("[...document.querySelectorAll('tr.server td.num')].some((cell) => Number(cell.textContent) > 0)", undefined, { timeout: 10_000 });
    // The keys chart is a uPlot canvas with one series per node, and it has drawn points.
    await page.waitForFunction("document.querySelector('#keys-chart')?.getAttribute('data-series') === '5'", undefined, { timeout: 10_000 });
    const legend = await page.locator('#keys-chart .u-legend .u-series .u-label').allTextContents();
    expect(legend).toEqual(expect.arrayContaining(SERVER_IDS));
    await page.waitForFunction(canvasDrawn('#keys-chart'), undefined, { timeout: 10_000 });
    expect(await page.locator('#heatmap').getAttribute('data-cells')).toBe('64');
    // The master serves GET /v1/hotkeys; with no proxy reporting, the panel says there are none.
    // Polled from the test, not with a string predicate: the page's CSP refuses the eval a
    // re-evaluated waitForFunction string needs when the panel is not filled at the first look.
    await expect.poll(() => page.locator('#hotkeys').textContent(), { timeout: 10_000, interval: 100 }).toContain('no hot keys right now');
    await page.screenshot({ path: join(REPORTS, 'dashboard-live.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it("charts each node's and the proxy's requests/s and p50/p99 latency from their own counters", async () => {
    const page = await context!.newPage();
    await page.goto(`${masterUrl}/#token=${TOKEN}`);
    await page.waitForSelector('body[data-state="live"]', { timeout: 15_000 });
    const burst = readBurst(proxyHttpUrl);
    try {
      // One series per node, and p50 and p99 for each; both charts drawn.
      await waitUntil(page, "document.querySelector('#rps-chart')?.getAttribute('data-series') === '5'", 15_000);
      await waitUntil(page, "document.querySelector('#latency-chart')?.getAttribute('data-series') === '10'", 15_000);
      // A server row's req/s cell (the 9th column) shows a rate above zero while reads go on.
      await waitUntil(page, "[...document.querySelectorAll('tr.server td:nth-child(9)')].some((cell) => Number(cell.textContent) > 0)", 15_000);
      await waitUntil(page, canvasDrawn('#rps-chart'), 10_000);
      await waitUntil(page, canvasDrawn('#latency-chart'), 10_000);
      // The proxy's own figures, from its load reports: requests and errors, p50 and p99.
      await waitUntil(page, "document.querySelector('#proxy-rps-chart')?.getAttribute('data-series') === '2'", 15_000);
      await waitUntil(page, "document.querySelector('#proxy-latency-chart')?.getAttribute('data-series') === '2'", 15_000);
      // Its row's req/s cell (the 3rd column) shows a rate above zero while reads go on.
      await waitUntil(page, "[...document.querySelectorAll('tr.proxy td:nth-child(3)')].some((cell) => Number(cell.textContent.replace(' k', 'e3')) > 0)", 15_000);
      await waitUntil(page, canvasDrawn('#proxy-rps-chart'), 10_000);
      await waitUntil(page, canvasDrawn('#proxy-latency-chart'), 10_000);
    } finally {
      burst.stop();
    }
    const sent = await burst.done;
    const legend = await page.locator('#latency-chart .u-legend .u-series .u-label').allTextContents();
    expect(legend).toEqual(expect.arrayContaining(['n1 p50', 'n1 p99', 'n5 p99']));
    expect(await page.locator('#rps-note').textContent()).toBe('');
    const overview = await dashboardJson();
    const rates = overview.servers.map((server) => server.requests);
    expect(overview.servers.every((server) => server.requestsReported)).toBe(true);
    expect(rates.some((figures) => figures !== null && figures.perSec > 0 && figures.p50Ms !== null && figures.p99Ms !== null)).toBe(true);
    // One proxy reports: the one this cluster runs, listening where the config says.
    expect(overview.proxies.reporting).toHaveLength(1);
    const proxy = overview.proxies.reporting[0]!;
    expect(proxy.status).toBe('reporting');
    expect(proxy.endpoints).toContain(proxyHttpUrl);
    const busiest = (overview.proxies.history[proxy.id] ?? []).reduce((best, point) => (point.perSec > best.perSec ? point : best), { perSec: 0, p50Ms: null as number | null, p99Ms: null as number | null });
    expect(busiest.perSec).toBeGreaterThan(0);
    expect(busiest.p50Ms).not.toBeNull();
    expect(busiest.p99Ms).toBeGreaterThanOrEqual(busiest.p50Ms ?? Infinity);
    const proxyLegend = await page.locator('#proxy-latency-chart .u-legend .u-series .u-label').allTextContents();
    expect(proxyLegend).toEqual(expect.arrayContaining([`${proxy.id} p50`, `${proxy.id} p99`]));
    console.log(`dashboard: proxy ${proxy.id} busiest report ${busiest.perSec.toFixed(0)}/s p50 ${String(busiest.p50Ms?.toFixed(3))} ms p99 ${String(busiest.p99Ms?.toFixed(3))} ms`);
    console.log(`dashboard: request charts drawn after ${String(sent)} reads; per node ${overview.servers.map((server) => `${server.id} ${server.requests === null ? '-' : `${server.requests.perSec.toFixed(0)}/s p50 ${String(server.requests.p50Ms?.toFixed(3))} ms p99 ${String(server.requests.p99Ms?.toFixed(3))} ms`}`).join('; ')}`);
    await page.screenshot({ path: join(REPORTS, 'dashboard-requests.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('shows a zone named like markup as text, and runs none of it', async () => {
    const page = await context!.newPage();
    await page.goto(`${masterUrl}/#token=${TOKEN}`);
    await page.waitForSelector('tr[data-server="n5"]', { timeout: 15_000 });
    const zoneRows = await page.locator('tr.zone-row th').allTextContents();
    expect(zoneRows.some((text) => text.startsWith(`zone ${MARKUP_ZONE}`))).toBe(true);
    expect(await page.evaluate("document.querySelectorAll('main script, main img').length")).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    await page.close();
  }, 30_000);

  it('shows a server id and a proxy id named like markup as text: rows, chart legends, heat map', async () => {
    // The real master's answers with n5 and the proxy renamed on the way to the page (no config
    // can name a server so, and the master refuses such a reporter name: MARKUP_ID,
    // MARKUP_PROXY). Every other byte is what the master said.
    const proxyId = (await dashboardJson()).proxies.reporting[0]?.id;
    expect(proxyId).toBeDefined();
    const page = await context!.newPage();
    const rename = (text: string): string => text.replaceAll('"n5"', JSON.stringify(MARKUP_ID)).replaceAll(JSON.stringify(proxyId), JSON.stringify(MARKUP_PROXY));
    await page.route(/\/v1\/dashboard(\/vnodes)?(\?.*)?$/, async (route) => {
      try {
        const response = await route.fetch();
        await route.fulfill({ response, body: rename(await response.text()) });
      } catch {
        await route.abort().catch(() => undefined);
      }
    });
    try {
      await page.goto(`${masterUrl}/#token=${TOKEN}`);
      await page.waitForSelector('tr.server[data-server^="<img"]', { timeout: 15_000 });
      expect(await page.locator('tr.server[data-server^="<img"] td.id').textContent()).toBe(MARKUP_ID);
      await waitUntil(page, "document.querySelector('#keys-chart')?.getAttribute('data-series') === '5'", 10_000);
      expect(await page.locator('#keys-chart .u-legend .u-series .u-label').allTextContents()).toContain(MARKUP_ID);
      await page.waitForSelector('tr.proxy[data-proxy^="<img"]', { timeout: 10_000 });
      expect(await page.locator('tr.proxy[data-proxy^="<img"] td.id').textContent()).toBe(MARKUP_PROXY);
      await waitUntil(page, "document.querySelector('#proxy-rps-chart')?.getAttribute('data-series') === '2'", 10_000);
      expect(await page.locator('#proxy-rps-chart .u-legend .u-series .u-label').allTextContents()).toContain(MARKUP_PROXY);
      expect(await page.locator('#proxy-latency-chart .u-legend .u-series .u-label').allTextContents()).toContain(`${MARKUP_PROXY} p99`);
      // Coloured by leader, the heat map's legend names each server.
      await page.selectOption('#heatmap-metric', 'leader');
      await waitUntil(page, `document.querySelector('#heatmap-legend')?.textContent?.includes(${JSON.stringify(MARKUP_ID)}) === true`, 10_000);
      expect(await page.evaluate("document.querySelectorAll('img').length")).toBe(0);
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
    } finally {
      await page.close();
    }
  }, 30_000);

  it('shows a hot key named <script> as text: a real one, from the proxy\'s load reports', async () => {
    const keyUrl = `${proxyHttpUrl}/v1/kv/${encodeURIComponent(MARKUP_KEY)}`;
    expect((await fetch(keyUrl, { method: 'PUT', body: 'hot' })).status).toBeLessThan(300);
    const page = await context!.newPage();
    // Reads of that one key until the page lists it: the proxy's sketch finds it, its next load
    // report names it, the master serves it in GET /v1/hotkeys, the page polls that. With an
    // explicit R the reads skip the near cache, whose hits the load counts leave out (they cost
    // no server anything), so the key stays the hottest in every interval.
    const burst = readBurst(proxyHttpUrl, () => `${keyUrl}?r=2`);
    try {
      await page.goto(`${masterUrl}/#token=${TOKEN}`);
      await page.waitForSelector('body[data-state="live"]', { timeout: 15_000 });
      await expect.poll(() => page.locator('#hotkeys td.key').first().textContent(), { timeout: 20_000, interval: 200 }).toBe(MARKUP_KEY);
    } finally {
      burst.stop();
    }
    await burst.done;
    expect(await page.locator('#hotkeys tr.hotkey').first().locator('td.num').first().textContent()).not.toBe('0');
    expect(await page.evaluate("document.querySelectorAll('#hotkeys script').length")).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    await page.close();
  }, 45_000);

  it('asks for the token once when the URL carries none, and keeps it for the tab', async () => {
    const page = await context!.newPage();
    await page.goto(`${masterUrl}/`);
    await page.waitForSelector('#token-form:not([hidden])', { timeout: 15_000 });
    await page.fill('#token-input', 'not-the-token');
    await page.click('#token-form button');
    // A locator, not waitForFunction: a string predicate that is not true at once is polled with
    // eval, which the page's Content-Security-Policy (script-src 'self') rightly refuses.
    await page.locator('#token-why', { hasText: 'refused' }).waitFor({ timeout: 10_000 });
    await page.fill('#token-input', TOKEN);
    await page.click('#token-form button');
    await page.waitForSelector('body[data-state="live"]', { timeout: 10_000 });
    await page.reload();
    await page.waitForSelector('body[data-state="live"]', { timeout: 10_000 });
    expect(await page.locator('#token-form').isHidden()).toBe(true);
    await page.close();
  }, 30_000);

  it('turns a node killed with SIGKILL red within the detection bound; the rest keeps going', async () => {
    const page = await context!.newPage();
    await page.goto(`${masterUrl}/#token=${TOKEN}`);
    await page.waitForSelector(`tr[data-server="n3"]${LIVE}`, { timeout: 15_000 });
    const boundMs = await overviewBound();
    const pid = cluster!.pids().get('n3');
    expect(pid).toBeDefined();
    const killedAt = Date.now();
    process.kill(pid ?? 0, 'SIGKILL');
    await page.waitForSelector('tr[data-server="n3"][data-status="down"]', { timeout: boundMs + PAGE_POLL_MS + 10_000 });
    const elapsedMs = Date.now() - killedAt;
    console.log(`dashboard: n3 killed with SIGKILL turned red after ${String(elapsedMs)} ms (master's bound ${String(boundMs)} ms + one page poll ${String(PAGE_POLL_MS)} ms)`);
    expect(elapsedMs).toBeLessThanOrEqual(boundMs + PAGE_POLL_MS + 500);
    const colour = await page.evaluate(`getComputedStyle(document.querySelector('tr[data-server="n3"] td.status')).color`);
    expect(colour).toBe('rgb(200, 35, 44)');
    for (const id of SERVER_IDS.filter((id) => id !== 'n3')) expect(['up', 'recovering']).toContain(await page.locator(`tr[data-server="${id}"]`).getAttribute('data-status'));
    expect(await page.locator('#summary').textContent()).toMatch(ONE_DOWN);
    expect(await page.locator('tr[data-server="n3"] td.problem').textContent()).toContain('connection refused');
    // The screenshot shows every view: the proxy's charts hold the bursts of the tests before.
    await waitUntil(page, canvasDrawn('#proxy-rps-chart'), 10_000);
    await waitUntil(page, canvasDrawn('#proxy-latency-chart'), 10_000);
    await page.screenshot({ path: join(REPORTS, 'dashboard.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('`ringcache status` sees the same: keys per node, the killed one down, the proxy reporting', async () => {
    const out: string[] = [];
    const code = await main(['status', `--master.port=${String(masterPort)}`, `--cluster.token=${TOKEN}`], { io: { out: (line) => out.push(line), err: (line) => out.push(line) }, env: {}, cwd: ROOT });
    const text = out.join('\n');
    expect(code, text).toBe(0);
    expect(text).toMatch(ONE_DOWN);
    expect(text).toMatch(/^n3\s+b\s+1\s+active\s+down\s/m);
    const held = [...text.matchAll(/^n[1245]\s+.*?\s+1\s+active\s+(?:up|recovering)\s+(\d+)\s/gm)].map((match) => Number(match[1]));
    expect(held).toHaveLength(4);
    expect(held.every((keys) => keys > 0)).toBe(true);
    // The proxy that reports, with its own figures and where it listens.
    expect(text).toMatch(/^PROXY\s+STATUS\s+REQ\/S\s+ERRORS\/S\s+REJECTED\/S\s+P50 \/ P99 MS\s+EPOCH\s+LAST REPORT\s+LISTENS$/m);
    expect(text).toMatch(new RegExp(`^proxy\\.\\S+\\s+reporting\\s+[\\d.]+\\s+[\\d.]+\\s+[\\d.]+\\s+\\S+ \\/ \\S+\\s+\\d+\\s+\\d+ s ago\\s+redis://127\\.0\\.0\\.1:\\d+ ${proxyHttpUrl.replaceAll('.', '\\.')}$`, 'm'));
  }, 30_000);

  it('keeps the last picture and says so when the master dies, and goes live again when it is back', async () => {
    const page = await context!.newPage();
    await page.goto(`${masterUrl}/#token=${TOKEN}`);
    await page.waitForSelector('body[data-state="live"]', { timeout: 15_000 });
    await page.waitForSelector('tr[data-server="n1"]', { timeout: 10_000 });
    process.kill(cluster!.pids().get('master') ?? 0, 'SIGKILL');
    await page.waitForSelector('body[data-state="master-down"]', { timeout: 15_000 });
    expect(await page.locator('#connection').textContent()).toMatch(/shard-master unreachable since .*showing what it said at/);
    expect(await page.locator('tr.server').count()).toBe(5);
    expect(await page.locator('#dashboard').getAttribute('class')).toContain('stale');
    await page.screenshot({ path: join(REPORTS, 'dashboard-master-down.png') });
    // The master comes back (same port, same state file): the page goes live again by itself,
    // without a reload, and shows the servers it says, the killed n3 among them.
    restartedMaster = spawn(process.execPath, [join(ROOT, 'bin', 'ringcache.js'), 'master', '--config', join(folder, 'config.json')], {
      cwd: folder, stdio: 'ignore', env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RINGCACHE_'))),
    });
    await page.waitForSelector('body[data-state="live"]', { timeout: 30_000 });
    expect(await page.locator('#connection').textContent()).toMatch(/^live · updated/);
    expect(await page.locator('#dashboard').getAttribute('class')).not.toContain('stale');
    await page.waitForSelector(`tr[data-server="n1"]${LIVE}`, { timeout: 10_000 });
    expect(await page.locator('tr.server').count()).toBe(5);
    await page.close();
    expect(pageErrors).toEqual([]);
  }, 60_000);

  async function dashboardJson(): Promise<DashboardOverview> {
    const response = await fetch(`${masterUrl}/v1/dashboard`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return await response.json() as DashboardOverview;
  }

  async function overviewBound(): Promise<number> {
    return (await dashboardJson()).detection.boundMs;
  }
});

/**
 * Polls a page-side expression from the test until it is true. page.waitForFunction polls inside
 * the page with eval, which the page's Content-Security-Policy refuses (no 'unsafe-eval'); an
 * evaluate from here goes through the debugging protocol, outside the page's policy.
 */
async function waitUntil(page: Page, expression: string, timeoutMs: number): Promise<void> {
  const endMs = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate(expression) === true) return;
    if (Date.now() > endMs) throw new Error(`not true within ${String(timeoutMs)} ms: ${expression}`);
    await new Promise((resolve) => { setTimeout(resolve, 100); });
  }
}

/** A page-side check that some pixel of a chart's plot canvas is not transparent: it has drawn. */
function canvasDrawn(chart: string): string {
  return `(() => {
    const canvas = document.querySelector('${chart} canvas');
    const pixels = canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
    return pixels !== undefined && pixels.some((value, index) => index % 4 === 3 && value > 0);
  })()`;
}

/**
 * GETs of the keys the test wrote, one at a time through the proxy's HTTP port, until stop() or
 * the bounds (BURST_MS_MAX, BURST_REQUESTS_MAX); `done` resolves with how many were sent.
 */
function readBurst(proxyUrl: string, urlOf: (sent: number) => string = (sent) => `${proxyUrl}/v1/kv/user:${String(sent % 300)}`): { stop: () => void; done: Promise<number> } {
  let stopped = false;
  const run = async (): Promise<number> => {
    const endMs = Date.now() + BURST_MS_MAX;
    let sent = 0;
    while (!stopped && sent < BURST_REQUESTS_MAX && Date.now() < endMs) {
      const response = await fetch(urlOf(sent));
      await response.arrayBuffer();
      sent++;
    }
    return sent;
  };
  return { stop: () => { stopped = true; }, done: run() };
}

/** Script errors and CSP refusals fail the test; a 404 of a route the master lacks is expected. */
function watchErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && !/^Failed to load resource: the server responded with a status of (401|404)/.test(text) && !text.includes('net::ERR_CONNECTION_REFUSED')) {
      errors.push(`console: ${text}`);
    }
  });
}
