import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testPort } from './ports.js';

const LAUNCHER = fileURLToPath(new URL('../../bin/ringcache.js', import.meta.url));

export interface ProcessClusterOptions {
  readonly nodes: number;
  /** Config sections merged over the defaults (replication, storage, ...). */
  readonly overrides?: Record<string, Record<string, unknown>>;
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

  constructor(private readonly options: ProcessClusterOptions) {}

  async writeConfig(): Promise<void> {
    this.respPort = await testPort();
    this.httpPort = await testPort();
    this.masterPort = await testPort();
    const zones = ['a', 'a', 'b', 'b', 'c', 'c'];
    const nodes = [];
    for (let i = 0; i < this.options.nodes; i++) {
      nodes.push({ id: `n${String(i + 1)}`, zone: zones[i % zones.length], capacity: 1, host: '127.0.0.1', port: await testPort(), httpPort: await testPort() });
    }
    const overrides = this.options.overrides ?? {};
    this.config = {
      ...overrides,
      cluster: { vnodeCount: 64, replicaCount: 3, ...overrides.cluster },
      replication: { r: 2, w: 2, requestTimeoutMs: 500, failureBackoffMs: 300, ...overrides.replication },
      master: { host: '127.0.0.1', port: this.masterPort, stateFile: join(this.folder, 'master-state.json'), longPollMs: 1000 },
      proxy: { host: '127.0.0.1', respPort: this.respPort, httpPort: this.httpPort, tableCacheFile: join(this.folder, 'proxy-table.json') },
      nodes,
    };
    writeFileSync(this.configFile, JSON.stringify(this.config, null, 2));
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
    // The test run's own variable is no config key: a role would refuse to start with it.
    const { RINGCACHE_TEST_PORT_BASE: _testPortBase, ...env } = process.env;
    const child = spawn(process.execPath, [LAUNCHER, ...args, '--config', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'], env });
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

  async stop(): Promise<void> {
    const order = ['proxy', ...this.nodeIds, 'master'];
    for (const name of order) {
      const role = this.roles.get(name);
      if (role === undefined || role.child.exitCode !== null || role.child.signalCode !== null) continue;
      const exited = new Promise((resolve) => role.child.once('exit', resolve));
      role.child.kill('SIGTERM');
      const timer = setTimeout(() => role.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.folder, { recursive: true, force: true });
  }
}
