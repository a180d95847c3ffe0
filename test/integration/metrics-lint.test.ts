/**
 * What an operator scrapes and imports, checked with Prometheus's own tool: `promtool check
 * metrics` on the /metrics of a real master, node and proxy after some traffic; `promtool check
 * rules` and `promtool test rules` on ops/prometheus/alerts.yml; every PromQL expression of
 * ops/grafana/ringcache.json parsed by promtool too; and every metric the dashboard and the alerts
 * name is one the processes export.
 *
 * promtool comes with Debian's prometheus package (.ci/run installs it); without it these tests
 * are skipped, as the redis-cli ones are without redis-tools.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessCluster } from '../support/process-cluster.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ALERTS = join(ROOT, 'ops/prometheus/alerts.yml');
const ALERT_TESTS = join(ROOT, 'test/ops/alerts.test.yml');
const DASHBOARD = join(ROOT, 'ops/grafana/ringcache.json');

/** Prometheus's own series, which no ringcache process exports. */
const PROMETHEUS_SERIES = new Set(['up']);

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const hasPromtool = promtool.error === undefined && promtool.status === 0;
if (!hasPromtool) console.warn('metrics-lint: promtool not found (Debian package prometheus); skipping the promtool checks');

function runPromtool(args: readonly string[], input?: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { encoding: 'utf8', input, timeout: 30_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Metric family names of a Prometheus text exposition (from its # TYPE lines). */
function families(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1] as string));
}

/** Metric names a PromQL expression reads, histogram and summary suffixes folded to their family. */
function namesIn(expression: string): string[] {
  const names = expression.match(/\b(ringcache_[a-z0-9_]+|up)\b/g) ?? [];
  return names.map((name) => name.replace(/_(bucket|sum|count)$/, ''));
}

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly panels?: readonly Panel[];
  readonly targets?: readonly { readonly expr: string }[];
}

function dashboardExpressions(): { title: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  const all: { title: string; expr: string }[] = [];
  const walk = (panels: readonly Panel[]): void => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) all.push({ title: panel.title, expr: target.expr });
      walk(panel.panels ?? []);
    }
  };
  walk(dashboard.panels);
  return all;
}

function alertExpressions(): string[] {
  return [...readFileSync(ALERTS, 'utf8').matchAll(/^\s+expr: (\|\n(?:\s{10,}.*\n)+|.*)$/gm)].map((match) => (match[1] as string).replace(/^\|\n/, ''));
}

describe.skipIf(!hasPromtool)('ops files', () => {
  it('alerts.yml passes promtool check rules', () => {
    const result = runPromtool(['check', 'rules', ALERTS]);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('each alert fires on the series that should trip it (promtool test rules)', () => {
    const result = runPromtool(['test', 'rules', ALERT_TESTS]);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('every dashboard expression is valid PromQL', () => {
    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThan(20);
    // Each expression as a recording rule: promtool parses it. Grafana's $__rate_interval is a duration.
    const rules = expressions.map((entry, i) => `      - record: ringcache_dashboard:panel_${String(i)}\n        expr: ${JSON.stringify(entry.expr.replaceAll('$__rate_interval', '1m'))}`);
    const folder = mkdtempSync(join(tmpdir(), 'ringcache-dashboard-'));
    try {
      const file = join(folder, 'dashboard-rules.yml');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      const result = runPromtool(['check', 'rules', file]);
      expect(result.output).toContain(`SUCCESS: ${String(expressions.length)} rules found`);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!hasPromtool)('the /metrics of real processes', () => {
  const cluster = new ProcessCluster({ nodes: 3 });
  const scraped = new Map<string, string>();

  beforeAll(async () => {
    await cluster.start();
    const redis = new Redis({ port: cluster.respPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
    try {
      for (let i = 0; i < 20; i++) {
        await redis.set(`key:${String(i)}`, `value ${String(i)}`);
        await redis.get(`key:${String(i)}`);
      }
      await redis.get('absent');
    } finally {
      redis.disconnect();
    }
    const http = `http://127.0.0.1:${String(cluster.httpPort)}`;
    expect((await fetch(`${http}/v1/kv/web`, { method: 'PUT', body: 'x' })).status).toBe(204);
    expect((await fetch(`${http}/v1/kv/web`)).status).toBe(200);
    const node = (cluster.config.nodes as { httpPort: number }[])[0];
    const targets = { master: cluster.masterPort, node: node?.httpPort ?? 0, proxy: cluster.httpPort };
    for (const [role, port] of Object.entries(targets)) {
      const response = await fetch(`http://127.0.0.1:${String(port)}/metrics`);
      expect(response.status).toBe(200);
      scraped.set(role, await response.text());
    }
  }, 60_000);

  afterAll(async () => {
    await cluster.stop();
  }, 30_000);

  it.each(['master', 'node', 'proxy'])('the %s passes promtool check metrics', (role) => {
    const text = scraped.get(role) ?? '';
    expect(text).toMatch(new RegExp(`^ringcache_build_info\\{version="[^"]+",node_version="v[^"]+",role="${role}"\\} 1$`, 'm'));
    const result = runPromtool(['check', 'metrics'], text);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('the proxy reports each backend node and the node its own request latency, in seconds', () => {
    const proxy = scraped.get('proxy') ?? '';
    for (const id of cluster.nodeIds) expect(proxy).toMatch(new RegExp(`^ringcache_proxy_backend_requests_total\\{node="${id}",op="(read|merge|coord-put)"\\} [1-9]`, 'm'));
    expect(proxy).toMatch(/^ringcache_proxy_backend_request_duration_seconds_bucket\{node="n\d",op="read",le="0.00025"\} \d+$/m);
    expect(proxy).toMatch(/^ringcache_proxy_receive_bytes_total\{protocol="resp"\} [1-9]\d*$/m);
    expect(proxy).toMatch(/^ringcache_proxy_transmit_bytes_total\{protocol="http"\} [1-9]\d*$/m);
    const node = scraped.get('node') ?? '';
    expect(node).toMatch(/^ringcache_node_request_duration_seconds_count\{kind="(read|merge|coord-put)"\} [1-9]\d*$/m);
    expect(node).toMatch(/^ringcache_node_receive_bytes_total [1-9]\d*$/m);
    expect(node).toMatch(/^ringcache_node_storage_limit_bytes \d+$/m);
  });

  it('docs/OPERATIONS.md lists every metric the processes export', () => {
    const operations = readFileSync(join(ROOT, 'docs/OPERATIONS.md'), 'utf8');
    const exported = [...scraped.values()].flatMap((text) => [...families(text)]).filter((name) => !/^ringcache_[a-z]+_process_/.test(name));
    expect(exported.length).toBeGreaterThan(40);
    expect(exported.filter((name) => !operations.includes(`\`${name}\``))).toEqual([]);
  });

  it('the dashboard and the alerts read only metrics that exist', () => {
    const exported = new Set<string>();
    for (const text of scraped.values()) for (const name of families(text)) exported.add(name);
    const used = new Set([...dashboardExpressions().flatMap((entry) => namesIn(entry.expr)), ...alertExpressions().flatMap(namesIn)]);
    expect(used.size).toBeGreaterThan(25);
    // The repair rules and panels name hinted handoff's and anti-entropy's figures: a rename there must fail here.
    for (const name of ['ringcache_node_hints_bytes', 'ringcache_node_hints_dropped_total', 'ringcache_node_anti_entropy_recovering_vnodes']) expect(used).toContain(name);
    const unknown = [...used].filter((name) => !exported.has(name) && !PROMETHEUS_SERIES.has(name));
    expect(unknown).toEqual([]);
  });
});
