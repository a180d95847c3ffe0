import type { ServerId } from '../../src/ring/index.js';
import type { MembershipSim, Observation } from './membership-cluster.js';

/** A live member that some live node held down: the one thing failure detection must not do. */
export interface FalseDown {
  readonly atMs: number;
  readonly observer: ServerId;
  readonly member: ServerId;
}

/**
 * Every moment a node's board turned a member down while that member was running. A node that
 * was itself crashed at the time is no witness (its board is frozen at its last view).
 */
export function falseDowns(sim: MembershipSim, observations: readonly Observation[] = sim.observations): FalseDown[] {
  const found: FalseDown[] = [];
  for (const seen of observations) {
    if (seen.status !== 'down' || sim.wasDown(seen.member, seen.atMs) || sim.wasDown(seen.observer, seen.atMs)) continue;
    found.push({ atMs: seen.atMs, observer: seen.observer, member: seen.member });
  }
  return found;
}

/** When each live observer first saw `member` down at or after `sinceMs`. */
export function firstDownTimes(sim: MembershipSim, member: ServerId, sinceMs: number): Map<ServerId, number> {
  const times = new Map<ServerId, number>();
  for (const seen of sim.observations) {
    if (seen.member !== member || seen.status !== 'down' || seen.atMs < sinceMs || times.has(seen.observer)) continue;
    times.set(seen.observer, seen.atMs);
  }
  return times;
}

/** When each observer first saw `member` with `recovering === value` at or after `sinceMs`. */
export function firstRecoveringTimes(sim: MembershipSim, member: ServerId, value: boolean, sinceMs: number): Map<ServerId, number> {
  const times = new Map<ServerId, number>();
  for (const seen of sim.observations) {
    if (seen.member !== member || seen.recovering !== value || seen.status === 'down' || seen.atMs < sinceMs || times.has(seen.observer)) continue;
    times.set(seen.observer, seen.atMs);
  }
  return times;
}

/** Live servers other than `member`: the observers that must all see a change. */
export function liveObservers(sim: MembershipSim, member: ServerId): ServerId[] {
  return sim.ids.filter((id) => id !== member && sim.isUp(id));
}

/** log_fanout(S): the rounds an epidemic needs to reach S members (SWIM section 4.1). */
export function logFanout(servers: number, fanout: number): number {
  return Math.log(servers) / Math.log(fanout);
}
