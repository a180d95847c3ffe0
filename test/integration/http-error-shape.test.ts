/**
 * Every route of every role's HTTP server, sent bad requests over a real socket (so node's parser
 * errors are included, not only fastify's): every error answer must be
 * `{ code: RC_ERR_..., message, details }` with the catalogue's status for that code.
 */
import net from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMasterHttp } from '../../shard-master/http.js';
import { ShardMaster } from '../../shard-master/master.js';
import { buildNodeHttp } from '../../src/node/index.js';
import { buildProxyHttp, ProxyMetrics } from '../../src/proxy/index.js';
import { ERROR_CATALOGUE, SystemClock, silentLogger } from '../../src/runtime/index.js';
import type { ErrorCode } from '../../src/runtime/index.js';
import { MemoryEngine } from '../../src/storage/index.js';
import { InProcessCluster } from '../helpers/in-process-cluster.js';
import { masterConfig, tempDir } from '../support/master-fixtures.js';

interface Answer { readonly status: number; readonly contentType: string; readonly body: string }

/** One request as raw bytes, one answer read to the close (every request says Connection: close). */
function exchange(port: number, request: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => { socket.write(request); });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const contentType = /\r\ncontent-type: ([^\r]+)/i.exec(head)?.[1] ?? '';
      resolve({ status, contentType, body: /\r\ntransfer-encoding: chunked/i.test(head) ? dechunk(body) : body });
    });
  });
}

function dechunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const end = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, end), 16);
    if (!(size > 0)) return out;
    out += rest.slice(end + 2, end + 2 + size);
    rest = rest.slice(end + 4 + size);
  }
}

/** (method, path) of every route, from fastify's own route tree; HEAD is GET's twin. */
function routesOf(app: FastifyInstance): [string, string][] {
  const routes: [string, string][] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[└├]── (\S+) \(([A-Z, ]+)\)/.exec(line);
    if (match === null) continue;
    const depth = (match[1] ?? '').length / 4;
    stack.length = depth;
    const full = `${stack.join('')}${match[2] ?? ''}`;
    stack.push(match[2] ?? '');
    const concrete = full.replace(/:[^/]+/g, 'x').replace(/\*$/, 'anything');
    for (const method of (match[3] ?? '').split(', ')) if (method !== 'HEAD') routes.push([method, concrete]);
  }
  return routes;
}

/** The bad requests every route gets; what fastify or node answers to each varies, the shape may not. */
function badRequests(method: string, url: string, auth: string): [string, string][] {
  const close = 'Host: x\r\nConnection: close\r\n';
  const huge = 'x'.repeat(20 * 1024);
  const body = '{"not": "closed"'.padEnd(2 * 1024 * 1024, ' ');
  return [
    ['headers over the limit', `${method} ${url} HTTP/1.1\r\n${close}${auth}X-Huge: ${huge}\r\n\r\n`],
    ['a URL that does not decode', `${method} ${url}%zz%ff?a=%zz HTTP/1.1\r\n${close}${auth}\r\n`],
    ['a method the route has not', `PATCH ${url} HTTP/1.1\r\n${close}${auth}Content-Length: 0\r\n\r\n`],
    ['a body over the limit', `${method} ${url} HTTP/1.1\r\n${close}${auth}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`],
    ['bad JSON', `${method} ${url} HTTP/1.1\r\n${close}${auth}Content-Type: application/json\r\nContent-Length: 5\r\n\r\n{"a":`],
    ['a bad content length', `${method} ${url} HTTP/1.1\r\n${close}${auth}Content-Length: abc\r\n\r\n`],
    ['no credentials', `${method} ${url}?since=-1&r=99&w=zz&ttl=-5 HTTP/1.1\r\n${close}\r\n`],
    ['garbage', `${method} ${url} HTTQ/9\r\n\r\n`],
  ];
}

function expectShape(answer: Answer, what: string): void {
  const parsed = JSON.parse(answer.body) as Record<string, unknown>;
  expect(Object.keys(parsed).sort(), what).toEqual(['code', 'details', 'message']);
  const code = parsed.code as ErrorCode;
  expect(Object.keys(ERROR_CATALOGUE), what).toContain(code);
  expect(answer.status, what).toBe(ERROR_CATALOGUE[code].httpStatus);
  expect(typeof parsed.message, what).toBe('string');
  expect(typeof parsed.details, what).toBe('object');
  expect(answer.contentType, what).toMatch(/^application\/json/);
}

interface Role { readonly name: string; readonly app: FastifyInstance; readonly auth: string; stop(): Promise<void> }
const roles: Role[] = [];

beforeAll(async () => {
  const cluster = new InProcessCluster({ config: ['proxy.password=pw', 'proxy.httpHeaderBytesMax=8192'] });
  const registry = new Registry();
  const metrics = new ProxyMetrics(registry, { coordinator: cluster.coordinator, table: cluster.tableView });
  const proxy = buildProxyHttp(cluster.proxyDeps({ registry, metrics }));
  roles.push({ name: 'proxy', app: proxy, auth: 'Authorization: Bearer pw\r\n', stop: () => proxy.close() });

  const engine = new MemoryEngine({ bytesMax: 1024 * 1024 });
  const node = buildNodeHttp({ serverId: 'n1', registry: new Registry(), engine, epoch: () => 1, actor: () => 'n1.a', token: 'tok' });
  roles.push({ name: 'node', app: node, auth: 'Authorization: Bearer tok\r\n', stop: () => node.close() });

  const config = masterConfig({ stateFile: path.join(tempDir(), 'state.json'), longPollMs: 200, token: 'tok' });
  const masterRegistry = new Registry();
  const master = new ShardMaster({ config, clock: new SystemClock(), logger: silentLogger, registry: masterRegistry, options: {} });
  await master.start();
  const admin = buildMasterHttp(master, { config, logger: silentLogger, registry: masterRegistry });
  roles.push({ name: 'master', app: admin, auth: 'Authorization: Bearer tok\r\n', stop: async () => { await admin.close(); master.stop(); } });
  for (const role of roles) await role.app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  for (const role of roles.splice(0)) await role.stop();
});

const port = (app: FastifyInstance): number => (app.server.address() as net.AddressInfo).port;

describe('one HTTP error shape', () => {
  it.each(['proxy', 'node', 'master'])('%s: every route answers every bad request with { code, message, details }', async (name) => {
    const role = roles.find((candidate) => candidate.name === name)!;
    const routes = routesOf(role.app);
    expect(routes.length).toBeGreaterThanOrEqual(3);
    let errors = 0;
    const statuses = new Set<number>();
    for (const [method, url] of routes) {
      for (const [what, request] of badRequests(method, url, role.auth)) {
        const answer = await exchange(port(role.app), request);
        const label = `${name} ${method} ${url}: ${what} -> ${String(answer.status)} ${answer.body.slice(0, 120)}`;
        expect(answer.status, label).toBeGreaterThan(0);
        if (answer.status < 400) continue;
        errors++;
        statuses.add(answer.status);
        expectShape(answer, label);
      }
    }
    // Not a test that cannot fail: most bad requests are refused, with fastify's and node's statuses among them.
    expect(errors).toBeGreaterThanOrEqual(routes.length * 4);
    for (const status of [400, 401, 404, 431]) expect([...statuses], `${name} statuses`).toContain(status);
    // Only the proxy has routes that read a body (PUT /v1/kv); the others never parse one.
    if (name === 'proxy') expect([...statuses]).toContain(413);
  });
});
