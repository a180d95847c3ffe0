import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Clock, Timer } from '../runtime/index.js';
import { parseReadyLine } from './roles.js';
import type { ReadyLine } from './roles.js';

/**
 * One process we started and own: its output read line by line, its ready line noticed, its
 * exit awaited, and a stop that escalates SIGTERM -> SIGKILL after a deadline. It signals only
 * its own PID (STYLE.md: stop only what you started, by PID).
 *
 *   spawn --> running --(SIGTERM)--> stopping --(exit)--> exited
 *                          \--(deadline)--> SIGKILL --(exit)--> exited
 */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ChildOptions {
  readonly name: string;
  readonly file: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Each line the child prints; ready lines included. */
  readonly onLine: (name: string, stream: 'stdout' | 'stderr', line: string) => void;
  /**
   * Give a Node child an IPC channel: it notices the parent's death (even SIGKILL) as
   * 'disconnect' and stops itself (src/cli/roles.ts). Leave off for non-Node programs.
   */
  readonly ipc?: boolean;
  /**
   * Own process group, so a terminal's Ctrl-C reaches only the parent, which then stops its
   * children in order instead of all of them dying at once.
   */
  readonly detached?: boolean;
}

/** After SIGKILL, how much longer than the stop deadline we wait for the exit to be reported. */
const KILL_GRACE_MS = 1000;

/** Lines kept for `recentLines`: enough for an error, its cause and a hint, not a log. */
const RECENT_LINES_MAX = 5;

export class ChildHandle {
  readonly name: string;
  readonly exited: Promise<ChildExit>;
  /** Resolves with the first ready line; never rejects (check `exit` to see a death first). */
  readonly ready: Promise<ReadyLine>;
  exit: ChildExit | null = null;
  /** The last few lines it printed (either stream), to explain a death. */
  readonly recentLines: string[] = [];
  private readonly process: ChildProcess;

  constructor(options: ChildOptions) {
    this.name = options.name;
    const stdio = options.ipc === true ? ['ignore', 'pipe', 'pipe', 'ipc'] as const : ['ignore', 'pipe', 'pipe'] as const;
    this.process = spawn(options.file, [...options.args], {
      stdio: [...stdio],
      env: { ...(options.env ?? process.env) },
      cwd: options.cwd,
      detached: options.detached ?? false,
    });
    let announce: (line: ReadyLine) => void = () => undefined;
    this.ready = new Promise((resolve) => { announce = resolve; });
    const follow = (stream: NodeJS.ReadableStream | null, kind: 'stdout' | 'stderr'): void => {
      if (stream === null) return;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        if (kind === 'stdout') {
          const ready = parseReadyLine(line);
          if (ready !== undefined) announce(ready);
        }
        this.recentLines.push(line);
        if (this.recentLines.length > RECENT_LINES_MAX) this.recentLines.shift();
        options.onLine(this.name, kind, line);
      });
    };
    follow(this.process.stdout, 'stdout');
    follow(this.process.stderr, 'stderr');
    this.exited = new Promise((resolve) => {
      // 'close' (not 'exit') so the last output lines are read before the exit is reported.
      this.process.once('close', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.process.once('error', (error) => {
        options.onLine(this.name, 'stderr', `cannot start ${options.file}: ${error.message}`);
        this.exit = { code: 127, signal: null };
        resolve(this.exit);
      });
    });
    if (options.ipc === true) {
      // The channel is only a liveness signal for the child; it must not keep us alive.
      this.process.channel?.unref();
      this.process.on('error', () => undefined);
    }
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Sends a signal to this child's PID only, if it is still running. */
  signal(signal: NodeJS.Signals): void {
    if (this.exit !== null || this.process.pid === undefined) return;
    try {
      process.kill(this.process.pid, signal);
    } catch {
      // Already gone between the check and the kill: nothing to stop.
    }
  }

  /**
   * SIGTERM, then SIGKILL if still running after `deadlineMs`; resolves once it has exited, or
   * (bounded even then) `deadlineMs` after the SIGKILL with `exit` still null: a process stuck in
   * the kernel must not hang our own exit.
   */
  async stop(clock: Clock, deadlineMs: number): Promise<ChildExit | null> {
    if (this.exit !== null) return this.exit;
    this.signal('SIGTERM');
    let giveUp: () => void = () => undefined;
    const gaveUp = new Promise<null>((resolve) => { giveUp = () => { resolve(null); }; });
    let giveUpTimer: Timer | undefined;
    const killTimer = clock.schedule(deadlineMs, () => {
      this.signal('SIGKILL');
      giveUpTimer = clock.schedule(deadlineMs + KILL_GRACE_MS, giveUp);
    });
    const exit = await Promise.race([this.exited, gaveUp]);
    killTimer.cancel();
    giveUpTimer?.cancel();
    return exit;
  }
}

export function describeExit(exit: ChildExit): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${String(exit.code)}`;
}
