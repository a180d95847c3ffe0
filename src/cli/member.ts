import type { Clock } from '../runtime/index.js';
import { describeExit } from './child.js';
import type { ChildExit, ChildHandle } from './child.js';
import type { MemberPlan } from './cluster-plan.js';
import { waitForHealth } from './http-probe.js';
import { nextRestart } from './restart-policy.js';
import type { RestartDecision, RestartPolicy } from './restart-policy.js';

/**
 * One member of a local cluster (master, a node, the proxy) across its runs: each run is one
 * child process, healthy once its /health answers. Before `supervise()` (the cluster's start)
 * a death is the start's to report; after it, a death is restarted per the policy, or left
 * down when there is none.
 *
 *   starting --/health 200--> up --exit--> restarting --delay--> starting ...
 *       \--exit or not healthy in time--/          \--no policy--> down
 *   any state --stop()--> stopped
 */
export type MemberState = 'starting' | 'up' | 'restarting' | 'down' | 'stopped';

/** After a death: restart (when, which one), give up, or stay down (no restart policy). */
export type NextStep = RestartDecision | { readonly kind: 'stay-down' };

export type MemberEvent =
  | { readonly kind: 'up'; readonly member: MemberPlan; readonly pid: number | undefined; readonly attempt: number; readonly tookMs: number }
  | {
    readonly kind: 'exited';
    readonly member: MemberPlan;
    readonly pid: number | undefined;
    readonly exit: ChildExit;
    /** How long it had been up; undefined when it died (or was stopped) before coming up. */
    readonly upForMs: number | undefined;
    /** Why, when it was not its own doing (not healthy within the start-up deadline). */
    readonly why: string | undefined;
    readonly lastLines: readonly string[];
    readonly next: NextStep;
  };

export interface MemberOptions {
  readonly plan: MemberPlan;
  readonly clock: Clock;
  /** Starts one run of this member (command, environment and output handling are the cluster's). */
  readonly spawn: () => ChildHandle;
  readonly startupTimeoutMs: number;
  readonly stopTimeoutMs: number;
  /** Undefined: a child that dies stays down. */
  readonly policy: RestartPolicy | undefined;
  readonly onEvent: (event: MemberEvent) => void;
  /** How its health URL is fetched (with cluster TLS: trusting the cluster CA). @default the global fetch */
  readonly fetch?: typeof fetch;
}

export class Member {
  state: MemberState = 'starting';
  private child: ChildHandle | undefined;
  private supervising = false;
  private stopping = false;
  /** Restart number of the current run within its streak; 0 for the first run. */
  private attempt = 0;
  private upSinceMs: number | undefined;
  private notUpWhy: string | undefined;
  private cancelWait: () => void = () => undefined;

  constructor(private readonly options: MemberOptions) {}

  get name(): string {
    return this.options.plan.name;
  }

  /** PID of the current run while it is running. */
  get pid(): number | undefined {
    return this.child?.exit === null ? this.child.pid : undefined;
  }

  /** `n3 exited (exit code 1)` once the current run has ended, else undefined. */
  death(): string | undefined {
    const exit = this.child?.exit;
    return exit === null || exit === undefined ? undefined : `${this.name} exited (${describeExit(exit)})`;
  }

  /** Starts the first run and waits for it to come up; resolves with why not, or undefined. */
  async startFirst(abandon: () => string | undefined): Promise<string | undefined> {
    const child = this.launch();
    const why = await this.waitUp(child, abandon);
    if (why !== undefined) {
      const exit = child.exit;
      return exit === null ? why : `exited during start-up (${describeExit(exit)})${lastWords(child)}`;
    }
    return undefined;
  }

  /** From now on a death is restarted (or left down); one that happened already is handled now. */
  supervise(): void {
    this.supervising = true;
    const child = this.child;
    if (child !== undefined && child.exit !== null) this.onExit(child, child.exit);
  }

