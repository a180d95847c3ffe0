import { describe, expect, it } from 'vitest';
import { MEMBERSHIP_DEFAULTS, suspicionBoundsMs } from '../../src/membership/index.js';
import { MembershipSim } from './membership-cluster.js';
import { LOSSY_NETWORK, detectionRun, disseminationRun, falseDownRun } from './membership-scenarios.js';

const TEN_MINUTES_MS = 10 * 60_000;
const { probeIntervalMs, gossipIntervalMs } = MEMBERSHIP_DEFAULTS;

/**
 * The bound every live node must meet: the crashed node's turn comes within one pass of the
 * others' round-robin ((S - 1) probe intervals), the probe and its indirect probes take one more,
 * the suspicion at most its max timeout (min once another member confirms), then gossip.
 */
function detectionBoundMs(servers: number): number {
  return servers * probeIntervalMs + suspicionBoundsMs(MEMBERSHIP_DEFAULTS, servers).maxMs + 5 * gossipIntervalMs;
}

describe('membership in the simulator', () => {
  it('every live node holds a crashed one down within the bound, and usually within the suspicion minimum plus a probe pass', async () => {
    for (const servers of [5, 20]) {
      const runs = [];
      for (let seed = 1; seed <= 10; seed++) runs.push(await detectionRun(servers, seed));
      const all = runs.map((run) => run.allMs).sort((a, b) => a - b);
      expect(all.at(-1)!).toBeLessThan(detectionBoundMs(servers));
      // Lifeguard: the others' own failed probes confirm the suspicion, so it ends near min.
      const { minMs } = suspicionBoundsMs(MEMBERSHIP_DEFAULTS, servers);
      expect(all[Math.floor(all.length / 2)]!).toBeLessThan(minMs + 4 * probeIntervalMs);
      expect(runs.flatMap((run) => run.falseDowns)).toEqual([]);
    }
  });

  it('spreads a member\'s news to every node within log_fanout(S) + 2 gossip rounds', async () => {
    for (const servers of [5, 20, 50]) {
      const report = await disseminationRun(servers, 7);
      expect(report.rounds).toBeLessThanOrEqual(report.logFanout + 2);
    }
  });

  it('holds no live node down in 10 simulated minutes at 5% loss and twice the latency jitter', async () => {
    for (const [servers, seed] of [[5, 1], [20, 2]] as const) {
      const report = await falseDownRun(servers, seed, TEN_MINUTES_MS, { network: LOSSY_NETWORK });
      expect(report.falseDowns).toEqual([]);
      // It ran: every node probed about every interval.
      expect(report.probes).toBeGreaterThan(servers * (TEN_MINUTES_MS / probeIntervalMs) * 0.9);
    }
  }, 60_000);

  it('holds none down at 10% loss either, where a planted bug (no refutation, no suspicion) produces false downs', async () => {
    const network = { ...LOSSY_NETWORK, dropRate: 0.1 };
    const sound = await falseDownRun(5, 3, 120_000, { network });
    expect(sound.falseDowns).toEqual([]);
    expect(sound.suspicions).toBeGreaterThan(0);
    expect(sound.refutations).toBeGreaterThan(0);
    const noRefutation = await falseDownRun(5, 3, 120_000, { network, bug: 'no-refutation' });
    expect(noRefutation.refutations).toBe(0);
    expect(noRefutation.falseDowns.length).toBeGreaterThan(0);
    const noSuspicion = await falseDownRun(5, 3, 120_000, { network: LOSSY_NETWORK, bug: 'no-suspicion' });
    expect(noSuspicion.falseDowns.length).toBeGreaterThan(0);
  });

  it('replays a seed exactly', async () => {
    const run = async () => {
      const sim = new MembershipSim({ servers: 6, seed: 99, network: LOSSY_NETWORK });
      await sim.runFor(2000);
      sim.crash('n4');
      await sim.runFor(3000);
      return sim.observations;
    };
    expect(await run()).toEqual(await run());
  });
});
