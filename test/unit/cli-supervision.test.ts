import { describe, expect, it } from 'vitest';
import { backoffMs, nextRestart, RESTART_DEFAULTS } from '../../src/cli/restart-policy.js';
import type { RestartDecision, RestartPolicy } from '../../src/cli/restart-policy.js';
import { summaryLine } from '../../src/cli/start-report.js';

const policy: RestartPolicy = { delayMs: 1000, delayMsMax: 30_000, stableMs: 10_000, restartsMax: 5 };

/** Replays deaths, each after `upForMs` (undefined: never came up), as the member does. */
function replay(runs: readonly (number | undefined)[], rules = policy): RestartDecision[] {
  let attempt = 0;
  return runs.map((upForMs) => {
    const decision = nextRestart(rules, attempt, upForMs);
    if (decision.kind === 'restart') attempt = decision.attempt;
    return decision;
  });
}

describe('restart policy', () => {
  it('a child that keeps dying is restarted after 1, 2, 4, 8, 16 s, then given up on', () => {
    const decisions = replay([500, undefined, undefined, 2000, undefined, undefined]);
    expect(decisions.slice(0, 5)).toEqual([1, 2, 3, 4, 5].map((attempt) => ({ kind: 'restart', attempt, delayMs: 1000 * 2 ** (attempt - 1) })));
    expect(decisions[5]).toEqual({ kind: 'give-up', failedRestarts: 5 });
  });

  it('a run that stayed up stableMs starts a new streak from delayMs', () => {
    const decisions = replay([undefined, undefined, undefined, 10_000, undefined]);
    expect(decisions.map((decision) => (decision.kind === 'restart' ? decision.delayMs : decision.kind))).toEqual([1000, 2000, 4000, 1000, 2000]);
  });

  it('the first death after a long life is restart 1, however old the cluster', () => {
    expect(nextRestart(policy, 0, 86_400_000)).toEqual({ kind: 'restart', attempt: 1, delayMs: 1000 });
    expect(nextRestart(policy, 4, 86_400_000)).toEqual({ kind: 'restart', attempt: 1, delayMs: 1000 });
  });

  it('the wait is capped at delayMsMax and never overflows', () => {
    expect(backoffMs(policy, 6)).toBe(30_000);
    expect(backoffMs(policy, 10_000)).toBe(30_000);
    expect(backoffMs({ ...policy, delayMsMax: Number.MAX_SAFE_INTEGER }, 10_000)).toBe(1000 * 2 ** 40);
    expect(backoffMs(policy, 1)).toBe(1000);
  });

  it('restartsMax 0: the first death gives up (the cluster stops, as before restarts existed)', () => {
    expect(nextRestart({ ...policy, restartsMax: 0 }, 0, 60_000)).toEqual({ kind: 'give-up', failedRestarts: 0 });
  });

  it('defaults: 1 s doubling to 30 s, stable after 10 s, 5 restarts in a row', () => {
    expect(RESTART_DEFAULTS).toEqual(policy);
    expect(Object.isFrozen(RESTART_DEFAULTS)).toBe(true);
  });
});

describe('members summary line', () => {
  it('counts up, restarting (starting or waiting) and down, naming the ones not up', () => {
    expect(summaryLine([
      { name: 'master', state: 'up', pid: 1 },
      { name: 'n1', state: 'up', pid: 2 },
      { name: 'n2', state: 'restarting', pid: undefined },
      { name: 'n3', state: 'starting', pid: 4 },
      { name: 'n4', state: 'down', pid: undefined },
      { name: 'proxy', state: 'up', pid: 5 },
    ])).toBe('members: 3 up, 2 restarting (n2, n3), 1 down (n4)');
    expect(summaryLine([{ name: 'master', state: 'up', pid: 1 }])).toBe('members: 1 up');
  });
});
