import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RingcacheConfig } from '../config/index.js';
import type { Clock } from '../runtime/index.js';
import { ChildHandle } from './child.js';
import type { ChildExit } from './child.js';
import { boundPorts, configAsJson, planCluster } from './cluster-plan.js';
import { clusterFetch, clusterTls } from '../tls/index.js';
import type { ClusterPlan, MemberPlan } from './cluster-plan.js';
import { CommandFailure } from './command.js';
import { cliLauncherPath } from './config-source.js';
import { Member } from './member.js';
import type { MemberEvent, MemberState } from './member.js';
import { checkPortsFree } from './port-check.js';
import type { RestartPolicy } from './restart-policy.js';

/**
 * A whole local cluster as child processes of this one (`ringcache start`, and the benchmark's
 * ringcache targets): master first, then every node, then the proxy, each awaited on its HTTP
 * /health; stopped in the reverse order. The config must have its ports resolved (no 0s:
 * cluster-plan.ts resolveClusterConfig); children read it from a file written here, so they see
 * exactly what this process validated. Once started, a child that dies is restarted per
 * `restart` (member.ts, restart-policy.ts), or left down when there is no policy.
 */
export interface LocalClusterOptions {
  readonly config: RingcacheConfig;
  readonly clock: Clock;
  readonly onLine: (name: string, stream: 'stdout' | 'stderr', line: string) => void;
  /** Called for each child that exits on its own once the cluster has started (not while stopping). */
  readonly onUnexpectedExit?: (name: string, exit: ChildExit) => void;
  /** Every member coming up (at start and after a restart) and every death after the start. */
  readonly onEvent?: (event: MemberEvent) => void;
  /** Restart children that die; undefined (the benchmark) leaves them down. */
  readonly restart?: RestartPolicy;
  readonly startupTimeoutMs: number;
  /** Per child: SIGTERM, then SIGKILL after this long. */
  readonly stopTimeoutMs: number;
  /** How to launch a member; the default is `node bin/ringcache.js <role> ...`. Tests inject fakes. */
  readonly command?: (member: MemberPlan, configFile: string) => { file: string; args: string[] };
  /** Prepended to every command, e.g. ['taskset', '-c', '0'] to pin the servers. */
  readonly commandPrefix?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** fetch for the health checks; default: the cluster's (trusting tls.caFile). A proxy whose
   *  client ports use another CA (proxy.tlsCertFile) needs one that trusts that CA. */
  readonly healthFetch?: typeof fetch;
}

export interface MemberStatus {
  readonly name: string;
  readonly state: MemberState;
  readonly pid: number | undefined;
}

export class LocalCluster {
  readonly plan: ClusterPlan;
  /** Fetches the members' health URLs (with cluster TLS: trusting the cluster CA). */
  private readonly healthFetch: typeof fetch;
  /** In start order. */
  private readonly members: Member[] = [];
  private stopping: Promise<void> | null = null;
  /** Holds the config file the children read; made by start(), removed by stop(). */
  private runFolder: string | undefined;

  constructor(private readonly options: LocalClusterOptions) {
    this.plan = planCluster(options.config);
    this.healthFetch = options.healthFetch ?? clusterFetch(clusterTls(options.config));
  }

  /** PIDs of the running children, by member name (for CPU accounting and `ps`). */
  pids(): Map<string, number> {
    const pids = new Map<string, number>();
    for (const member of this.members) if (member.pid !== undefined) pids.set(member.name, member.pid);
    return pids;
  }

  /** Each member's state and PID, in start order. */
  status(): MemberStatus[] {
    return this.members.map((member) => ({ name: member.name, state: member.state, pid: member.pid }));
  }