  /** No restart after this (a pending one is cancelled); the current run keeps running. */
  halt(): void {
    this.stopping = true;
    this.cancelWait();
  }

  /** halt(), then SIGTERM (SIGKILL after the deadline) to the current run. Idempotent. */
  async stop(): Promise<void> {
    this.halt();
    await this.child?.stop(this.options.clock, this.options.stopTimeoutMs);
    this.state = 'stopped';
  }

  kill(): void {
    this.child?.signal('SIGKILL');
  }

  /** A method, not the field: the compiler cannot see a halt() that happened across an await. */
  private halted(): boolean {
    return this.stopping;
  }

  private launch(): ChildHandle {
    const child = this.options.spawn();
    this.child = child;
    this.state = 'starting';
    this.upSinceMs = undefined;
    this.notUpWhy = undefined;
    void child.exited.then((exit) => { this.onExit(child, exit); });
    return child;
  }

  private async waitUp(child: ChildHandle, abandon: () => string | undefined): Promise<string | undefined> {
    const startedMs = this.options.clock.nowMs();
    const why = await waitForHealth(this.options.plan.healthUrl, {
      clock: this.options.clock,
      deadlineMs: this.options.startupTimeoutMs,
      ...(this.options.fetch === undefined ? {} : { fetch: this.options.fetch }),
      abandon: () => (child.exit !== null ? 'exited' : this.stopping ? 'stopping' : abandon()),
    });
    if (why !== undefined || child !== this.child || child.exit !== null) return why ?? 'exited';
    this.state = 'up';
    this.upSinceMs = this.options.clock.nowMs();
    this.options.onEvent({ kind: 'up', member: this.options.plan, pid: child.pid, attempt: this.attempt, tookMs: this.upSinceMs - startedMs });
    return undefined;
  }

  private onExit(child: ChildHandle, exit: ChildExit): void {
    if (child !== this.child) return;
    if (this.stopping) {
      this.state = 'stopped';
      return;
    }
    if (!this.supervising) return;
    const upForMs = this.upSinceMs === undefined ? undefined : this.options.clock.nowMs() - this.upSinceMs;
    const next: NextStep = this.options.policy === undefined ? { kind: 'stay-down' } : nextRestart(this.options.policy, this.attempt, upForMs);
    this.state = next.kind === 'restart' ? 'restarting' : 'down';
    this.options.onEvent({
      kind: 'exited', member: this.options.plan, pid: child.pid, exit, upForMs, why: this.notUpWhy,
      lastLines: [...child.recentLines], next,
    });
    if (next.kind === 'restart') void this.restart(next.attempt, next.delayMs);
  }

  private async restart(attempt: number, delayMs: number): Promise<void> {
    if (!(await this.wait(delayMs)) || this.halted()) return;
    this.attempt = attempt;
    const child = this.launch();
    const why = await this.waitUp(child, () => undefined);
    if (why === undefined || child.exit !== null || this.halted()) return;
    // Alive but not healthy in time: stop it; its exit counts as a failed restart.
    this.notUpWhy = why;
    await child.stop(this.options.clock, this.options.stopTimeoutMs);
  }

  /**
   * Resolves true after `delayMs`, false if stop() came first. A sleeping (ref'd) timer, not an
   * unref'd one: while every child is dead and waiting, it is what keeps the launcher alive.
   */
  private wait(delayMs: number): Promise<boolean> {
    const cancelled = new Promise<boolean>((resolve) => { this.cancelWait = () => { resolve(false); }; });
    return Promise.race([this.options.clock.sleep(delayMs).then(() => true), cancelled]);
  }
}

/**
 * `: <its last two output lines>` when it printed anything, to say why it died (two: a role's
 * error report is its coded message and then a hint).
 */
function lastWords(child: ChildHandle): string {
  const lines = child.recentLines.slice(-2).map((line) => (line.length > 300 ? `${line.slice(0, 300)}...` : line));
  return lines.length === 0 ? '' : `: ${lines.join(' / ')}`;
}
