import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * The benchmark's process plumbing: which tools exist, CPU pinning as BENCHMARKS.md measured the
 * peers (servers on cpu 0, the load generator on cpu 1), and CPU time of the processes we started
 * (so a report shows whether the server or the driver ran out of core).
 */
export function hasCommand(name: string): boolean {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface Pinning {
  /** Prepended to server commands: ['taskset', '-c', '0'], or [] when not pinning. */
  readonly serverPrefix: readonly string[];
  readonly driverCpu: number | undefined;
  readonly note: string;
}

/** Pins this process (the driver) to cpu 1 and returns the prefix that pins servers to cpu 0. */
export function setUpPinning(wanted: boolean): Pinning {
  if (!wanted) return { serverPrefix: [], driverCpu: undefined, note: 'not pinned (--no-pin)' };
  if (availableParallelism() < 2) return { serverPrefix: [], driverCpu: undefined, note: 'not pinned: fewer than 2 cpus' };
  if (!hasCommand('taskset')) return { serverPrefix: [], driverCpu: undefined, note: 'not pinned: taskset not installed' };
  try {
    execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  } catch (error) {
    return { serverPrefix: [], driverCpu: undefined, note: `not pinned: taskset failed (${(error as Error).message})` };
  }
  return { serverPrefix: ['taskset', '-c', '0'], driverCpu: 1, note: 'servers pinned to cpu 0, load driver to cpu 1 (taskset)' };
}

let clockTicksPerSecond: number | undefined;

function ticksPerSecond(): number {
  if (clockTicksPerSecond === undefined) {
    try {
      clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicksPerSecond = 100;
    }
  }
  return clockTicksPerSecond;
}

/**
 * User + system CPU milliseconds of the given PIDs so far, from /proc/<pid>/stat (Linux);
 * undefined where /proc cannot be read. Fields 14 and 15 after the parenthesised command name.
 */
export function cpuTimeMs(pids: readonly number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return undefined;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After ')' the fields start at field 3 (state), so utime (14) is index 11, stime (15) index 12.
    total += Number(fields[11]) + Number(fields[12]);
  }
  return (total / ticksPerSecond()) * 1000;
}
