import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { testPort } from '../support/ports.js';
import { alive } from '../support/readers.js';

/**
 * `ringcache start` as a user runs it: the real launcher (bin/ringcache.js, built) with the real
 * master, nodes and proxy, on a small cluster (3 nodes, N=3 R=2 W=2, test-min limits) whose
 * ports come from this worker's test block. A node is killed with SIGKILL by the PID its "up"
 * line printed.
 */
const LAUNCHER = fileURLToPath(new URL('../../bin/ringcache.js', import.meta.url));
const TEST_MIN = fileURLToPath(new URL('../../config/test-min.json', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'ringcache-start-'));
afterAll(() => { rmSync(folder, { recursive: true, force: true }); });

interface Cluster {
  readonly configFile: string;
  readonly tokenFile: string;
  readonly masterPort: number;
  readonly proxyHttpPort: number;
  readonly nodeHttpPorts: Map<string, number>;
}

async function writeConfig(name: string): Promise<Cluster> {
  const base = JSON.parse(readFileSync(TEST_MIN, 'utf8')) as Record<string, Record<string, unknown>>;
  const run = mkdtempSync(join(folder, `${name}-`));
  const nodes = [];
  for (const [index, zone] of ['a', 'b', 'c'].entries()) {
    nodes.push({ id: `n${index + 1}`, zone, capacity: 1, host: '127.0.0.1', port: await testPort(), httpPort: await testPort() });
  }
  const proxyHttpPort = await testPort();
  const masterPort = await testPort();
  const tokenFile = join(run, 'var', 'cluster-token');
  const config = {
    ...base,
    // No token in the config: start creates one (here, not in the checkout's var/).
    cluster: { ...base.cluster, tokenFile },
    // Requests of the test-min profile time out in 200 ms; a loaded 2-core machine needs more.
    replication: { ...base.replication, requestTimeoutMs: 2000 },
    master: { ...base.master, port: masterPort, stateFile: join(run, 'master-state.json') },
    proxy: { ...base.proxy, respPort: await testPort(), httpPort: proxyHttpPort, tableCacheFile: join(run, 'proxy-table.json') },
    nodes,
  };
  const configFile = join(run, 'config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  return { configFile, tokenFile, masterPort, proxyHttpPort, nodeHttpPorts: new Map(nodes.map((node) => [node.id, node.httpPort])) };
}

/** A running `ringcache start`: its output as it comes, and a way to wait for a line. */
class Launcher {
  readonly out: string[] = [];
  readonly err: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly process: ChildProcess;

  constructor(configFile: string, args: readonly string[]) {
    this.process = spawn(process.execPath, [LAUNCHER, 'start', '--config', configFile, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (stream: NodeJS.ReadableStream | null, into: string[]): void => {
      let partial = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        into.push(...lines);
      });
    };
    collect(this.process.stdout, this.out);
    collect(this.process.stderr, this.err);
    this.exited = new Promise((resolve) => { this.process.once('exit', (code, signal) => { resolve({ code, signal }); }); });
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** The first stdout line matching `pattern` (after `from` lines), within `timeoutMs`. */
  async line(pattern: RegExp, timeoutMs = 40_000, from = 0): Promise<RegExpMatchArray> {
    for (let waited = 0; waited <= timeoutMs; waited += 50) {
      for (const text of this.out.slice(from)) {
        const match = pattern.exec(text);
        if (match !== null) return match;
      }
      if (!this.running) break;
      await sleep(50);
    }
    throw new Error(`no line matching ${String(pattern)} within ${timeoutMs} ms; stdout:\n${this.out.join('\n')}\nstderr:\n${this.err.join('\n')}`);
  }

  /** The PID of the member's latest run, from its last "up" line. */
  pidOf(member: string): number {
    const pattern = new RegExp(`^ringcache: ${member} +up (?:again )?\\(pid (\\d+)`);
    const match = this.out.map((text) => pattern.exec(text)).filter((found) => found !== null).at(-1);
    if (match === undefined) throw new Error(`no up line for ${member}:\n${this.out.join('\n')}`);
    return Number(match[1]);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.process.pid !== undefined && this.running) process.kill(this.process.pid, signal);
  }
}

const launchers: Launcher[] = [];
afterEach(async () => {
  for (const launcher of launchers.splice(0)) {
    launcher.signal('SIGTERM');
    await Promise.race([launcher.exited, sleep(15_000)]);
    launcher.signal('SIGKILL');
  }
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));


async function put(port: number, key: string, value: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/v1/kv/${key}`, { method: 'PUT', body: value, signal: AbortSignal.timeout(5000) });
  await response.text();
  return response.status;
}

async function get(port: number, key: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/v1/kv/${key}`, { signal: AbortSignal.timeout(5000) });
  return `${response.status} ${await response.text()}`;
}

