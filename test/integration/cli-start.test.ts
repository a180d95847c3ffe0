import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ChildExit } from '../../src/cli/child.js';
import type { MemberEvent } from '../../src/cli/member.js';
import type { RestartPolicy } from '../../src/cli/restart-policy.js';
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
 * stops on SIGTERM or when its parent's IPC channel closes, exits 3 on GET /crash. Real processes
 * under `ringcache start` are in cli-start-restart.test.ts.
 */
const FAKE_ROLE = `
import http from 'node:http';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
const [role, ...rest] = process.argv.slice(2);
const config = JSON.parse(readFileSync(rest[rest.indexOf('--config') + 1], 'utf8'));
const id = rest.includes('--id') ? rest[rest.indexOf('--id') + 1] : role;
const log = (event) => appendFileSync(process.env.FAKE_EVENTS, event + '\\n');
const node = config.nodes.find((entry) => entry.id === id);
const httpPort = role === 'master' ? config.master.port : role === 'node' ? node.httpPort : config.proxy.httpPort;
// Marker files switch a member's later runs: fail-<id> exits at start, mute-<id> never listens.
const marked = (kind) => existsSync(process.env.FAKE_EVENTS + '.' + kind + '-' + id);
if (process.env.FAKE_FAIL === id || marked('fail')) { console.error(id + ': cannot start, giving up'); process.exit(4); }
const server = http.createServer((request, response) => {
  if (request.url === '/crash') { console.error('crash'); process.exit(3); }
  response.end('{"status":"ok"}');
});
// Slow to listen, so a parent that does not wait for /health starts the next stage too early.
if (!marked('mute')) setTimeout(() => server.listen(httpPort, '127.0.0.1', () => {
  log('start ' + id);
  console.log(JSON.stringify({ ready: true, role, id, httpPort, pid: process.pid }));
  console.error(id + ' log line');
}), 150);
else setInterval(() => undefined, 1000);
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
  readonly memberEvents: MemberEvent[];
  events: () => string[];
  /** Makes the member's next runs fail at start ('fail') or never listen ('mute'). */
  mark: (kind: 'fail' | 'mute', id: string) => void;
  crash: (id: string) => Promise<void>;
}

async function harness(env: Record<string, string> = {}, options: Partial<LocalClusterOptions> = {}): Promise<Harness> {
  const config = await resolveClusterConfig(testMin, () => testPort());
  const eventsFile = join(mkdtempSync(join(folder, 'run-')), 'events.log');
  writeFileSync(eventsFile, '');
  const lines: string[] = [];
  const exits: { name: string; exit: ChildExit }[] = [];
  const memberEvents: MemberEvent[] = [];
  const cluster = new LocalCluster({
    config,
    clock: new SystemClock(),
    onLine: (name, stream, line) => lines.push(`${name} ${stream} ${line}`),
    onUnexpectedExit: (name, exit) => exits.push({ name, exit }),
    onEvent: (event) => memberEvents.push(event),
    startupTimeoutMs: 10_000,
    stopTimeoutMs: 2_000,
    cwd: folder,
    env: { ...process.env, ...env, FAKE_EVENTS: eventsFile },
    command: (member, configFile) => ({ file: process.execPath, args: [fakeScript, member.role, ...member.roleArgs, '--config', configFile] }),
    ...options,
  });
  clusters.push(cluster);
  const httpPortOf = (id: string): number => config.nodes.find((node) => node.id === id)?.httpPort ?? (id === 'proxy' ? config.proxy.httpPort : config.master.port);
  return {
    cluster, config, lines, exits, memberEvents,
    events: () => readFileSync(eventsFile, 'utf8').split('\n').filter((line) => line !== ''),
    mark: (kind, id) => { writeFileSync(`${eventsFile}.${kind}-${id}`, ''); },
    crash: async (id) => { await fetch(`http://127.0.0.1:${httpPortOf(id)}/crash`).catch(() => undefined); },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 50 ms for at most `timeoutMs`. */
