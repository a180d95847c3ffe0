import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { packageRoot } from '../../src/cli/config-source.js';
import type { DashboardOverview } from '../../src/client/dashboard-api.js';
import { buildNodeHttp } from '../../src/node/index.js';
import type { NodeRequestFigures } from '../../src/node/index.js';
import { SystemClock, silentLogger } from '../../src/runtime/index.js';
import { MemoryEngine } from '../../src/storage/index.js';
import { startMaster } from '../../shard-master/index.js';
import type { RunningMaster } from '../../shard-master/index.js';
import { closedPort, masterConfig, tempDir } from '../support/master-fixtures.js';

/**
 * `ringcache status` against a real shard-master in this process, whose nodes are two real node
 * HTTP fronts over empty engines (one configured with another token) and a port nothing listens
 * on. The status is the master's view (its /health probes), not a probe from the CLI.
 */
const TOKEN = 'status-token';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { io: { out: (line) => out.push(line), err: (line) => err.push(line) }, env: {}, cwd: packageRoot() });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('ringcache status against a real shard-master', () => {
  const dir = tempDir();
  const nodes: FastifyInstance[] = [];
  let master: RunningMaster;
  let masterPort = 0;

  beforeAll(async () => {
    const ports: number[] = [];
    // n1 counts requests as a serving node does: 50 more each time it is asked.
    let served = 0;
    const requests = (): NodeRequestFigures => {
      served += 50;
      return { total: served, kinds: ['read'], latencyMs: { boundsMs: [1, 10], counts: [served, 0, 0] } };
    };
    for (const token of [TOKEN, 'another-token']) {
      const app = buildNodeHttp({
        serverId: `n${String(nodes.length + 1)}`, registry: new Registry(), engine: new MemoryEngine({ bytesMax: 1 << 20 }), epoch: () => 1, actor: () => 'a.1', token,
        ...(nodes.length === 0 ? { requests } : {}),
      });
      await app.listen({ host: '127.0.0.1', port: 0 });
      nodes.push(app);
      ports.push((app.server.address() as AddressInfo).port);
    }
    ports.push(await closedPort());
    const config = masterConfig({
      stateFile: path.join(dir, 'state.json'), token: TOKEN, vnodeCount: 64,
      nodes: ports.map((httpPort, index) => ({ id: `n${String(index + 1)}`, zone: ['a', 'b', 'c'][index], host: '127.0.0.1', port: 1 + index, httpPort })),
    });
    master = await startMaster({ config, clock: new SystemClock(), logger: silentLogger });
    masterPort = Number(new URL(master.url).port);
  });

  afterAll(async () => {
    await master.stop();
    await Promise.all(nodes.map((app) => app.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const args = (...extra: string[]): string[] => ['status', `--master.port=${String(masterPort)}`, `--cluster.token=${TOKEN}`, ...extra];

  // First in this block: the master has never sampled the nodes, as after a quiet spell.
  it('a one-off status shows a node\'s requests per second: it waits for the second sample itself', async () => {
    const result = await cli(args('--json'));
    expect(result.code).toBe(0);
    const n1 = (JSON.parse(result.out) as DashboardOverview).servers.find((server) => server.id === 'n1');
    expect(n1?.requestsReported).toBe(true);
    expect(n1?.requests?.perSec).toBeGreaterThan(0);
  });

  it('calls the dead node down within the detection bound, as the master sees it', async () => {
    const started = Date.now();
    let view: DashboardOverview | undefined;
    while (Date.now() - started < 10_000) {
      const result = await cli(args('--json'));
      expect(result.code).toBe(0);
      view = JSON.parse(result.out) as DashboardOverview;
      if (view.servers.find((server) => server.id === 'n3')?.status === 'down') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(view?.servers.map((server) => [server.id, server.status])).toEqual([['n1', 'up'], ['n2', 'up'], ['n3', 'down']]);
    // Started before the first probe round; down no later than the bound after it.
    expect(Date.now() - started).toBeLessThan(view?.detection.boundMs ?? 0);
  });

  it('prints what each node really holds, and why where it cannot say', async () => {
    const result = await cli(args());
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('servers 3: 2 up, 0 suspect, 1 down, in 3 zones');
    // n1 holds nothing: 0 keys in 0 vnodes, beside the 64 replicas the table gives it.
    expect(result.out).toMatch(/^n1\s+a\s+1\s+active\s+up\s+0\s+0 B \/ 1\.0 MiB\s+0\s+64\/64\s/m);
    expect(result.out).toMatch(/^n2\s+b\s+1\s+active\s+up\s+\?\s+\?\s+\?\s+64\/64\s/m);
    expect(result.out).toMatch(/^n3\s+c\s+1\s+active\s+down\s+\?/m);
    expect(result.out).toContain("n2: holdings unknown: the node refused the master's cluster token (HTTP 401): check cluster.token on both");
    expect(result.out).toMatch(/n3: \/health probes failing for \d+ s \(connection refused\); holdings unknown: (not asked|connection refused)/);
    expect(result.out).toContain('proxy http://127.0.0.1:8080: ');
  });

  it('--watch refreshes every second, --count ends it', async () => {
    const started = Date.now();
    const result = await cli(args('--watch', '--count', '3'));
    expect(result.code).toBe(0);
    expect(result.out.match(/^SERVER /gm)).toHaveLength(3);
    expect(result.out.match(/^\(refreshed in \d+ ms; --watch: every 1 s\)$/gm)).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    const json = await cli(args('--watch', '--count=2', '--json'));
    expect(json.out.split('\n').map((line) => (JSON.parse(line) as DashboardOverview).epoch)).toEqual([1, 1]);
  });

  it('without the token: a clear refusal, exit 1', async () => {
    const refused = await cli(['status', `--master.port=${String(masterPort)}`, '--timeout-ms=1000']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('HTTP 401');
    expect(refused.err).toContain('cluster.token');
  });
});

describe('ringcache status when the master is absent or odd', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); })));
  });
  async function serve(handler: http.RequestListener): Promise<number> {
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve); });
    servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  it('master down: a clear message and exit 1; --watch keeps trying, one line a refresh', async () => {
    const port = await closedPort();
    const result = await cli(['status', `--master.port=${String(port)}`]);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`cannot reach the shard-master at http://127.0.0.1:${String(port)}/v1/dashboard: connection refused`);
    expect(result.err).toContain('npm start');
    const watching = await cli(['status', `--master.port=${String(port)}`, '--watch', '--count=2']);
    expect(watching.code).toBe(1);
    expect(watching.err.match(/connection refused.*\(retrying every second; Ctrl-C stops\)/g)).toHaveLength(2);
  });

  it('a master that answers garbage or has no /v1/dashboard is an error, not a crash', async () => {
    const garbage = await serve((_request, response) => response.end('<html>'));
    expect((await cli(['status', `--master.port=${String(garbage)}`])).err).toContain('not JSON');
    const older = await serve((_request, response) => { response.statusCode = 404; response.end('{"code":"RC_ERR_NOT_FOUND"}'); });
    const result = await cli(['status', `--master.port=${String(older)}`]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('has no /v1/dashboard: it runs an older ringcache');
    const partial = await serve((_request, response) => response.end('{"servers":[{"id":"n1"}],"totals":{},"proxies":{"configured":[]}}'));
    expect((await cli(['status', `--master.port=${String(partial)}`])).err).toContain('without probe or holds (servers[0])');
  });

  it('--count without --watch is a usage error', async () => {
    const result = await cli(['status', '--count=2']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('--count goes with --watch');
  });
});
