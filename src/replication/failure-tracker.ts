import type { Clock } from '../runtime/clock.js';
import type { Liveness, ServerId } from '../ring/table.js';

/**
 * Local failure detection (Dynamo section 4.8.1): a coordinator that just failed to reach a node
 * stops choosing it for `backoffMs`, without waiting for gossip to notice. Combined with the gossip
 * view (any node reporting it down) to form the liveness the coordinator routes by.
 */
export class FailureTracker implements Liveness {
  private readonly failedUntilMs = new Map<ServerId, number>();

  constructor(
    private readonly clock: Clock,
    private readonly backoffMs: number,
    private readonly gossip?: Liveness,
  ) {}

  isUp(server: ServerId): boolean {
    if (this.gossip !== undefined && !this.gossip.isUp(server)) return false;
    if (this.failedUntilMs.size === 0) return true;
    const until = this.failedUntilMs.get(server);
    if (until === undefined) return true;
    if (until <= this.clock.nowMs()) {
      this.failedUntilMs.delete(server);
      return true;
    }
    return false;
  }

  failed(server: ServerId): void {
    this.failedUntilMs.set(server, this.clock.nowMs() + this.backoffMs);
  }

  succeeded(server: ServerId): void {
    // Every reply calls this; nearly always nobody is backed off.
    if (this.failedUntilMs.size !== 0) this.failedUntilMs.delete(server);
  }

  /** Servers currently backed off, for /v1/route and metrics. */
  backedOff(): ServerId[] {
    return [...this.failedUntilMs.keys()].filter((server) => !this.isUp(server));
  }
}
