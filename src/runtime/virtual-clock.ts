import type { Clock, Timer } from './clock.js';
import { assert } from './assert.js';

interface Event {
  atMs: number;
  /** Insertion order breaks ties, so equal-time events run in the order they were scheduled. */
  sequence: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * The simulator's clock: time advances only when the simulator runs the next event, so a whole
 * cluster replays identically from its seed. Events live in a binary min-heap on (atMs, sequence).
 */
export class VirtualClock implements Clock {
  private currentMs: number;
  private sequence = 0;
  private readonly heap: Event[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  /** Virtual time too: a simulated request takes exactly the latency the network gave it. */
  monotonicMs(): number {
    return this.currentMs;
  }

  schedule(delayMs: number, callback: () => void): Timer {
    const event: Event = {
      atMs: this.currentMs + Math.max(0, delayMs),
      sequence: this.sequence++,
      callback,
      cancelled: false,
    };
    this.push(event);
    return { cancel: () => { event.cancelled = true; } };
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => { this.schedule(delayMs, resolve); });
  }

  /** Number of events still queued, cancelled ones included. */
  get pending(): number {
    return this.heap.length;
  }

  /** Time of the earliest queued event (possibly cancelled), or undefined when none is queued. */
  nextEventMs(): number | undefined {
    return this.heap[0]?.atMs;
  }

  /** Runs the earliest event; returns false when none is left. */
  step(): boolean {
    for (;;) {
      const event = this.pop();
      if (event === undefined) return false;
      if (event.cancelled) continue;
      assert(event.atMs >= this.currentMs, 'virtual time never goes backwards');
      this.currentMs = event.atMs;
      event.callback();
      return true;
    }
  }

  /** Runs every event due at or before `untilMs`, then sets the time to `untilMs`. */
  runUntil(untilMs: number, eventsMax = 10_000_000): number {
    let ran = 0;
    for (;;) {
      const next = this.heap[0];
      if (next === undefined || next.atMs > untilMs) break;
      if (next.cancelled) {
        // Drop it here: step() would skip it and run the next event even past untilMs.
        this.pop();
        continue;
      }
      assert(ran < eventsMax, `runUntil exceeded ${String(eventsMax)} events (a timer loop?)`);
      if (this.step()) ran++;
    }
    this.currentMs = Math.max(this.currentMs, untilMs);
    return ran;
  }

  private push(event: Event): void {
    const heap = this.heap;
    heap.push(event);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(event, heap[parent] as Event)) break;
      heap[index] = heap[parent] as Event;
      index = parent;
    }
    heap[index] = event;
  }

  private pop(): Event | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right] as Event, heap[left] as Event) ? right : left;
      if (!before(heap[child] as Event, last)) break;
      heap[index] = heap[child] as Event;
      index = child;
    }
    heap[index] = last;
    return top;
  }
}

function before(a: Event, b: Event): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.sequence < b.sequence);
}
