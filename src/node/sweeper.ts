import { every } from '../runtime/index.js';
import type { Timer } from '../runtime/index.js';
import type { MetricSource, NodeContext, PeerService } from './peer-service.js';

/**
 * Collects dead keys (every sibling a tombstone or expired for longer than
 * storage.tombstoneGraceMs) a bounded number per tick, so a sweep never stalls the event loop.
 * The grace must outlive a hint and an anti-entropy cycle, or a replica that missed a delete
 * would bring the value back (config validation enforces it).
 */
export class Sweeper implements PeerService {
  readonly name = 'sweeper';
  removed = 0;
  private timer: Timer | undefined;

  constructor(private readonly context: NodeContext) {}

  start(): void {
    const { clock, engine, config } = this.context;
    const { sweepIntervalMs, tombstoneGraceMs, sweepKeysMax } = config.storage;
    this.timer = every(clock, sweepIntervalMs, () => {
      this.removed += engine.sweep(clock.nowMs(), tombstoneGraceMs, sweepKeysMax);
    });
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  metrics(): readonly MetricSource[] {
    return [{ name: 'sweep_removals_total', help: 'Dead keys collected by the sweeper.', type: 'counter', read: () => this.removed }];
  }
}
