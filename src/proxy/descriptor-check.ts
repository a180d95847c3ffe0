import { readFileSync } from 'node:fs';
import type { RingcacheConfig } from '../config/index.js';

/** Descriptors a proxy uses besides its clients: links to nodes and the master, logs, listeners. */
const DESCRIPTORS_RESERVED = 256;

/**
 * The soft open-file limit from /proc/self/limits, or undefined where there is none (not Linux).
 * Node raises its soft limit to the hard one as it starts; past that only the shell or the
 * service manager can raise it, so the proxy can only say so.
 */
export function openFilesSoftLimit(text = readProcLimits()): number | undefined {
  const line = text?.split('\n').find((row) => row.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (soft === undefined) return undefined;
  return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

function readProcLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * A warning when proxy.maxClients + proxy.httpConnectionsMax cannot all be open under the
 * descriptor limit: past it accept() fails before the limits answer (docs/SECURITY.md).
 */
export function descriptorWarning(config: Pick<RingcacheConfig, 'proxy'>, softLimit: number | undefined): string | undefined {
  if (softLimit === undefined) return undefined;
  const needed = config.proxy.maxClients + config.proxy.httpConnectionsMax + DESCRIPTORS_RESERVED;
  if (softLimit >= needed) return undefined;
  return `open-file limit ${String(softLimit)} is below proxy.maxClients + proxy.httpConnectionsMax + ${String(DESCRIPTORS_RESERVED)} = ${String(needed)}: `
    + 'raise it (ulimit -n, LimitNOFILE=) or lower those limits; see docs/SECURITY.md';
}
