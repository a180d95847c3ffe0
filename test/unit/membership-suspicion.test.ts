import { describe, expect, it } from 'vitest';
import { Awareness, Suspicion, suspicionBoundsMs, retransmitLimit, suspicionTimeoutMs, MEMBERSHIP_DEFAULTS } from '../../src/membership/index.js';
import { VirtualClock } from '../../src/runtime/index.js';

describe('Lifeguard suspicion timeout', () => {
  it('runs from max down to min, log-scaled in the confirmations (memberlist suspicion.go)', () => {
    expect(suspicionTimeoutMs(0, 3, 1000, 6000)).toBe(6000);
    // log(2)/log(4) = 0.5 of the way down.
    expect(suspicionTimeoutMs(1, 3, 1000, 6000)).toBe(3500);
    expect(suspicionTimeoutMs(2, 3, 1000, 6000)).toBe(Math.floor(6000 - (Math.log(3) / Math.log(4)) * 5000));
    expect(suspicionTimeoutMs(3, 3, 1000, 6000)).toBe(1000);
    expect(suspicionTimeoutMs(9, 3, 1000, 6000)).toBe(1000);
    // No confirmation expected (a tiny cluster): min at once.
    expect(suspicionTimeoutMs(0, 0, 1000, 6000)).toBe(1000);
  });

  it('bounds scale with log10 of the cluster, and k is dropped when too few members could confirm', () => {
    expect(suspicionBoundsMs(MEMBERSHIP_DEFAULTS, 5)).toEqual({ minMs: 600, maxMs: 3600, confirmations: 1 });
    expect(suspicionBoundsMs(MEMBERSHIP_DEFAULTS, 100)).toEqual({ minMs: 1200, maxMs: 7200, confirmations: 1 });
    // 2 members: the suspect and this node, nobody else to confirm.
    expect(suspicionBoundsMs(MEMBERSHIP_DEFAULTS, 2).confirmations).toBe(0);
    expect(suspicionBoundsMs({ ...MEMBERSHIP_DEFAULTS, suspicionMult: 5 }, 4).confirmations).toBe(0);
    expect(suspicionBoundsMs({ ...MEMBERSHIP_DEFAULTS, suspicionMult: 5 }, 5).confirmations).toBe(3);
  });

  it('retransmits each update lambda * ceil(log10(n + 1)) times', () => {
    expect(retransmitLimit(MEMBERSHIP_DEFAULTS, 5)).toBe(4);
    expect(retransmitLimit(MEMBERSHIP_DEFAULTS, 200)).toBe(12);
  });

  it('fires at max without confirmations, sooner with each new accuser, never for the first accuser or a repeat', () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    const suspicion = new Suspicion(clock, 'n1', 2, 1000, 6000, (confirmations) => { fired.push(confirmations); });
    expect(suspicion.confirm('n1')).toBe(false);
    clock.runUntil(1000);
    expect(suspicion.confirm('n2')).toBe(true);
    expect(suspicion.confirm('n2')).toBe(false);
    // One of two: timeout(1) = 6000 - log(2)/log(3) * 5000 = 2845 from the start.
    clock.runUntil(2844);
    expect(fired).toEqual([]);
    clock.runUntil(2846);
    expect(fired).toEqual([1]);
  });

  it('a confirmation that comes after the shortened timeout has passed fires at once', () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    const suspicion = new Suspicion(clock, 'n1', 1, 500, 3000, (confirmations) => { fired.push(confirmations); });
    clock.runUntil(900);
    suspicion.confirm('n3');
    clock.runUntil(900);
    expect(fired).toEqual([1]);
    expect(suspicion.confirm('n4')).toBe(false);
  });

  it('cancel stops the timer', () => {
    const clock = new VirtualClock(0);
    let fired = false;
    new Suspicion(clock, 'n1', 0, 100, 600, () => { fired = true; }).cancel();
    clock.runUntil(10_000);
    expect(fired).toBe(false);
  });
});

describe('local health awareness', () => {
  it('scales timeouts by score + 1 within 0..max-1', () => {
    const awareness = new Awareness(8);
    expect(awareness.scale(200)).toBe(200);
    awareness.applyDelta(3);
    expect(awareness.scale(200)).toBe(800);
    awareness.applyDelta(100);
    expect(awareness.score).toBe(7);
    awareness.applyDelta(-100);
    expect(awareness.score).toBe(0);
    const off = new Awareness(1);
    off.applyDelta(5);
    expect(off.scale(200)).toBe(200);
  });
});
