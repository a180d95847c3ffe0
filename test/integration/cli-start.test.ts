import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ChildExit } from '../../src/cli/child.js';
import { LocalCluster } from '../../src/cli/cluster.js';
import type { LocalClusterOptions } from '../../src/cli/cluster.js';
import { resolveClusterConfig } from '../../src/cli/cluster-plan.js';
import { portIsFree } from '../../src/cli/http-probe.js';
import { testPort } from '../support/ports.js';
import { loadConfig, readConfigFile } from '../../src/config/index.js';
import type { RingcacheConfig } from '../../src/config/index.js';
import { SystemClock } from '../../src/runtime/index.js';

/**
 * The `ringcache start` machinery (LocalCluster) with fake roles: each fake keeps the roles
 * contract (src/cli/roles.ts): serves GET /health on its HTTP port, prints the ready line,
 * stops on SIGTERM or when its parent's IPC channel closes. The real mains are wired by the lead.
 */
const FAKE_ROLE = `
import http from 'node:http';
import { appendFileSync, readFileSync } from 'node:fs';
const [role, ...rest] = process.argv.slice(2);
const config = JSON.parse(readFileSync(rest[rest.indexOf('--config') + 1], 'utf8'));
const id = rest.includes('--id') ? rest[rest.indexOf('--id') + 1] : role;
const log = (event) => appendFileSync(process.env.FAKE_EVENTS, event + '\\n');
const node = config.nodes.find((entry) => entry.id === id);
const httpPort = role === 'master' ? config.master.port : role === 'node' ? node.httpPort : config.proxy.httpPort;
if (process.env.FAKE_FAIL === id) { console.error(id + ': cannot start, giving up'); process.exit(4); }
const server = http.createServer((request, response) => {
  if (request.url === '/crash') { console.error('crash'); process.exit(3); }
  response.end('{"status":"ok"}');
});
// Slow to listen, so a parent that does not wait for /health starts the next stage too early.
setTimeout(() => server.listen(httpPort, '127.0.0.1', () => {
  log('start ' + id);
  console.log(JSON.stringify({ ready: true, role, id, httpPort, pid: process.pid }));
  console.error(id + ' log line');
}), 150);
process.on('SIGTERM', () => {
  if (process.env.FAKE_STUBBORN === id) { log('ignored SIGTERM ' + id); return; }
  log('stop ' + id);
  server.close();
  process.exit(0);
});
process.on('disconnect', () => { log('orphan-stop ' + id); process.exit(0); });
`;

const folder = mkdtempSync(join(tmpdir(), 'ringcache-cli-start-'));
const fakeScript = join(folder, 'fake-role.mjs');
writeFileSync(fakeScript, FAKE_ROLE);
const testMin = loadConfig({ file: readConfigFile(fileURLToPath(new URL('../../config/test-min.json', import.meta.url))) });

const clusters: LocalCluster[] = [];
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()));
});
afterAll(() => { rmSync(folder, { recursive: true, force: true }); });

interface Harness {
  readonly cluster: LocalCluster;
  readonly config: RingcacheConfig;
  readonly lines: string[];
  readonly exits: { name: string; exit: ChildExit }[];
  events: () => string[];
}

async function harness(env: Record<string, string> = {}, options: Partial<LocalClusterOptions> = {}): Promise<Harness> {
  const config = await resolveClusterConfig(testMin, () => testPort());
  const eventsFile = join(mkdtempSync(join(folder, 'run-')), 'events.log');
  writeFileSync(eventsFile, '');
  const lines: string[] = [];
  const exits: { name: string; exit: ChildExit }[] = [];
  const cluster = new LocalCluster({
    config,
    clock: new SystemClock(),
    onLine: (name, stream, line) => lines.push(`${name} ${stream} ${line}`),
    onUnexpectedExit: (name, exit) => exits.push({ name, exit }),
    startupTimeoutMs: 10_000,
    stopTimeoutMs: 2_000,
    cwd: folder,
    env: { ...process.env, ...env, FAKE_EVENTS: eventsFile },
    command: (member, configFile) => ({ file: process.execPath, args: [fakeScript, member.role, ...member.roleArgs, '--config', configFile] }),
    ...options,
  });
  clusters.push(cluster);
  return { cluster, config, lines, exits, events: () => readFileSync(eventsFile, 'utf8').split('\n').filter((line) => line !== '') };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('LocalCluster (ringcache start) with fake roles', () => {
  it('starts master, then every node, then the proxy, each healthy first; stops in reverse; frees the ports', async () => {
    const { cluster, config, lines, events } = await harness();
    await cluster.start();
    const started = events();
    expect(started[0]).toBe('start master');
    expect(started.slice(1, 6).sort()).toEqual(['start n1', 'start n2', 'start n3', 'start n4', 'start n5']);
    expect(started[6]).toBe('start proxy');
    const health = await fetch(`http://127.0.0.1:${config.proxy.httpPort}/health`);
    expect(health.status).toBe(200);
    expect(lines).toContain('n3 stderr n3 log line');
    expect(lines.some((line) => line.startsWith('proxy stdout {"ready":true,"role":"proxy"'))).toBe(true);
    expect(cluster.pids().size).toBe(7);
    await cluster.stop();
    expect(events().slice(7)).toEqual(['stop proxy', 'stop n5', 'stop n4', 'stop n3', 'stop n2', 'stop n1', 'stop master']);
    for (const port of [config.master.port, config.proxy.httpPort, ...config.nodes.map((node) => node.httpPort)]) {
      expect(await portIsFree('127.0.0.1', port)).toBe(true);
    }
    await cluster.stop();
  });

  it('reports a child that dies on its own, once, with its exit code', async () => {
    const { cluster, config, exits } = await harness();
    await cluster.start();
    await fetch(`http://127.0.0.1:${config.nodes[3]!.httpPort}/crash`).catch(() => undefined);
    for (let waited = 0; exits.length === 0 && waited < 5000; waited += 50) await sleep(50);
    expect(exits).toEqual([{ name: 'n4', exit: { code: 3, signal: null } }]);
  });

  it('a member failing to start fails start() naming it and its last words, and stops those started', async () => {
    const { cluster, events } = await harness({ FAKE_FAIL: 'proxy' });
    await expect(cluster.start()).rejects.toThrow(/proxy: exited during start-up \(exit code 4\): proxy: cannot start, giving up/);
    expect(events()).toContain('stop master');
    expect(events()).toContain('stop n1');
  });

  it('refuses to start when a configured port is taken, naming the port and its key', async () => {
    const { cluster, config, events } = await harness();
    const squatter = net.createServer();
    await new Promise<void>((resolve) => { squatter.listen(config.nodes[1]!.httpPort, '127.0.0.1', resolve); });
    try {
      await expect(cluster.start()).rejects.toThrow(`port ${config.nodes[1]!.httpPort} (nodes[1].httpPort) on 127.0.0.1 is in use`);
      expect(events()).toEqual([]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('kills a child that ignores SIGTERM after the stop deadline', async () => {
    const { cluster, events } = await harness({ FAKE_STUBBORN: 'n2' }, { stopTimeoutMs: 300 });
    await cluster.start();
    const stopping = Date.now();
    await cluster.stop();
    expect(Date.now() - stopping).toBeLessThan(3000);
    expect(events()).toContain('ignored SIGTERM n2');
    expect(events().at(-1)).toBe('stop master');
  });
});
