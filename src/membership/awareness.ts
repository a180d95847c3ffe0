/**
 * Lifeguard's local health awareness (Dadgar et al. 2017, section 4.1): a node that is itself slow
 * (a busy event loop, a starved CPU) sees its probes time out and would accuse healthy peers. It
 * notices from evidence about itself and backs off:
 *
 *   +1  a probe failed and relays that should have nacked did not answer at all
 *   +1  it had to refute a suspicion of itself (others could not reach it in time)
 *   +1  one of its own timers fired late by more than the probe timeout (the event loop stalled)
 *   -1  a probe was acked in time
 *
 * The score stays in 0..max-1; probe interval and timeout are multiplied by score + 1.
 */
export class Awareness {
  private current = 0;

  constructor(private readonly max: number) {}

  get score(): number {
    return this.current;
  }

  applyDelta(delta: number): void {
    this.current = Math.min(this.max - 1, Math.max(0, this.current + delta));
  }

  scale(ms: number): number {
    return ms * (this.current + 1);
  }
}
