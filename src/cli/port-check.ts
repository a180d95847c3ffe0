import type { MemberPlan } from './cluster-plan.js';
import { CommandFailure } from './command.js';
import { portIsFree } from './http-probe.js';

/**
 * One message for "port taken", whoever finds it: `ringcache start` before it starts anything,
 * a role before it listens, or a role whose listen failed anyway (another process won the race).
 * It names the port, the config key that set it, and how to move it.
 */
export type PortEntry = MemberPlan['ports'][number];

export function portInUse(entry: PortEntry): CommandFailure {
  // nodes[i].* live in the file's array, which has no --flag; section keys do.
  const move = entry.key.startsWith('nodes[') ? `change ${entry.key} in the config file` : `choose another: --${entry.key}=PORT`;
  return new CommandFailure(
    'RC_ERR_PORT_IN_USE',
    `port ${entry.port} (${entry.key}) on ${entry.host} is in use by another process`,
    `stop the process that holds it (an earlier ringcache start?), or ${move}`,
  );
}

/** Throws portInUse for the first entry (port 0 skipped: the kernel picks) that is taken. */
export async function checkPortsFree(entries: readonly PortEntry[]): Promise<void> {
  for (const entry of entries) {
    if (entry.port !== 0 && !(await portIsFree(entry.host, entry.port))) throw portInUse(entry);
  }
}

/**
 * The portInUse failure for an EADDRINUSE error of a listen on one of `entries`, else undefined.
 * Roles wrap listen errors in their own messages, so the port is read from the text as well.
 */
export function portInUseFromError(error: unknown, entries: readonly PortEntry[]): CommandFailure | undefined {
  const text = error instanceof Error ? error.message : String(error);
  const errno = error as { code?: unknown; port?: unknown } | null;
  if (errno?.code !== 'EADDRINUSE' && !text.includes('EADDRINUSE')) return undefined;
  // Greedy: the last host:port on the line is the address of the failed listen.
  const port = typeof errno?.port === 'number' ? errno.port : Number(/EADDRINUSE[^\n]*:(\d+)/.exec(text)?.[1]);
  const entry = entries.find((candidate) => candidate.port === port);
  return entry === undefined ? undefined : portInUse(entry);
}