  /** Starts every member in order; on any failure stops those started and throws CommandFailure. */
  async start(): Promise<void> {
    try {
      await checkPortsFree(boundPorts(this.plan));
      this.prepareStateFolders();
      this.runFolder = mkdtempSync(join(tmpdir(), 'ringcache-cluster-'));
      const configFile = join(this.runFolder, 'config.json');
      // It holds the cluster token: readable by us alone (its folder is 0700 already).
      writeFileSync(configFile, `${JSON.stringify(configAsJson(this.options.config), null, 2)}\n`, { mode: 0o600 });
      await this.startStage([this.plan.master], configFile);
      await this.startStage(this.plan.nodes, configFile);
      await this.startStage([this.plan.proxy], configFile);
      for (const member of this.members) member.supervise();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Stops children in reverse start order, with no restart once it has begun; idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopChildren();
    return this.stopping;
  }

  /** SIGKILL to every child still running (a second Ctrl-C: the user will not wait). */
  kill(): void {
    for (const member of this.members) {
      member.halt();
      member.kill();
    }
  }

  private async stopChildren(): Promise<void> {
    // First no restarts anywhere, then the stops one by one: a member stopped late must not
    // restart one stopped early.
    for (const member of this.members) member.halt();
    for (const member of [...this.members].reverse()) await member.stop();
    if (this.runFolder !== undefined) rmSync(this.runFolder, { recursive: true, force: true });
  }

  /** The state files' folders (var/ by default) must exist before the master and proxy write. */
  private prepareStateFolders(): void {
    for (const file of [this.options.config.master.stateFile, this.options.config.proxy.tableCacheFile]) {
      mkdirSync(join(this.options.cwd ?? process.cwd(), dirname(file)), { recursive: true });
    }
  }

  private async startStage(plans: readonly MemberPlan[], configFile: string): Promise<void> {
    if (this.stopping !== null) throw new CommandFailure('RC_ERR_START_FAILED', 'cluster did not start: stopped while starting');
    const started = plans.map((plan) => this.member(plan, configFile));
    // A member that died earlier (the master, while the nodes start) fails the stage at once.
    const earlierDeath = (): string | undefined => this.members.map((member) => member.death()).find((why) => why !== undefined);
    const failures = await Promise.all(started.map(async (member) => {
      const why = await member.startFirst(earlierDeath);
      return why === undefined ? undefined : `${member.name}: ${why}`;
    }));
    const failed = failures.filter((why): why is string => why !== undefined);
    if (failed.length > 0) throw new CommandFailure('RC_ERR_START_FAILED', `cluster did not start: ${failed.join('; ')}`);
  }

  private member(plan: MemberPlan, configFile: string): Member {
    const { onEvent, onUnexpectedExit } = this.options;
    const member = new Member({
      plan,
      clock: this.options.clock,
      spawn: () => this.spawn(plan, configFile),
      startupTimeoutMs: this.options.startupTimeoutMs,
      stopTimeoutMs: this.options.stopTimeoutMs,
      policy: this.options.restart,
      fetch: this.healthFetch,
      onEvent: (event) => {
        onEvent?.(event);
        if (event.kind === 'exited') onUnexpectedExit?.(event.member.name, event.exit);
      },
    });
    this.members.push(member);
    return member;
  }

  private spawn(member: MemberPlan, configFile: string): ChildHandle {
    const command = this.options.command?.(member, configFile) ?? {
      file: process.execPath,
      args: [cliLauncherPath(), member.role, ...member.roleArgs, '--config', configFile],
    };
    const prefix = this.options.commandPrefix ?? [];
    const [file, ...args] = prefix.length > 0 ? [...prefix, command.file, ...command.args] : [command.file, ...command.args];
    return new ChildHandle({
      name: member.name,
      file: file ?? command.file,
      args,
      env: childEnv(this.options.env ?? process.env),
      ...(this.options.cwd === undefined ? {} : { cwd: this.options.cwd }),
      onLine: this.options.onLine,
      ipc: true,
      detached: true,
    });
  }
}


/**
 * The children's environment: ours without RINGCACHE_* config variables, which the written
 * config already holds (applied again they could undo the ports resolved here).
 */
export function childEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('RINGCACHE_')) continue;
    out[name] = value;
  }
  return out;
}
