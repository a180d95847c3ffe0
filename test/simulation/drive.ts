import type { VirtualClock } from '../../src/runtime/index.js';

const EVENTS_MAX = 5_000_000;

/** Lets every promise continuation run before the next virtual event (microtasks drain first). */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => { setImmediate(resolve); });
}

/** Runs virtual events up to `untilMs` or until `stop()` holds; returns how many ran. */
export async function runClockUntil(clock: VirtualClock, untilMs: number, stop: () => boolean): Promise<number> {
  let events = 0;
  await drainMicrotasks();
  while (!stop()) {
    const next = clock.nextEventMs();
    if (next === undefined || next > untilMs) break;
    clock.step();
    await drainMicrotasks();
    if (++events > EVENTS_MAX) throw new Error(`more than ${String(EVENTS_MAX)} events: a timer loop?`);
  }
  return events;
}

/** Drives the virtual clock until `promise` settles, then returns its outcome. */
export async function drive<T>(clock: VirtualClock, promise: Promise<T>): Promise<T> {
  let settled = false;
  const tracked = promise.finally(() => { settled = true; });
  tracked.catch(() => undefined);
  await runClockUntil(clock, Number.POSITIVE_INFINITY, () => settled);
  return tracked;
}
