import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testPort } from './ports.js';
import type { TestNetwork } from './netns.js';

const LAUNCHER = fileURLToPath(new URL('../../bin/ringcache.js', import.meta.url));

export interface ProcessClusterOptions {
  readonly nodes: number;
  /** Config sections merged over the defaults (replication, storage, ...). */
  readonly overrides?: Record<string, Record<string, unknown>>;
  /**
   * Storage nodes each in a network namespace of this network (hosts named by node id), so a
   * test can cut one off; the master listens on the bridge, the proxy on 127.0.0.1.
   */
  readonly network?: TestNetwork;
}

export interface RoleProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly output: string[];
}

/**
 * A real cluster of `ringcache <role>` processes on free ports, for integration tests that must
 * kill -9 a node or restart the master (the CLI's `start` supervises and would stop everything).
 */
export class ProcessCluster {
  readonly folder = mkdtempSync(join(tmpdir(), 'ringcache-it-'));
  readonly configFile = join(this.folder, 'config.json');
  readonly roles = new Map<string, RoleProcess>();
  config: Record<string, unknown> = {};
  respPort = 0;
  httpPort = 0;
  masterPort = 0;
  /** The cluster token every role and every client of the test presents, as in a real cluster. */
  readonly token = randomBytes(16).toString('base64url');

  constructor(private readonly options: ProcessClusterOptions) {}

  async writeConfig(): Promise<void> {
    this.respPort = await testPort();
    this.httpPort = await testPort();
    this.masterPort = await testPort();
    const zones = ['a', 'a', 'b', 'b', 'c', 'c'];
    const nodes = [];
    const network = this.options.network;
    for (let i = 0; i < this.options.nodes; i++) {
      const id = `n${String(i + 1)}`;
      // A namespace has ports of its own: every node can take the same ones there.
      nodes.push(network === undefined
        ? { id, zone: zones[i % zones.length], capacity: 1, host: '127.0.0.1', port: await testPort(), httpPort: await testPort() }
        : { id, zone: zones[i % zones.length], capacity: 1, host: network.addressOf(id), port: 7101, httpPort: 7201 });
    }
    const overrides = this.options.overrides ?? {};
    this.config = {
      ...overrides,
      cluster: { vnodeCount: 64, replicaCount: 3, token: this.token, ...overrides.cluster },
      // 2 s, not 500 ms: CI runs test files side by side on 2 cores, and a burst of 500 pipelined
      // writes right after start-up (every node still syncing) must not time out there.
      replication: { r: 2, w: 2, requestTimeoutMs: 2000, failureBackoffMs: 300, ...overrides.replication },
      master: { host: network?.bridgeAddress ?? '127.0.0.1', port: this.masterPort, stateFile: join(this.folder, 'master-state.json'), longPollMs: 1000, ...overrides.master },
      proxy: { ...overrides.proxy, host: '127.0.0.1', respPort: this.respPort, httpPort: this.httpPort, tableCacheFile: join(this.folder, 'proxy-table.json') },
      nodes,
    };
    writeFileSync(this.configFile, JSON.stringify(this.config, null, 2));
  }

  /** Headers for the master's and the nodes' /v1 routes. */
  get authorization(): { authorization: string } {
    return { authorization: `Bearer ${this.token}` };
  }

  get nodeIds(): string[] {
    return (this.config.nodes as { id: string }[]).map((node) => node.id);
  }

  async start(): Promise<void> {
    await this.writeConfig();
    await this.startRole('master', ['master']);
    await Promise.all(this.nodeIds.map((id) => this.startRole(id, ['node', '--id', id])));
    await this.startRole('proxy', ['proxy']);
  }

  /** Starts one role and resolves on its ready line. */
  startRole(name: string, args: string[], timeoutMs = 20_000): Promise<RoleProcess> {
    const network = this.options.network;
    const command = [process.execPath, LAUNCHER, ...args, '--config', this.configFile];
    const [file, ...rest] = network !== undefined && this.nodeIds.includes(name) ? [...network.execPrefix(name), ...command] : command;
    const child = spawn(file ?? process.execPath, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    const role: RoleProcess = { name, child, output: [] };
    this.roles.set(name, role);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`${name} not ready within ${String(timeoutMs)} ms:\n${role.output.join('')}`)); }, timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        role.output.push(text);
        if (text.includes('{"ready":true')) { clearTimeout(timer); resolve(role); }
      });
      child.stderr.on('data', (chunk: Buffer) => { role.output.push(chunk.toString()); });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${String(code ?? signal)}) before ready:\n${role.output.join('')}`));
      });
    });
  }

  /** SIGKILL: no chance to flush or say goodbye (kill -9). */
  async kill(name: string): Promise<void> {
    const role = this.roles.get(name);
    if (role?.child.exitCode !== null || role.child.signalCode !== null) return;
    const exited = new Promise((resolve) => role.child.once('exit', resolve));
    role.child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: the process keeps its sockets and memory but answers nothing (a slow node) until resume. */
  pause(name: string): void {
    this.roles.get(name)?.child.kill('SIGSTOP');
  }

  resume(name: string): void {
    this.roles.get(name)?.child.kill('SIGCONT');
  }

  /** The node's HTTP base URL (its /health, /v1/stats). */
  nodeUrl(id: string): string {
    const node = (this.config.nodes as { id: string; host: string; httpPort: number }[]).find((entry) => entry.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return `http://${node.host}:${String(node.httpPort)}`;
  }

  async stop(): Promise<void> {
    // Roles a test started beside the configured ones (a second proxy, a sixth node) go first.
    const configured = ['proxy', ...this.nodeIds, 'master'];
    const order = [...[...this.roles.keys()].filter((name) => !configured.includes(name)), ...configured];
    for (const name of order) {
      const role = this.roles.get(name);
      if (role === undefined || role.child.exitCode !== null || role.child.signalCode !== null) continue;
      const exited = new Promise((resolve) => role.child.once('exit', resolve));
      role.child.kill('SIGCONT');
      role.child.kill('SIGTERM');
      const timer = setTimeout(() => role.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.folder, { recursive: true, force: true });
  }
}
