import { describe, expect, it } from 'vitest';
import { DeadlineQueue, SeededRandom, VirtualClock } from '../../src/runtime/index.js';

function queue(delayMs: number): { clock: VirtualClock; expired: [string, number][]; deadlines: DeadlineQueue<string> } {
  const clock = new VirtualClock(0);
  const expired: [string, number][] = [];
  const deadlines = new DeadlineQueue<string>(clock, delayMs, (item) => { expired.push([item, clock.nowMs()]); });
  return { clock, expired, deadlines };
}

describe('DeadlineQueue', () => {
  it('expires each item exactly delayMs after it was added, in order', () => {
    const { clock, expired, deadlines } = queue(30);
    deadlines.add('a');
    clock.runUntil(1);
    deadlines.add('b');
    deadlines.add('c');
    clock.runUntil(17);
    deadlines.add('d');
    clock.runUntil(1000);
    expect(expired).toEqual([['a', 30], ['b', 31], ['c', 31], ['d', 47]]);
    expect(deadlines.size).toBe(0);
  });

  it('never expires a cancelled item, and forgets it at once', () => {
    const { clock, expired, deadlines } = queue(10);
    const a = deadlines.add('a');
    const b = deadlines.add('b');
    clock.runUntil(5);
    const c = deadlines.add('c');
    deadlines.cancel(a);
    deadlines.cancel(c);
    expect(deadlines.size).toBe(1);
    deadlines.cancel(c);
    deadlines.cancel(12345);
    clock.runUntil(100);
    expect(expired).toEqual([['b', 10]]);
    deadlines.cancel(b);
    expect(deadlines.size).toBe(0);
  });

  it('keeps the head on time when onExpired adds items (a hedge re-armed)', () => {
    const clock = new VirtualClock(0);
    const expired: [string, number][] = [];
    const deadlines: DeadlineQueue<string> = new DeadlineQueue<string>(clock, 20, (item) => {
      expired.push([item, clock.nowMs()]);
      if (item === 'a') deadlines.add('a-again');
    });
    deadlines.add('a');
    clock.runUntil(5);
    deadlines.add('b');
    clock.runUntil(1000);
    expect(expired).toEqual([['a', 20], ['b', 25], ['a-again', 40]]);
  });

  it('clear() hands back what was waiting and expires nothing more', () => {
    const { clock, expired, deadlines } = queue(10);
    deadlines.add('a');
    const b = deadlines.add('b');
    deadlines.add('c');
    deadlines.cancel(b);
    expect(deadlines.clear()).toEqual(['a', 'c']);
    clock.runUntil(100);
    expect(expired).toEqual([]);
    deadlines.add('d');
    clock.runUntil(200);
    expect(expired).toEqual([['d', 110]]);
  });

  it('expires what a timer per item would, over a random mix of adds and cancels', () => {
    const random = new SeededRandom(11);
    const { clock, expired, deadlines } = queue(25);
    // The model: every item not cancelled expires at its add time + 25, in add order.
    const added: { name: string; atMs: number; ticket: number; cancelled: boolean }[] = [];
    for (let step = 0; step < 5000; step++) {
      clock.runUntil(clock.nowMs() + random.int(3));
      const pending = added.filter((item) => !item.cancelled && item.atMs + 25 > clock.nowMs());
      if (random.next() < 0.6 || pending.length === 0) {
        const name = `i${step}`;
        added.push({ name, atMs: clock.nowMs(), ticket: deadlines.add(name), cancelled: false });
      } else {
        const item = pending[random.int(pending.length)]!;
        item.cancelled = true;
        deadlines.cancel(item.ticket);
      }
    }
    clock.runUntil(clock.nowMs() + 1000);
    expect(expired).toEqual(added.filter((item) => !item.cancelled).map((item) => [item.name, item.atMs + 25]));
    expect(deadlines.size).toBe(0);
  });

  it('finds tickets after it compacts a long queue', () => {
    const { clock, expired, deadlines } = queue(10);
    const tickets = Array.from({ length: 3000 }, (_, i) => deadlines.add(`i${i}`));
    for (let i = 0; i < 2000; i++) deadlines.cancel(tickets[i]!);
    deadlines.cancel(tickets[2500]!);
    expect(deadlines.size).toBe(999);
    clock.runUntil(100);
    expect(expired.map(([name]) => name)).toEqual(Array.from({ length: 1000 }, (_, i) => `i${2000 + i}`).filter((name) => name !== 'i2500'));
  });
});