async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (let waited = 0; !check(); waited += 50) {
    if (waited >= timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

const fast: RestartPolicy = { delayMs: 100, delayMsMax: 400, stableMs: 60_000, restartsMax: 3 };
const exitsOf = (events: readonly MemberEvent[], name: string): Extract<MemberEvent, { kind: 'exited' }>[] =>
  events.filter((event): event is Extract<MemberEvent, { kind: 'exited' }> => event.kind === 'exited' && event.member.name === name);

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

  it('without a restart policy (the benchmark) a dead child is reported once and stays down; the others keep running', async () => {
    const { cluster, config, exits, memberEvents, crash } = await harness();
    await cluster.start();
    await crash('n4');
    await eventually(() => exits.length > 0);
    await sleep(300);
    expect(exits).toEqual([{ name: 'n4', exit: { code: 3, signal: null } }]);
    const [death] = exitsOf(memberEvents, 'n4');
    expect(death).toMatchObject({ next: { kind: 'stay-down' }, why: undefined });
    expect(death?.lastLines).toContain('crash');
    expect(cluster.status().find((member) => member.name === 'n4')).toEqual({ name: 'n4', state: 'down', pid: undefined });
    expect(cluster.status().filter((member) => member.state === 'up')).toHaveLength(6);
    expect((await fetch(`http://127.0.0.1:${config.proxy.httpPort}/health`)).status).toBe(200);
    expect(cluster.pids().has('n4')).toBe(false);
  });

  it('restarts a dead child after the delay, waits for its /health, and reports it up with its new PID', async () => {
    const { cluster, config, memberEvents, events, crash } = await harness({}, { restart: fast });
    await cluster.start();
    const firstPid = cluster.pids().get('n2');
    await crash('n2');
    await eventually(() => memberEvents.some((event) => event.kind === 'up' && event.member.name === 'n2' && event.attempt === 1));
    const [death] = exitsOf(memberEvents, 'n2');
    expect(death).toMatchObject({ exit: { code: 3, signal: null }, next: { kind: 'restart', attempt: 1, delayMs: 100 } });
    expect(death?.upForMs).toBeGreaterThan(0);
    expect(events().filter((event) => event === 'start n2')).toHaveLength(2);
    expect(cluster.pids().get('n2')).not.toBe(firstPid);
    expect(cluster.status().every((member) => member.state === 'up')).toBe(true);
    expect((await fetch(`http://127.0.0.1:${config.nodes[1]!.httpPort}/health`)).status).toBe(200);
  });

  it('any member is restarted, the master and the proxy too', async () => {
    const { cluster, memberEvents, crash } = await harness({}, { restart: fast });
    await cluster.start();
    await crash('master');
    await crash('proxy');
    await eventually(() => ['master', 'proxy'].every((name) => memberEvents.some((event) => event.kind === 'up' && event.member.name === name && event.attempt === 1)));
    expect(cluster.status().every((member) => member.state === 'up')).toBe(true);
  });

  it('gives up on a member whose restarts keep failing, with the wait doubling each time', async () => {
    const { cluster, memberEvents, mark, crash } = await harness({}, { restart: fast });
    await cluster.start();
    mark('fail', 'n3');
    await crash('n3');
    await eventually(() => exitsOf(memberEvents, 'n3').some((event) => event.next.kind === 'give-up'));
    const steps = exitsOf(memberEvents, 'n3').map((event) => event.next);
    expect(steps).toEqual([
      { kind: 'restart', attempt: 1, delayMs: 100 },
      { kind: 'restart', attempt: 2, delayMs: 200 },
      { kind: 'restart', attempt: 3, delayMs: 400 },
      { kind: 'give-up', failedRestarts: 3 },
    ]);
    expect(exitsOf(memberEvents, 'n3').slice(1).every((event) => event.upForMs === undefined && event.exit.code === 4)).toBe(true);
    expect(exitsOf(memberEvents, 'n3')[1]?.lastLines).toContain('n3: cannot start, giving up');
    expect(cluster.status().find((member) => member.name === 'n3')?.state).toBe('down');
  });

  it('a restarted child that is alive but never healthy is stopped and counts as a failed restart', async () => {
    const { cluster, memberEvents, mark, crash } = await harness({}, { restart: { ...fast, restartsMax: 1 }, startupTimeoutMs: 3000 });
    await cluster.start();
    mark('mute', 'n1');
    await crash('n1');
    await eventually(() => exitsOf(memberEvents, 'n1').length === 2, 15_000);
    const [, muted] = exitsOf(memberEvents, 'n1');
    expect(muted?.why).toMatch(/not healthy after 3000 ms/);
    expect(muted?.exit).toEqual({ code: 0, signal: null });
    expect(muted?.next).toEqual({ kind: 'give-up', failedRestarts: 1 });
  });

  it('a child that stayed up stableMs starts its next streak from the first delay', async () => {
    const { cluster, memberEvents, crash } = await harness({}, { restart: { ...fast, stableMs: 500 } });
    await cluster.start();
    const upAgain = (count: number) => (): boolean => memberEvents.filter((event) => event.kind === 'up' && event.member.name === 'n5' && event.attempt > 0).length === count;
    await crash('n5');
    await eventually(upAgain(1));
    await crash('n5');
    await eventually(upAgain(2));
    await sleep(700);
    await crash('n5');
    await eventually(upAgain(3));
    expect(exitsOf(memberEvents, 'n5').map((event) => event.next)).toEqual([
      { kind: 'restart', attempt: 1, delayMs: 100 },
      { kind: 'restart', attempt: 2, delayMs: 200 },
      { kind: 'restart', attempt: 1, delayMs: 100 },
    ]);
  });

  it('stop() during a restart wait cancels the restart and returns at once', async () => {
    const { cluster, memberEvents, events, crash } = await harness({}, { restart: { ...fast, delayMs: 20_000, delayMsMax: 20_000 } });
    await cluster.start();
    await crash('n2');
    await eventually(() => exitsOf(memberEvents, 'n2').length === 1);
    const stopping = Date.now();
    await cluster.stop();
    expect(Date.now() - stopping).toBeLessThan(5000);
    expect(events().filter((event) => event === 'start n2')).toHaveLength(1);
    expect(cluster.status().map((member) => member.state)).toEqual(Array<string>(7).fill('stopped'));
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
      await expect(cluster.start()).rejects.toThrow(`port ${config.nodes[1]!.httpPort} (nodes[1].httpPort) on 127.0.0.1 is in use by another process`);
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
