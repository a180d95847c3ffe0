import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RingcacheConfig } from '../config/index.js';
import type { Clock } from '../runtime/index.js';
import { ChildHandle, describeExit } from './child.js';
import type { ChildExit } from './child.js';
import { boundPorts, configAsJson, planCluster } from './cluster-plan.js';
import type { ClusterPlan, MemberPlan } from './cluster-plan.js';
import { CommandFailure } from './command.js';
import { cliLauncherPath } from './config-source.js';
import { portIsFree, waitForHealth } from './http-probe.js';

/**
 * A whole local cluster as child processes of this one (`ringcache start`, and the benchmark's
 * ringcache targets): master first, then every node, then the proxy, each awaited on its HTTP
 * /health; stopped in the reverse order. The config must have its ports resolved (no 0s:
 * cluster-plan.ts resolveClusterConfig); children read it from a file written here, so they see
 * exactly what this process validated.
 */
export interface LocalClusterOptions {
  readonly config: RingcacheConfig;
  readonly clock: Clock;
  readonly onLine: (name: string, stream: 'stdout' | 'stderr', line: string) => void;
  /** Called once for the first child that exits while the cluster is not stopping. */
  readonly onUnexpectedExit: (name: string, exit: ChildExit) => void;
  readonly startupTimeoutMs: number;
  /** Per child: SIGTERM, then SIGKILL after this long. */
  readonly stopTimeoutMs: number;
  /** How to launch a member; the default is `node bin/ringcache.js <role> ...`. Tests inject fakes. */
  readonly command?: (member: MemberPlan, configFile: string) => { file: string; args: string[] };
  /** Prepended to every command, e.g. ['taskset', '-c', '0'] to pin the servers. */
  readonly commandPrefix?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
}

export class LocalCluster {
  readonly plan: ClusterPlan;
  private readonly children: ChildHandle[] = [];
  private stopping: Promise<void> | null = null;
  private unexpectedReported = false;
  private started = false;
  /** Why the first child that died on its own did, while not stopping. */
  private death: string | undefined;
  /** Holds the config file the children read; made by start(), removed by stop(). */
  private runFolder: string | undefined;

  constructor(private readonly options: LocalClusterOptions) {
    this.plan = planCluster(options.config);
  }

  /** PIDs of the children, by member name (for CPU accounting and `ps`). */
  pids(): Map<string, number> {
    const pids = new Map<string, number>();
    for (const child of this.children) if (child.pid !== undefined) pids.set(child.name, child.pid);
    return pids;
  }

  /** Starts every member in order; on any failure stops those started and throws CommandFailure. */
  async start(): Promise<void> {
    try {
      await this.checkPortsFree();
      this.prepareStateFolders();
      this.runFolder = mkdtempSync(join(tmpdir(), 'ringcache-cluster-'));
      const configFile = join(this.runFolder, 'config.json');
      writeFileSync(configFile, `${JSON.stringify(configAsJson(this.options.config), null, 2)}\n`);
      await this.startStage([this.plan.master], configFile);
      await this.startStage(this.plan.nodes, configFile);
      await this.startStage([this.plan.proxy], configFile);
      this.started = true;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Stops children in reverse start order; idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopChildren();
    return this.stopping;
  }

  /** SIGKILL to every child still running (a second Ctrl-C: the user will not wait). */
  kill(): void {
    for (const child of this.children) child.signal('SIGKILL');
  }

  private async stopChildren(): Promise<void> {
    for (const child of [...this.children].reverse()) {
      await child.stop(this.options.clock, this.options.stopTimeoutMs);
    }
    if (this.runFolder !== undefined) rmSync(this.runFolder, { recursive: true, force: true });
  }

  private async checkPortsFree(): Promise<void> {
    for (const entry of boundPorts(this.plan)) {
      if (!(await portIsFree(entry.host, entry.port))) {
        throw new CommandFailure(
          `port ${entry.port} (${entry.key}) on ${entry.host} is in use: is another ringcache still running? ` +
          `Stop it, or choose other ports in the config file.`,
        );
      }
    }
  }

  /** The state files' folders (var/ by default) must exist before the master and proxy write. */
  private prepareStateFolders(): void {
    for (const file of [this.options.config.master.stateFile, this.options.config.proxy.tableCacheFile]) {
      mkdirSync(join(this.options.cwd ?? process.cwd(), dirname(file)), { recursive: true });
    }
  }

  private async startStage(members: readonly MemberPlan[], configFile: string): Promise<void> {
    const started = members.map((member) => this.spawn(member, configFile));
    const failures = await Promise.all(started.map(async (child, index) => {
      const member = members[index];
      if (member === undefined) return undefined;
      const why = await waitForHealth(member.healthUrl, {
        clock: this.options.clock,
        deadlineMs: this.options.startupTimeoutMs,
        abandon: () => (child.exit === null ? this.death : `exited during start-up (${describeExit(child.exit)})${lastWords(child)}`),
      });
      return why === undefined ? undefined : `${member.name}: ${why}`;
    }));
    const failed = failures.filter((why): why is string => why !== undefined);
    if (failed.length > 0) throw new CommandFailure(`cluster did not start: ${failed.join('; ')}`);
  }

  private spawn(member: MemberPlan, configFile: string): ChildHandle {
    const command = this.options.command?.(member, configFile) ?? {
      file: process.execPath,
      args: [cliLauncherPath(), member.role, ...member.roleArgs, '--config', configFile],
    };
    const prefix = this.options.commandPrefix ?? [];
    const [file, ...args] = prefix.length > 0 ? [...prefix, command.file, ...command.args] : [command.file, ...command.args];
    const child = new ChildHandle({
      name: member.name,
      file: file ?? command.file,
      args,
      env: childEnv(this.options.env ?? process.env),
      ...(this.options.cwd === undefined ? {} : { cwd: this.options.cwd }),
      onLine: this.options.onLine,
      ipc: true,
      detached: true,
    });
    this.children.push(child);
    void child.exited.then((exit) => {
      if (this.stopping !== null) return;
      this.death ??= `${member.name} exited (${describeExit(exit)})`;
      // During start-up the failure surfaces from start() instead.
      if (!this.started || this.unexpectedReported) return;
      this.unexpectedReported = true;
      this.options.onUnexpectedExit(member.name, exit);
    });
    return child;
  }
}

/** `: <its last output line>` when it printed anything, to say why it died. */
function lastWords(child: ChildHandle): string {
  const line = child.recentLines.at(-1);
  return line === undefined ? '' : `: ${line.length > 300 ? `${line.slice(0, 300)}...` : line}`;
}

/**
 * The children's environment: ours without RINGCACHE_* config variables, which the written
 * config already holds (applied again they could undo the ports resolved here).
 * RINGCACHE_LOG_LEVEL passes through.
 */
export function childEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('RINGCACHE_') && name !== 'RINGCACHE_LOG_LEVEL') continue;
    out[name] = value;
  }
  return out;
}
