import type { ServerId } from '../../src/ring/index.js';
import type { RingcacheConfig } from '../../src/config/index.js';
import type { History } from './history.js';

/**
 * How long before a "down" verdict the member must have been undisturbed for the verdict to be
 * false: the longest a suspicion can wait (Lifeguard's maximum, nobody confirming) plus probe
 * periods stretched by the worst local health. A verdict later than that after a fault is owed
 * to the detector alone.
 */
export function detectionWindowMs(membership: RingcacheConfig['membership'], servers: number): number {
  const { probeIntervalMs, suspicionMult, suspicionMaxTimeoutMult, awarenessMax } = membership;
  const minMs = suspicionMult * Math.max(1, Math.log10(servers)) * probeIntervalMs;
  return minMs * suspicionMaxTimeoutMult + (awarenessMax + 1) * probeIntervalMs;
}

/**
 * "down" verdicts that no fault explains: the member was running, at normal speed and with no
 * partition anywhere in the cluster, through the whole detection window before the verdict, and
 * the observer was running too. Message loss (at most SimulationOptions.dropRateMax) is not an
 * excuse: the detector must ride it out, as the membership simulation requires.
 */
export function falseDowns(history: History, windowMs: number): string[] {
  const found: string[] = [];
  for (const change of history.statusChanges) {
    if (change.status !== 'down') continue;
    const fromMs = change.atMs - windowMs;
    if (wasDownWithin(history, change.member, fromMs, change.atMs) || wasDownWithin(history, change.observer, fromMs, change.atMs)) continue;
    const disturbed = history.disturbances.some((d) => d.fromMs <= change.atMs && d.toMs >= fromMs
      && (d.kind === 'partition' || d.server === change.member || d.server === change.observer));
    if (!disturbed) found.push(`false down: ${change.observer} held ${change.member} down at ${String(Math.round(change.atMs))} with no crash, partition or slowness in the ${String(windowMs)} ms before`);
  }
  return found;
}

/** Whether the server was crashed at any moment of [fromMs, toMs]: a crash not yet followed by its restart. */
function wasDownWithin(history: History, server: ServerId, fromMs: number, toMs: number): boolean {
  for (const crash of history.crashes) {
    if (crash.server !== server || crash.atMs > toMs) continue;
    const restart = history.restarts.find((r) => r.server === server && r.atMs >= crash.atMs);
    if ((restart?.atMs ?? Number.POSITIVE_INFINITY) >= fromMs) return true;
  }
  return false;
}
