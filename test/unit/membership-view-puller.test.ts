import { describe, expect, it } from 'vitest';
import { ViewPuller } from '../../src/membership/index.js';
import { silentLogger } from '../../src/runtime/index.js';
import type { Transport } from '../../src/transport/index.js';
import { MembershipSim } from '../simulation/membership-cluster.js';

function pullerOf(sim: MembershipSim, transport: Transport = sim.network.transport('proxy'), epochs: number[] = []): ViewPuller {
  return new ViewPuller({
    transport, clock: sim.clock, logger: silentLogger,
    servers: () => sim.ids, epoch: () => 1, observeEpoch: (epoch) => { epochs.push(epoch); },
    options: { viewPullIntervalMs: 500, viewStaleMs: 2000 },
  });
}

describe('ViewPuller', () => {
  it('pulls a node\'s view and reads it as a Liveness: down is not up, suspect is, recovering is said', async () => {
    const sim = new MembershipSim({ servers: 4, seed: 11, recovering: ['n4'] });
    const puller = pullerOf(sim);
    expect(puller.isUp('n1')).toBe(true);
    expect(puller.liveness('n1')).toBeUndefined();
    puller.start();
    await sim.runFor(3000);
    expect(puller.current()?.members.size).toBe(4);
    expect(puller.liveness('n1')).toBe('up');
    expect(puller.liveness('n4')).toBe('recovering');
    expect(puller.isRecovering('n4')).toBe(true);
    expect(puller.isRecovering('n1')).toBe(false);
    sim.crash('n3');
    await sim.runFor(3000);
    expect(puller.liveness('n3')).toBe('down');
    expect(puller.isUp('n3')).toBe(false);
    expect(puller.isUp('n2')).toBe(true);
    puller.stop();
  });

  it('rotates over nodes, skips those held down, and moves on at once when one does not answer', async () => {
    const sim = new MembershipSim({ servers: 4, seed: 12 });
    await sim.runFor(2000);
    const asked: string[] = [];
    const network = sim.network.transport('proxy');
    const spying: Transport = { send: (to, request, timeoutMs) => { asked.push(to); return network.send(to, request, timeoutMs); }, close: () => network.close() };
    const puller = pullerOf(sim, spying);
    for (let i = 0; i < 4; i++) {
      const pulled = puller.pull();
      await sim.runFor(100);
      expect(await pulled).toBe(true);
    }
    expect(asked).toEqual(['n1', 'n2', 'n3', 'n4']);
    sim.crash('n1');
    asked.length = 0;
    const pulled = puller.pull();
    await sim.runFor(600);
    expect(await pulled).toBe(true);
    expect(asked).toEqual(['n1', 'n2']);
    expect(puller.stats.failures).toBe(1);
    await sim.runFor(5000);
    asked.length = 0;
    for (let i = 0; i < 3; i++) {
      const next = puller.pull();
      await sim.runFor(100);
      await next;
    }
    // n1 is down in the views now: not asked.
    expect(asked).not.toContain('n1');
  });

  it('pulls again soon while a member is suspect, and forgets a view gone stale', async () => {
    const sim = new MembershipSim({ servers: 5, seed: 13 });
    await sim.runFor(2000);
    const pulledAtMs: number[] = [];
    const network = sim.network.transport('proxy');
    const counting: Transport = { send: (to, request, timeoutMs) => { pulledAtMs.push(sim.clock.nowMs()); return network.send(to, request, timeoutMs); }, close: () => network.close() };
    const puller = pullerOf(sim, counting);
    puller.start();
    await sim.runFor(5000);
    const gaps = (times: readonly number[]): number[] => times.slice(1).map((at, i) => at - times[i]!);
    // Every 500 ms while nothing is suspect.
    expect(gaps(pulledAtMs).every((gap) => gap >= 495 && gap <= 505)).toBe(true);
    sim.crash('n5');
    const fromMs = pulledAtMs.length;
    await sim.runFor(2000);
    expect(puller.liveness('n5')).toBe('down');
    // While n5 was suspect (about 600 ms) the view was pulled every 100 ms.
    expect(gaps(pulledAtMs.slice(fromMs - 1)).some((gap) => gap <= 105)).toBe(true);
    for (const id of sim.ids) sim.crash(id);
    await sim.runFor(2500);
    expect(puller.current()).toBeUndefined();
    expect(puller.isUp('n5')).toBe(true);
    puller.stop();
  });
});
