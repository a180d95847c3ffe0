import type { Clock, Timer } from '../runtime/index.js';
import type { ServerId } from '../ring/index.js';

/**
 * Lifeguard's suspicion timeout (Dadgar et al. 2017, section 4.3): a suspicion starts with the
 * long timeout and shortens as other members independently suspect the same incarnation, since
 * a member many can no longer reach is far likelier down than one a single (perhaps slow or
 * badly connected) member gave up on. With c confirmations out of the k wanted:
 *
 *   timeout(c) = max(min, max - (max - min) * log(c + 1) / log(k + 1))
 *
 *   max |*
 *       |   *
 *       |      *  .
 *   min |_________*___  c
 *       0    1    k
 *
 * measured from the start of the suspicion, so a confirmation that comes late fires at once.
 */
export function suspicionTimeoutMs(confirmations: number, wanted: number, minMs: number, maxMs: number): number {
  if (wanted < 1) return minMs;
  const fraction = Math.log(confirmations + 1) / Math.log(wanted + 1);
  return Math.max(minMs, Math.floor(maxMs - fraction * (maxMs - minMs)));
}

/** One member's suspicion: its timer, and who confirmed it (each accuser counts once). */
export class Suspicion {
  private readonly accusers = new Set<ServerId>();
  private readonly startedMs: number;
  private timer: Timer;
  private confirmations = 0;

  /**
   * `accuser` raised the suspicion: it is not a confirmation (its own suspicion may come back to
   * it through gossip). `onTimeout` hears how many confirmations there were.
   */
  constructor(
    private readonly clock: Clock,
    accuser: ServerId,
    private readonly wanted: number,
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly onTimeout: (confirmations: number) => void,
  ) {
    this.accusers.add(accuser);
    this.startedMs = clock.nowMs();
    this.timer = clock.schedule(suspicionTimeoutMs(0, wanted, minMs, maxMs), () => { this.onTimeout(this.confirmations); });
  }

  get confirmed(): number {
    return this.confirmations;
  }

  /** Another member suspects the same incarnation. True when that was news (then re-gossip it). */
  confirm(accuser: ServerId): boolean {
    if (this.confirmations >= this.wanted || this.accusers.has(accuser)) return false;
    this.accusers.add(accuser);
    this.confirmations++;
    this.timer.cancel();
    const elapsedMs = this.clock.nowMs() - this.startedMs;
    const remainingMs = suspicionTimeoutMs(this.confirmations, this.wanted, this.minMs, this.maxMs) - elapsedMs;
    this.timer = this.clock.schedule(Math.max(0, remainingMs), () => { this.onTimeout(this.confirmations); });
    return true;
  }

  cancel(): void {
    this.timer.cancel();
  }
}
