import type { MembershipOptions } from '../../src/membership/index.js';
import type { ServerId } from '../../src/ring/index.js';
import type { SimNetworkOptions } from '../../src/transport/index.js';
import { MembershipSim } from './membership-cluster.js';
import type { MembershipBug, Observation } from './membership-cluster.js';
import { falseDowns, liveObservers, logFanout } from './membership-checker.js';
import type { FalseDown } from './membership-checker.js';

/** Time for every node to hear of every other before a scenario starts. */
const WARMUP_MS = 3_000;
/** How long a scenario waits for a change to reach everyone before it reports what it has. */
const CHANGE_WAIT_MS_MAX = 60_000;

/** 5% loss and twice the default latency tail (SIM_NETWORK_DEFAULTS: mean 1 ms, max 40 ms). */
export const LOSSY_NETWORK: Partial<SimNetworkOptions> = Object.freeze({ dropRate: 0.05, latencyMsMean: 2, latencyMsMax: 80 });

export interface DetectionReport {
  readonly servers: number;
  readonly seed: number;
  readonly crashed: ServerId;
  /** From the crash until the first live node held it down. */
  readonly firstMs: number;
  /** From the crash until every live node held it down (Infinity: not within the wait). */
  readonly allMs: number;
  /** Gossip intervals from the first to the last node holding it down. */
  readonly disseminationRounds: number;
  readonly logFanout: number;
  readonly falseDowns: readonly FalseDown[];
}

export interface DisseminationReport {
  readonly servers: number;
  readonly seed: number;
  /** Gossip intervals from one node's announcement until every other node had it. */
  readonly rounds: number;
  readonly allMs: number;
  readonly logFanout: number;
}

export interface FalseDownReport {
  readonly servers: number;
  readonly seed: number;
  readonly simulatedMs: number;
  readonly bug: MembershipBug;
  readonly falseDowns: readonly FalseDown[];
  readonly suspicions: number;
  readonly refutations: number;
  readonly probes: number;
  readonly gossipSent: number;
}

export interface ScenarioSettings {
  readonly network?: Partial<SimNetworkOptions>;
  readonly membership?: Partial<MembershipOptions>;
  readonly bug?: MembershipBug;
}

/** Waits until `each` has matched once for every observer; returns when each observer matched. */
async function waitForAll(
  sim: MembershipSim, observers: readonly ServerId[], each: (seen: Observation) => boolean,
): Promise<Map<ServerId, number>> {
  const wanted = new Set(observers);
  const times = new Map<ServerId, number>();
  let index = sim.observations.length;
  await sim.runUntil(CHANGE_WAIT_MS_MAX, () => {
    for (; index < sim.observations.length; index++) {
      const seen = sim.observations[index]!;
      if (wanted.has(seen.observer) && !times.has(seen.observer) && each(seen)) times.set(seen.observer, seen.atMs);
    }
    return times.size === wanted.size;
  });
  return times;
}

/** Crashes one node after warm-up and measures when the first and the last live node hold it down. */
export async function detectionRun(servers: number, seed: number, settings: ScenarioSettings = {}): Promise<DetectionReport> {
  const sim = new MembershipSim({ servers, seed, ...settings });
  await sim.runFor(WARMUP_MS);
  const crashed = sim.ids[sim.random.int(servers)]!;
  const crashedAtMs = sim.clock.nowMs();
  sim.crash(crashed);
  const observers = liveObservers(sim, crashed);
  const times = await waitForAll(sim, observers, (seen) => seen.member === crashed && seen.status === 'down');
  const seen = [...times.values()];
  const first = Math.min(...seen);
  const last = times.size === observers.length ? Math.max(...seen) : Number.POSITIVE_INFINITY;
  return {
    servers, seed, crashed,
    firstMs: first - crashedAtMs,
    allMs: last - crashedAtMs,
    disseminationRounds: (last - first) / sim.options.gossipIntervalMs,
    logFanout: logFanout(servers, sim.options.fanout),
    falseDowns: falseDowns(sim),
  };
}

/**
 * Pure dissemination: one node that started recovering announces it is in sync (a new
 * incarnation) and the others' boards are watched until all have it.
 */
export async function disseminationRun(servers: number, seed: number, settings: ScenarioSettings = {}): Promise<DisseminationReport> {
  const announcer = `n${String(1 + (seed % servers))}`;
  const sim = new MembershipSim({ servers, seed, recovering: [announcer], ...settings });
  const observers = liveObservers(sim, announcer);
  await waitForAll(sim, observers, (seen) => seen.member === announcer && seen.recovering);
  await sim.runFor(WARMUP_MS);
  const announcedAtMs = sim.clock.nowMs();
  sim.finishRecovery(announcer);
  const times = await waitForAll(sim, observers, (seen) => seen.member === announcer && !seen.recovering && seen.status !== 'down');
  const allMs = times.size === observers.length ? Math.max(...times.values()) - announcedAtMs : Number.POSITIVE_INFINITY;
  return { servers, seed, rounds: allMs / sim.options.gossipIntervalMs, allMs, logFanout: logFanout(servers, sim.options.fanout) };
}

/** No crash at all: every "down" is false. */
export async function falseDownRun(servers: number, seed: number, durationMs: number, settings: ScenarioSettings = {}): Promise<FalseDownReport> {
  const sim = new MembershipSim({ servers, seed, ...settings });
  await sim.runFor(durationMs);
  const totals = { suspicions: 0, refutations: 0, probes: 0, gossipSent: 0 };
  for (const id of sim.ids) {
    const stats = sim.service(id).stats;
    totals.suspicions += stats.suspicionsRaised;
    totals.refutations += stats.refutations;
    totals.probes += stats.probes;
    totals.gossipSent += stats.gossipSent;
  }
  return { servers, seed, simulatedMs: durationMs, bug: settings.bug ?? 'none', falseDowns: falseDowns(sim), ...totals };
}