async function health(port: number): Promise<number | string> {
  return fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) }).then((response) => response.status, (error: unknown) => String(error));
}

async function start(name: string, args: readonly string[]): Promise<{ launcher: Launcher; cluster: Cluster; pids: Map<string, number> }> {
  const cluster = await writeConfig(name);
  const launcher = new Launcher(cluster.configFile, args);
  launchers.push(launcher);
  await launcher.line(/^ringcache is up: shard-master, 3 storage nodes/, 60_000);
  const pids = new Map(['master', 'n1', 'n2', 'n3', 'proxy'].map((member) => [member, launcher.pidOf(member)]));
  return { launcher, cluster, pids };
}

async function statusOf(url: string, token?: string): Promise<number> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  await response.text();
  return response.status;
}

describe('ringcache start supervises real processes', () => {
  it('creates a cluster token on first start (mode 0600) that the admin API and the nodes require; a second start keeps it', async () => {
    const { launcher, cluster } = await start('token', []);
    expect(statSync(cluster.tokenFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(cluster.tokenFile, 'utf8').trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const master = `http://127.0.0.1:${cluster.masterPort}`;
    expect(await statusOf(`${master}/v1/cluster`)).toBe(401);
    expect(await statusOf(`${master}/v1/cluster`, 'wrong')).toBe(401);
    expect(await statusOf(`${master}/v1/cluster`, token)).toBe(200);
    expect(await statusOf(`${master}/health`)).toBe(200);
    const nodeHttp = `http://127.0.0.1:${cluster.nodeHttpPorts.get('n1') ?? 0}`;
    expect(await statusOf(`${nodeHttp}/v1/stats`)).toBe(401);
    expect(await statusOf(`${nodeHttp}/v1/stats`, token)).toBe(200);
    expect(await statusOf(`${nodeHttp}/metrics`)).toBe(200);
    // The dashboard link carries it in the fragment, which the browser never sends.
    expect(launcher.out.some((text) => text.includes(`#token=${token}`))).toBe(true);
    // The proxy's client ports are not guarded by the cluster token (proxy.password is theirs).
    expect(await put(cluster.proxyHttpPort, 'k', 'v')).toBe(204);
    launcher.signal('SIGTERM');
    expect(await launcher.exited).toEqual({ code: 0, signal: null });
    const again = new Launcher(cluster.configFile, []);
    launchers.push(again);
    await again.line(/^ringcache is up: shard-master, 3 storage nodes/, 60_000);
    expect(readFileSync(cluster.tokenFile, 'utf8').trim()).toBe(token);
    expect(await statusOf(`${master}/v1/cluster`, token)).toBe(200);
  }, 120_000);

  it('keeps the cluster up when a node is killed with SIGKILL, restarts it, and SIGTERM then stops everything', async () => {
    const { launcher, cluster, pids } = await start('restart', ['--restart-delay-ms', '300']);
    expect(launcher.out.filter((text) => / up \(pid \d+, [\d.]+ s\)$/.test(text))).toHaveLength(5);
    // Quiet by default: nothing of the children's info lines, and no ready lines.
    expect(launcher.err.filter((text) => text.includes('"level":30') || text.includes('"ready":true'))).toEqual([]);
    expect(await put(cluster.proxyHttpPort, 'before', 'one')).toBe(204);
    const victim = pids.get('n2') ?? 0;
    const mark = launcher.out.length;
    process.kill(victim, 'SIGKILL');
    await launcher.line(new RegExp(`^ringcache: n2 \\(pid ${victim}\\) died: killed by SIGKILL, after [\\d.]+ s up`), 10_000, mark);
    await launcher.line(/^ringcache: restarting n2 in 0\.3 s \(restart 1 in a row of at most 5\)$/, 10_000, mark);
    await launcher.line(/^ringcache: members: 4 up, 1 restarting \(n2\)$/, 10_000, mark);
    const [, newPid] = await launcher.line(/^ringcache: n2 up again \(pid (\d+), restart 1, [\d.]+ s\)$/, 40_000, mark);
    await launcher.line(/^ringcache: members: 5 up$/, 10_000, mark);
    expect(Number(newPid)).not.toBe(victim);
    expect(alive(Number(newPid))).toBe(true);
    expect(await health(cluster.nodeHttpPorts.get('n2') ?? 0)).toBe(200);
    // The proxy kept serving, and serves with the restarted node (it comes back empty: no anti-entropy yet).
    expect(await put(cluster.proxyHttpPort, 'after', 'two')).toBe(204);
    expect(await get(cluster.proxyHttpPort, 'after')).toBe('200 two');
    expect(await get(cluster.proxyHttpPort, 'before')).toBe('200 one');
    expect(launcher.running).toBe(true);
    launcher.signal('SIGTERM');
    expect(await launcher.exited).toEqual({ code: 0, signal: null });
    expect(launcher.out).toContain('ringcache: stopped');
    for (const pid of [...pids.values(), Number(newPid)]) expect(alive(pid), `pid ${pid}`).toBe(false);
  }, 120_000);

  it('--no-restart leaves a killed node down while the others serve; Ctrl-C stops them all', async () => {
    const { launcher, cluster, pids } = await start('no-restart', ['--no-restart']);
    // The endpoint block follows the "is up" line and may come in a later chunk of stdout.
    await launcher.line(/^A child that dies stays down \(--no-restart\); the others keep running\.$/, 10_000);
    const victim = pids.get('n3') ?? 0;
    const mark = launcher.out.length;
    process.kill(victim, 'SIGKILL');
    await launcher.line(/^ringcache: n3 stays down \(--no-restart\); the others keep running$/, 10_000, mark);
    await launcher.line(/^ringcache: members: 4 up, 1 down \(n3\)$/, 10_000, mark);
    await sleep(1500);
    expect(typeof await health(cluster.nodeHttpPorts.get('n3') ?? 0)).toBe('string');
    expect(launcher.out.slice(mark).some((text) => text.includes('up again'))).toBe(false);
    // N=3 W=2 R=2: one node down, the two others carry every write and read.
    expect(await put(cluster.proxyHttpPort, 'while-down', 'three')).toBe(204);
    expect(await get(cluster.proxyHttpPort, 'while-down')).toBe('200 three');
    expect(launcher.running).toBe(true);
    launcher.signal('SIGINT');
    expect(await launcher.exited).toEqual({ code: 0, signal: null });
    expect(launcher.out).toContain('ringcache: SIGINT: stopping proxy, nodes, master (again to kill at once)');
    for (const pid of pids.values()) expect(alive(pid), `pid ${pid}`).toBe(false);
  }, 120_000);

  it('a node that cannot come back (its port taken) stops the cluster after --restarts-max, RC_ERR_START_FAILED, exit 1', async () => {
    const { launcher, cluster, pids } = await start('give-up', ['--restarts-max', '2', '--restart-delay-ms', '1500']);
    const victim = pids.get('n1') ?? 0;
    const mark = launcher.out.length;
    process.kill(victim, 'SIGKILL');
    // The death is reported once the process is gone, its port free: take it before the restart does.
    await launcher.line(/^ringcache: restarting n1 in 1\.5 s/, 10_000, mark);
    // It accepts and never answers: whatever connects is cut when the test ends.
    const connections = new Set<net.Socket>();
    const squatter = net.createServer((socket) => { connections.add(socket); });
    await new Promise<void>((resolve, reject) => {
      squatter.once('error', reject);
      squatter.listen(cluster.nodeHttpPorts.get('n1'), '127.0.0.1', resolve);
    });
    try {
      expect(await Promise.race([launcher.exited, sleep(40_000).then(() => 'still running')])).toEqual({ code: 1, signal: null });
    } finally {
      for (const socket of connections) socket.destroy();
      await new Promise((resolve) => squatter.close(resolve));
    }
    expect(launcher.out).toContain('ringcache: restarting n1 in 3.0 s (restart 2 in a row of at most 2)');
    expect(launcher.out.some((text) => text.includes('[n1') && text.includes('RC_ERR_PORT_IN_USE'))).toBe(true);
    expect(launcher.out).toContain('ringcache: n1 keeps dying (2 restarts in a row did not stay up): stopping the cluster');
    expect(launcher.err.slice(-2)).toEqual([
      'ringcache start: RC_ERR_START_FAILED: n1 kept dying: 2 restarts in a row did not stay up; the cluster was stopped',
      'ringcache start: hint: read its last lines above; --restarts-max and --restart-stable-ms set the bound',
    ]);
    for (const pid of pids.values()) expect(alive(pid), `pid ${pid}`).toBe(false);
  }, 120_000);
});
