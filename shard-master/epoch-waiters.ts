/**
 * Long-poll waiters of `GET /v1/table?since=E`: each proxy, node and client library parks one
 * request here until the master commits an epoch above E, so a new table reaches every follower
 * within one round trip of the commit instead of a polling interval.
 *
 *   follower                     master
 *     |-- GET since=7 ----------->|  parked (epoch 7 is current)
 *     |                           |  commit(epoch 8) -> publish -> every waiter with since < 8
 *     |<-- 200 table epoch 8 -----|
 *     |-- GET since=8 ----------->|  parked ... waitMs later, no commit:
 *     |<-- 304 -------------------|
 *
 * The set is bounded (`waitersMax`): a waiter holds a socket and a timer, and followers are a
 * known population (proxies + nodes + clients), so an overflow means a leak or a storm, answered
 * with RC_ERR_OVERLOADED rather than memory growth.
 */
import type { Table } from '../src/ring/index.js';
import { RingcacheError, assert } from '../src/runtime/index.js';
import type { Clock, Timer } from '../src/runtime/index.js';

interface Waiter {
  readonly since: number;
  finish(table: Table | undefined): void;
}

export class EpochWaiters {
  private readonly waiters = new Set<Waiter>();

  constructor(
    private readonly clock: Clock,
    /** Most parked long polls; see `longPollWaitersMax` in master.ts. */
    private readonly waitersMax: number,
  ) {
    assert(Number.isInteger(waitersMax) && waitersMax >= 1, `EpochWaiters: waitersMax=${waitersMax}`);
  }

  get size(): number {
    return this.waiters.size;
  }

  /**
   * Resolves with the first table published with an epoch above `since`, or undefined when
   * `waitMs` passes, `signal` aborts (the client went away) or `releaseAll` runs (shutdown).
   */
  wait(since: number, waitMs: number, signal?: AbortSignal): Promise<Table | undefined> {
    if (this.waiters.size >= this.waitersMax) {
      throw new RingcacheError(
        'RC_ERR_OVERLOADED',
        `${this.waiters.size} long polls of /v1/table are already waiting (limit ${this.waitersMax}); retry later or raise longPollWaitersMax`,
        { waiters: this.waiters.size, waitersMax: this.waitersMax },
      );
    }
    return new Promise((resolve) => {
      const onAbort = (): void => { waiter.finish(undefined); };
      const waiter: Waiter = {
        since,
        finish: (table) => {
          if (!this.waiters.delete(waiter)) return; // already finished
          timer.cancel();
          signal?.removeEventListener('abort', onAbort);
          resolve(table);
        },
      };
      this.waiters.add(waiter);
      const timer: Timer = this.clock.schedule(waitMs, () => { waiter.finish(undefined); });
      if (signal?.aborted === true) waiter.finish(undefined);
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Wakes every waiter the new table is news to; returns how many woke. */
  publish(table: Table): number {
    let woken = 0;
    for (const waiter of [...this.waiters]) {
      if (table.epoch > waiter.since) {
        waiter.finish(table);
        woken++;
      }
    }
    return woken;
  }

  /** Answers every waiter "no news" so shutdown never waits out a long poll. */
  releaseAll(): void {
    for (const waiter of [...this.waiters]) waiter.finish(undefined);
  }
}
