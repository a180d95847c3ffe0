/**
 * The hottest keys of a stream in bounded memory: Space-Saving (Metwally, Agrawal, El Abbadi,
 * "Efficient Computation of Frequent and Top-k Elements in Data Streams", ICDT 2005).
 *
 *   k counters, kept in a min-heap by count:
 *     seen key        -> its count + 1, sift down
 *     new key, room   -> a counter with count 1
 *     new key, full   -> take the minimum (count m): it now counts the new key, count m + 1,
 *                        error m (the new key may have been seen up to m times before)
 *
 * Every key with true frequency above n / k is among the counters, and each count over-estimates
 * by at most its `error` (<= n / k). Memory and time per offer are O(k) and O(log k), whatever the
 * stream, so a client sending a million distinct keys cannot grow it.
 */
import { assert } from '../runtime/index.js';

export interface HotKey {
  /** The key as latin1 text: every byte one char, so no byte sequence is lost or merged. */
  readonly key: string;
  readonly count: number;
  /** How much of `count` may belong to keys this counter counted before (Space-Saving's epsilon). */
  readonly error: number;
}

interface Counter {
  key: string;
  count: number;
  error: number;
  slot: number;
}

export class SpaceSaving {
  private readonly heap: Counter[] = [];
  private readonly byKey = new Map<string, Counter>();
  /** Offers since the last reset: the n of the n / k bound. */
  private offers = 0;

  constructor(readonly capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity >= 1, `SpaceSaving: capacity ${capacity} must be a positive integer`);
  }

  get total(): number {
    return this.offers;
  }

  offer(key: string, weight = 1): void {
    this.offers += weight;
    const known = this.byKey.get(key);
    if (known !== undefined) {
      known.count += weight;
      this.siftDown(known.slot);
      return;
    }
    if (this.heap.length < this.capacity) {
      const counter: Counter = { key, count: weight, error: 0, slot: this.heap.length };
      this.heap.push(counter);
      this.byKey.set(key, counter);
      this.siftUp(counter.slot);
      return;
    }
    const min = this.heap[0];
    assert(min !== undefined, 'SpaceSaving: a full heap has a minimum');
    this.byKey.delete(min.key);
    min.key = key;
    min.error = min.count;
    min.count += weight;
    this.byKey.set(key, min);
    this.siftDown(0);
  }

  /** The counters, hottest first (ties by key, so the order is deterministic). */
  top(limit = this.capacity): HotKey[] {
    return this.heap
      .map(({ key, count, error }) => ({ key, count, error }))
      .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, limit);
  }

  reset(): void {
    this.heap.length = 0;
    this.byKey.clear();
    this.offers = 0;
  }

  private siftUp(slot: number): void {
    let index = slot;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.at(parent).count <= this.at(index).count) break;
      this.swap(index, parent);
      index = parent;
    }
  }

  private siftDown(slot: number): void {
    let index = slot;
    const length = this.heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) return;
      const right = left + 1;
      const child = right < length && this.at(right).count < this.at(left).count ? right : left;
      if (this.at(index).count <= this.at(child).count) return;
      this.swap(index, child);
      index = child;
    }
  }

  private at(slot: number): Counter {
    const counter = this.heap[slot];
    assert(counter !== undefined, 'SpaceSaving: heap slot in range');
    return counter;
  }

  private swap(a: number, b: number): void {
    const first = this.at(a);
    const second = this.at(b);
    this.heap[a] = second;
    this.heap[b] = first;
    second.slot = a;
    first.slot = b;
  }
}
