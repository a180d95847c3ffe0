/**
 * The docs claim only what answers. Each side is read from the code itself:
 *
 *   HTTP   every route of every role, as fastify registers it (an onRoute hook added to each
 *          instance the builders create: buildMasterHttp, buildNodeHttp, buildProxyHttp)
 *   RESP   the proxy's command table (PROXY_COMMANDS), its refusals ("Not offered") apart
 *   CLI    the dispatch table (COMMANDS), `ringcache --help`, and each command's options
 *
 * and compared with what README.md and docs/*.md list: the README's "What it speaks" lists per
 * role must equal the routes and commands exactly (both ways); any other endpoint or command a
 * doc names must answer, or be one of PLANNED and said to be not there yet on the same line.
 * Features that do not exist (UNBUILT) may be named only where the text says so.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildMasterHttp } from '../../shard-master/http.js';
import { ShardMaster } from '../../shard-master/master.js';
import { moveExecutorOf } from '../../shard-master/server.js';
import { COMMANDS, main } from '../../src/cli/main.js';
import { buildNodeHttp } from '../../src/node/index.js';
import { PROXY_COMMANDS } from '../../src/proxy/resp/command-table.js';
import { ProxyMetrics, buildProxyHttp } from '../../src/proxy/index.js';
import { SystemClock, silentLogger } from '../../src/runtime/index.js';
import { MemoryEngine } from '../../src/storage/index.js';
import { InProcessCluster } from '../helpers/in-process-cluster.js';
import { masterConfig, tempDir } from '../support/master-fixtures.js';

const recorded = vi.hoisted(() => ({ apps: 0, routes: [] as { app: number; method: string; url: string }[] }));

// The real fastify, with a hook on each instance that records its routes as they are added.
vi.mock('fastify', async (importOriginal) => {
  const real = await importOriginal<typeof import('fastify')>();
  const build = (options?: Parameters<typeof real.default>[0]): FastifyInstance => {
    const app = real.default(options) as unknown as FastifyInstance;
    const id = ++recorded.apps;
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) recorded.routes.push({ app: id, method: String(method), url: route.url });
    });
    return app;
  };
  return { ...real, default: build, fastify: build };
});

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const DOCS = Object.fromEntries([
  ['README.md', README],
  ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => [`docs/${name}`, readFileSync(join(ROOT, 'docs', name), 'utf8')]),
]) as Record<string, string>;
const ALERTS = readFileSync(join(ROOT, 'ops/prometheus/alerts.yml'), 'utf8');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { description: string };

/**
 * Endpoints the design has and the code does not answer yet (the dashboard polls them and says
 * "not reported yet"). A doc may name one only on a line that says it is not there yet. Once a
 * role answers it, it is checked like any other.
 */
const PLANNED: readonly string[] = [];
/** What a line naming a PLANNED endpoint or an UNBUILT feature must also say. */
const NOT_YET = /not\s+(yet|built|available)|once\s+(the\s+master|it|they)\s+(serves?|reports?|exists?)|until\s+(then|it|they)|planned/i;
/** Features promised before they exist: named only next to NOT_YET. */
// Load-aware rebalancing, the rebalancer and the hot-key cache were here until they were built.
const UNBUILT: readonly RegExp[] = [/internode TLS/i, /TLS between (the )?nodes/i, /list commands? (are|is) (supported|offered)/i];

/**
 * How a route's path is written in the docs. The proxy routes /v1/kv/<key> and /v1/route/<key>
 * to fixed paths (rewriteUrl, so keys reach the handler as raw bytes); the master's static files
 * are one wildcard.
 */
const DOC_FORM: Readonly<Record<string, string>> = { '/v1/kv/_': '/v1/kv/:key', '/v1/route/_': '/v1/route/:key', '/dashboard/*': '/dashboard/<file>' };

type Role = 'master' | 'node' | 'proxy';
/** Path -> methods (HEAD left out: fastify adds it to every GET). */
type Routes = Map<string, Set<string>>;

function routesOf(app: number): Routes {
  const routes: Routes = new Map();
  for (const route of recorded.routes.filter((entry) => entry.app === app && entry.method !== 'HEAD')) {
    const path = DOC_FORM[route.url] ?? route.url;
    routes.set(path, (routes.get(path) ?? new Set()).add(route.method));
  }
  return routes;
}

/** The README's "What it speaks" bullet that starts with `- **<title>**`, up to the next bullet. */
function bullet(title: string): string {
  const start = README.indexOf(`- **${title}**`);
  expect(start, `README's "What it speaks" has a bullet for ${title}`).toBeGreaterThanOrEqual(0);
  const end = README.indexOf('\n- **', start + 1);
  const section = README.indexOf('\n## ', start);
  return README.slice(start, Math.min(end === -1 ? Infinity : end, section === -1 ? Infinity : section));
}

function backtickSpans(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((match) => match[1] as string);
}

