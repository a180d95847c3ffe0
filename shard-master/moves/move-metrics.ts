/**
 * The move executor's figures for Prometheus (`ringcache_master_moves_*`), read from its report at
 * scrape time, so Grafana can show what the dashboard's "Moves in flight" panel shows: how many
 * moves run and wait, and how fast data moves.
 */
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { MovesReport } from './move-executor.js';

export function registerMoveMetrics(registry: Registry, report: () => MovesReport): void {
  const registers = [registry];
  new Gauge({ name: 'ringcache_master_moves_in_flight', help: 'Replica moves in flight: rows with a pending target being filled.', registers, collect() { this.set(report().inFlight.length); } });
  new Gauge({ name: 'ringcache_master_moves_queued', help: 'Replica moves queued behind them (a drain or join queues one per replica it moves).', registers, collect() { this.set(report().queued.length); } });
  const counter = (name: string, help: string, read: (moves: MovesReport) => number): void => {
    new Counter({ name, help, registers, collect() { this.reset(); this.inc(read(report())); } });
  };
  counter('ringcache_master_moves_completed_total', 'Replica moves completed (the target swapped in) by this master process.', (moves) => moves.completed);
  counter('ringcache_master_moved_keys_total', 'Keys the targets of completed moves reported copied.', (moves) => moves.keysMoved);
  counter('ringcache_master_moved_bytes_total', 'Bytes the targets of completed moves reported copied.', (moves) => moves.bytesMoved);
}
