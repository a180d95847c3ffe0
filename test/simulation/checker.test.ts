import { describe, expect, it } from 'vitest';
import { runSeed } from './run-seed.js';
import type { SimulationOptions } from './options.js';

/** Runs seeds with a planted bug and returns every violation the checker reported. */
async function violationsWith(bug: SimulationOptions['bug'], seeds: number): Promise<string[]> {
  const violations: string[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const report = await runSeed(seed, { bug, r: 2, w: 2 });
    violations.push(...report.violations);
  }
  return violations;
}

/** Runs seeds with a planted bug until one reports a violation starting with `prefix`. */
async function findViolation(bug: SimulationOptions['bug'], seedsMax: number, prefix: string, overrides: Partial<SimulationOptions> = {}, firstSeed = 1): Promise<string | undefined> {
  for (let seed = firstSeed; seed <= seedsMax; seed++) {
    const report = await runSeed(seed, { bug, r: 2, w: 2, ...overrides });
    const found = report.violations.find((v) => v.startsWith(prefix));
    if (found !== undefined) return found;
  }
  return undefined;
}

describe('the simulation checker catches planted bugs', () => {
  it('catches replication that acknowledges without storing (lost writes, stale reads)', async () => {
    const violations = await violationsWith('drop-merges', 20);
    expect(violations.some((v) => v.startsWith('lost acknowledged write'))).toBe(true);
    expect(violations.some((v) => v.startsWith('stale read'))).toBe(true);
  });

  it('catches replicas that answer reads with nothing (stale reads)', async () => {
    const violations = await violationsWith('empty-reads', 10);
    expect(violations.some((v) => v.startsWith('stale read'))).toBe(true);
  });

  it('catches tombstones collected before every replica has them (a delete undone)', async () => {
    expect(await findViolation('early-gc', 300, 'resurrected')).toMatch(/superseded it$/);
  });

  it('catches a failure detector that declares a member down on one missed probe (false downs)', async () => {
    expect(await findViolation('hasty-detector', 50, 'false down')).toMatch(/no crash, partition or slowness/);
  });

  it('catches a replica move that swaps in an unsynced target and drops the old copy at once (a lost write)', async () => {
    // W=1 and a lossy network leave writes that only the coordinating replica holds until
    // anti-entropy spreads them: exactly what a move of that replica must not lose. The same
    // seeds without the bug lose nothing (checked when this test was written: 40 of 40 clean).
    const harsh: Partial<SimulationOptions> = { tableChanges: true, r: 1, w: 1, dropRateMax: 0.3 };
    expect(await findViolation('hasty-move', 60, 'lost acknowledged write', harsh)).toMatch(/^lost acknowledged write/);
    expect((await runSeed(15, { ...harsh, bug: 'none' })).lostAckedWrites).toBe(0);
  }, 120_000);

  it('catches a restarted node reusing its actor (a dot minted twice)', async () => {
    // Stops at the first seed that shows it: a seed with violations runs until convergeMsMax,
    // and all 30 of them took past the test's timeout on a busy machine.
    let found = false;
    for (let seed = 1; seed <= 30 && !found; seed++) {
      const report = await runSeed(seed, { bug: 'reused-actor', r: 2, w: 2 });
      found = report.violations.some((v) => v.includes('minted twice') || v.includes('minted as'));
    }
    expect(found).toBe(true);
  }, 60_000);
});