/** Paths in backticks, with the methods written before them (`GET|PUT /v1/kv/:key`); queries dropped. */
function documentedRoutes(text: string): Routes {
  const routes: Routes = new Map();
  for (const span of backtickSpans(text)) {
    const match = /^(?:((?:GET|PUT|POST|DELETE)(?:\|(?:GET|PUT|POST|DELETE))*) )?(\/[^\s?]*)/.exec(span);
    if (match === null) continue;
    const methods = match[1]?.split('|') ?? ['GET'];
    const path = match[2] as string;
    routes.set(path, new Set([...(routes.get(path) ?? []), ...methods]));
  }
  return routes;
}

function asObject(routes: Routes | undefined): Record<string, string[]> {
  const entries: [string, string[]][] = [...(routes ?? [])].map(([path, methods]) => [path, [...methods].sort()]);
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

/** A documented path (`/v1/kv/greeting`, `/v1/dashboard*`) against a route (`/v1/kv/:key`). */
function matches(path: string, route: string): boolean {
  // `/v1/dashboard*` and `/v1/kv` (for /v1/kv/:key) name a family of routes.
  if (path.endsWith('*')) return route.startsWith(path.slice(0, -1));
  if (route.startsWith(`${path}/`)) return true;
  const pattern = route.split('/').map((part) => (part.startsWith(':') || part === '<file>' ? '[^/]+(/[^/]+)*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
  return new RegExp(`^${pattern}$`).test(path);
}

/**
 * A doc cut where a sentence cannot run on: at blank lines, bullets and table rows, so a wrapped
 * sentence is judged whole and one bullet's "not yet" does not excuse its neighbour. `line` is
 * where the block starts (1-based).
 */
function blocks(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  text.split('\n').forEach((line, index) => {
    const starts = out.length === 0 || line.trim() === '' || /^\s*([-*] |\d+\. |\|)/.test(line) || (out.at(-1)?.text.trim() ?? '') === '';
    if (starts) out.push({ line: index + 1, text: line });
    else (out.at(-1) as { text: string }).text += `\n${line}`;
  });
  return out;
}

/** Upper-case command names in the README's RESP bullet: options in (...) and [...] dropped. */
function documentedCommands(text: string): Set<string> {
  const names = new Set<string>();
  for (const span of backtickSpans(text)) {
    const bare = span.replace(/\([^)]*\)/g, '').replace(/\[[^\]]*\]/g, '');
    for (const match of bare.matchAll(/(?<![-\w])(RC\.[A-Z]+|[A-Z]{3,})(?![\w.])/g)) names.add((match[1] as string).toLowerCase());
  }
  return names;
}

describe('the docs against what answers', () => {
  const roles = new Map<Role, Routes>();
  const folder = tempDir();
  let master: ShardMaster | undefined;
  let cluster: InProcessCluster | undefined;
  const apps: FastifyInstance[] = [];

  beforeAll(async () => {
    const config = masterConfig({ stateFile: join(folder, 'state.json') });
    master = new ShardMaster({ config, clock: new SystemClock(), logger: silentLogger, registry: new Registry(), options: {} });
    await master.start();
    apps.push(buildMasterHttp(master, { config, logger: silentLogger, registry: new Registry(), moves: moveExecutorOf(master, config, new SystemClock(), silentLogger) }));
    roles.set('master', routesOf(recorded.apps));
    apps.push(buildNodeHttp({ serverId: 'n1', registry: new Registry(), engine: new MemoryEngine({ bytesMax: 1024 }), epoch: () => 1, actor: () => 'n1.a' }));
    roles.set('node', routesOf(recorded.apps));
    cluster = new InProcessCluster();
    const registry = new Registry();
    apps.push(buildProxyHttp(cluster.proxyDeps({ registry, metrics: new ProxyMetrics(registry, { coordinator: cluster.coordinator, table: cluster.tableView }) })));
    roles.set('proxy', routesOf(recorded.apps));
    await Promise.all(apps.map((app) => app.ready()));
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await cluster?.stop();
    master?.stop();
  });

  it('sees the routes of every role (the hook works)', () => {
    expect(asObject(roles.get('proxy'))).toEqual({
      '/health': ['GET'], '/metrics': ['GET'], '/v1/kv/:key': ['DELETE', 'GET', 'PUT'], '/v1/near-cache/invalidate': ['POST'], '/v1/route/:key': ['GET'],
    });
    expect(roles.get('master')?.size).toBeGreaterThan(5);
    expect(roles.get('node')?.has('/v1/stats')).toBe(true);
  });

  it.each([
    ['proxy', 'HTTP'],
    ['master', 'Shard-master'],
    ['node', 'Nodes'],
  ] as const)("README's list for the %s is exactly the routes it answers", (role, title) => {
    expect(asObject(documentedRoutes(bullet(title)))).toEqual(asObject(roles.get(role)));
  });

  it('names no endpoint anywhere that no role answers, unless it says it is not there yet', () => {
    const answered = [...roles.values()].flatMap((routes) => [...routes.keys()]);
    const wrong: string[] = [];
    for (const [file, text] of Object.entries(DOCS)) {
      for (const { line: index, text: block } of blocks(text)) {
        for (const match of block.matchAll(/`(?:(?:GET|PUT|POST|DELETE)(?:\|[A-Z]+)* )?(\/(?:v1|health|metrics|dashboard)[^\s`?]*)/g)) {
          const path = (match[1] as string).replace(/[.,:;)]+$/, '');
          if (path === '/v1') continue; // "every /v1 route"
          if (answered.some((route) => matches(path, route))) continue;
          if (PLANNED.some((planned) => path.startsWith(planned)) && NOT_YET.test(block)) continue;
          wrong.push(`${file}:${String(index)}: ${path}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it("README's RESP list is exactly the proxy's command table, refusals apart", () => {
    const offered = PROXY_COMMANDS.filter((command) => !command.summary.startsWith('Not offered')).map((command) => command.name);
    const refused = PROXY_COMMANDS.filter((command) => command.summary.startsWith('Not offered')).map((command) => command.name);
    expect(refused.length).toBeGreaterThan(0);
    const documented = documentedCommands(bullet('RESP'));
    expect([...documented].sort()).toEqual([...offered].sort());
    expect(bullet('RESP')).toMatch(/list commands answer\s+why lists are not offered/);
    expect(refused.every((name) => name.startsWith('l') || name.startsWith('r') || name.startsWith('b'))).toBe(true);
  });

  it("README's command block and `ringcache --help` list exactly the CLI's commands, and their flags exist", async () => {
    const block = /## Commands\n+```\n([\s\S]*?)```/.exec(README)?.[1] ?? '';
    const lines = block.split('\n').filter((line) => line.startsWith('ringcache '));
    const documented = new Map<string, string[]>();
    for (const line of lines) {
      const usage = line.split(/ {2,}/)[0] ?? '';
      for (const part of usage.replace(/^ringcache /, '').split(' | ')) {
        const [name, ...rest] = part.trim().split(/\s+/);
        documented.set(name ?? '', rest.join(' ').match(/--[a-z-]+/g)?.map((flag) => flag.slice(2)) ?? []);
      }
    }
    expect([...documented.keys()].sort()).toEqual(Object.keys(COMMANDS).sort());
    for (const [name, flags] of documented) {
      const known = new Set([...(COMMANDS[name]?.options ?? []).map((option) => option.name), 'config', 'help']);
      expect([name, flags.filter((flag) => !known.has(flag))]).toEqual([name, []]);
    }
    const out: string[] = [];
    const code = await main(['--help'], { io: { out: (line) => out.push(line), err: (line) => out.push(line) }, env: {}, cwd: ROOT });
    expect(code).toBe(0);
    const listed = out.slice(out.indexOf('Commands:') + 1).filter((line) => /^ {2}\S/.test(line)).map((line) => line.trim().split(/\s+/)[0]);
    expect(listed.sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  it('names only real commands in `ringcache <command>` anywhere in the docs and alert texts', () => {
    const wrong: string[] = [];
    const sources = { ...DOCS, 'ops/prometheus/alerts.yml': ALERTS };
    for (const [file, text] of Object.entries(sources)) {
      for (const match of text.matchAll(/(?:`|\()ringcache ([a-z][a-z-]*)/g)) {
        if (!Object.hasOwn(COMMANDS, match[1] as string)) wrong.push(`${file}: ringcache ${String(match[1])}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('promises no unbuilt feature: package description, --help, README, docs, alerts', async () => {
    const out: string[] = [];
    await main(['--help'], { io: { out: (line) => out.push(line), err: (line) => out.push(line) }, env: {}, cwd: ROOT });
    const sources = { ...DOCS, 'ops/prometheus/alerts.yml': ALERTS, 'package.json description': PACKAGE.description, '--help': out.join('\n') };
    const wrong: string[] = [];
    for (const [file, text] of Object.entries(sources)) {
      // The references cite papers by their subject ("hot-key cache"): not a claim.
      for (const { line, text: block } of blocks(text.split(/\n## References\n/)[0] ?? '')) {
        for (const claim of UNBUILT) if (claim.test(block) && !NOT_YET.test(block)) wrong.push(`${file}:${String(line)}: ${claim.source} in "${block.slice(0, 120)}..."`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('would catch a wrong line (the checks are not blind)', () => {
    expect(asObject(documentedRoutes('`GET|PUT /v1/kv/:key`, `/health`'))).toEqual({ '/health': ['GET'], '/v1/kv/:key': ['GET', 'PUT'] });
    expect(matches('/v1/kv/greeting', '/v1/kv/:key')).toBe(true);
    expect(matches('/v1/load', '/v1/kv/:key')).toBe(false);
    expect([...documentedCommands('`PING SET(EX|PX) RC.GETV key [R n]`, `-ERR unknown command`')].sort()).toEqual(['ping', 'rc.getv', 'set']);
    expect(UNBUILT.some((claim) => claim.test(PACKAGE_CLAIM_BEFORE))).toBe(true);
    expect(NOT_YET.test(PACKAGE_CLAIM_BEFORE)).toBe(false);
  });
});

/** A description promising what is not built: it must trip the check. */
const PACKAGE_CLAIM_BEFORE = "A sharded, replicated key-value cache built on Amazon's Dynamo: Redis-protocol and HTTP proxy, quorums, dotted version vectors, internode TLS.";
