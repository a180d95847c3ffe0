import { describe, expect, it } from 'vitest';
import { VirtualClock, SeededRandom, every } from '../../src/runtime/index.js';

describe('VirtualClock', () => {
  it('runs events in time order, ties in scheduling order', () => {
    const clock = new VirtualClock(0);
    const order: string[] = [];
    clock.schedule(20, () => order.push('b'));
    clock.schedule(10, () => order.push('a1'));
    clock.schedule(10, () => order.push('a2'));
    clock.schedule(5, () => { clock.schedule(0, () => order.push('nested')); });
    clock.runUntil(100);
    expect(order).toEqual(['nested', 'a1', 'a2', 'b']);
    expect(clock.nowMs()).toBe(100);
  });

  it('skips cancelled timers and stops `every` loops', () => {
    const clock = new VirtualClock(0);
    let ticks = 0;
    const timer = every(clock, 10, () => { ticks++; });
    const cancelled = clock.schedule(15, () => { ticks += 100; });
    cancelled.cancel();
    clock.runUntil(35);
    timer.cancel();
    clock.runUntil(1000);
    expect(ticks).toBe(3);
  });

  it('keeps heap order over many random events', () => {
    const clock = new VirtualClock(0);
    const random = new SeededRandom(7);
    const seen: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const delay = random.int(500);
      clock.schedule(delay, () => seen.push(clock.nowMs()));
    }
    while (clock.step()) { /* drain */ }
    expect(seen).toHaveLength(2000);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });
});

describe('SeededRandom', () => {
  it('replays from its seed and differs across seeds', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    for (let i = 0; i < 1000; i++) {
      const n = a.int(7);
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThan(7);
    }
  });
});

describe('VirtualClock.runUntil with a cancelled event first', () => {
  it('does not run events past untilMs', () => {
    const clock = new VirtualClock(0);
    const ran: number[] = [];
    clock.schedule(5, () => ran.push(5)).cancel();
    clock.schedule(50, () => ran.push(50));
    clock.runUntil(10);
    expect(ran).toEqual([]);
    expect(clock.nowMs()).toBe(10);
    clock.runUntil(60);
    expect(ran).toEqual([50]);
  });
});
