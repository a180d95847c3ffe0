import { assert } from './assert.js';
import type { Clock, Timer } from './clock.js';

/**
 * Deadlines that all share one delay, on one timer: the request timeouts of a transport and the
 * hedges of a coordinator. With a fixed delay, deadlines are added in the order they fall due,
 * so a FIFO holds them sorted and only its head needs a timer:
 *
 *   add(a) t=0  add(b) t=1  add(c) t=2            delay 30
 *   [a@30 b@31 c@32]   one timer, armed for 30 (the head)
 *   cancel(b) -> [a@30 _ c@32]   the slot is cleared at once, so a settled request is not kept
 *                                 alive (and promoted by the GC) until its deadline passes
 *   t=30: a expires, the cleared slot is skipped, the timer is re-armed for c@32
 *
 * Why: a timer per request (setTimeout + clearTimeout, a Timeout object and a closure each) was
 * two of the proxy's largest per-read costs (part of the 12-17 -> 7 us per op of tcp-transport.ts). Time comes from the injected Clock, so the simulator
 * replays it exactly. If the wall clock steps back, a later deadline can sit behind an earlier one
 * and fire late by at most that step.
 */
export class DeadlineQueue<T> {
  /** Items by ticket - headTicket; undefined once cancelled or expired. */
  private items: (T | undefined)[] = [];
  private deadlinesMs: number[] = [];
  private head = 0;
  /** The ticket of items[0]: tickets are global, so a slot is found in O(1). */
  private baseTicket = 0;
  private live = 0;
  private timer: Timer | null = null;
  /** Set while expiring: an onExpired that adds an item must not arm the timer past the head. */
  private firing = false;

  constructor(
    private readonly clock: Clock,
    readonly delayMs: number,
    /** Called once for each item whose deadline passed without a cancel; must not throw. */
    private readonly onExpired: (item: T) => void,
  ) {
    assert(Number.isFinite(delayMs) && delayMs >= 0, `DeadlineQueue delayMs must be >= 0, got ${delayMs}`);
  }

  /** Items added and neither cancelled nor expired yet. */
  get size(): number {
    return this.live;
  }

  /** Schedules `item` to expire delayMs from now; the ticket cancels it. */
  add(item: T): number {
    const ticket = this.baseTicket + this.items.length;
    const deadlineMs = this.clock.nowMs() + this.delayMs;
    this.items.push(item);
    this.deadlinesMs.push(deadlineMs);
    this.live++;
    if (this.timer === null && !this.firing) this.arm(deadlineMs);
    return ticket;
  }

  /** Forgets an item (its request settled); unknown or spent tickets are ignored. */
  cancel(ticket: number): void {
    const index = ticket - this.baseTicket;
    if (index < this.head || index >= this.items.length || this.items[index] === undefined) return;
    this.items[index] = undefined;
    this.live--;
    // Requests mostly settle in the order they were sent: drop cleared slots at the head now.
    if (index === this.head) this.skipCleared();
  }

  /** Empties the queue without expiring anything; returns the items that were still waiting. */
  clear(): T[] {
    const waiting: T[] = [];
    for (let index = this.head; index < this.items.length; index++) {
      const item = this.items[index];
      if (item !== undefined) waiting.push(item);
    }
    this.timer?.cancel();
    this.timer = null;
    this.baseTicket += this.items.length;
    this.items = [];
    this.deadlinesMs = [];
    this.head = 0;
    this.live = 0;
    return waiting;
  }

  private arm(deadlineMs: number): void {
    this.timer = this.clock.schedule(deadlineMs - this.clock.nowMs(), this.fire);
  }

  private readonly fire = (): void => {
    this.timer = null;
    const nowMs = this.clock.nowMs();
    // Bounded by the items queued before this call: an onExpired that adds more waits for the next timer.
    const end = this.items.length;
    this.firing = true;
    try {
      while (this.head < end && (this.deadlinesMs[this.head] as number) <= nowMs) {
        const item = this.items[this.head];
        this.items[this.head] = undefined;
        this.head++;
        if (item === undefined) continue;
        this.live--;
        this.onExpired(item);
      }
    } finally {
      this.firing = false;
    }
    this.skipCleared();
    const next = this.deadlinesMs[this.head];
    if (next !== undefined) this.arm(next);
  };

  /** Advances the head past cleared slots and compacts the arrays now and then (amortized O(1)). */
  private skipCleared(): void {
    const items = this.items;
    while (this.head < items.length && items[this.head] === undefined) this.head++;
    if (this.head === items.length) {
      this.baseTicket += items.length;
      this.items = [];
      this.deadlinesMs = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= items.length) {
      this.baseTicket += this.head;
      this.items = items.slice(this.head);
      this.deadlinesMs = this.deadlinesMs.slice(this.head);
      this.head = 0;
    }
  }
}
