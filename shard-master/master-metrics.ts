/**
 * The master's Prometheus metrics, registered on the process's own Registry (no global default
 * registry: two masters in one test process must not collide). Gauges are computed at scrape
 * time from the master's state, so they can never drift from it.
 */
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { registerBuildInfo } from '../src/metrics/index.js';
import type { ServerInfo, Table } from '../src/ring/index.js';
import { clusterSummary } from './cluster-summary.js';

/** What the metrics read at scrape time; undefined table before start. */
export interface MasterMetricsSource {
  currentTable(): Table | undefined;
  currentServers(): readonly ServerInfo[];
  longPollWaiters(): number;
}

export class MasterMetrics {
  /** Tables committed by this process (bootstrap included). */
  readonly commits: Counter;
  /** Long polls refused at the waiter limit. */
  readonly longPollsRejected: Counter;

  constructor(registry: Registry, source: MasterMetricsSource) {
    const registers = [registry];
    this.commits = new Counter({ name: 'ringcache_master_commits_total', help: 'Tables committed (persisted and published) by this master process.', registers });
    this.longPollsRejected = new Counter({
      name: 'ringcache_master_long_polls_rejected_total',
      help: 'Long polls of /v1/table refused because longPollWaitersMax were already waiting.',
      registers,
    });
    new Gauge({
      name: 'ringcache_master_epoch',
      help: 'Epoch of the table in force.',
      registers,
      collect() {
        const table = source.currentTable();
        if (table !== undefined) this.set(table.epoch);
      },
    });
    new Gauge({
      name: 'ringcache_master_servers',
      help: 'Members known to the master, by state.',
      labelNames: ['state'] as const,
      registers,
      collect() {
        this.reset();
        for (const state of ['active', 'draining'] as const) {
          this.set({ state }, source.currentServers().filter((server) => server.state === state).length);
        }
      },
    });
    new Gauge({
      name: 'ringcache_master_long_poll_waiters',
      help: 'Long polls of /v1/table parked until the next commit.',
      registers,
      collect() { this.set(source.longPollWaiters()); },
    });
    this.registerTableGauges(registry, source);
    registerBuildInfo(registry, 'master');
  }

  private registerTableGauges(registry: Registry, source: MasterMetricsSource): void {
    const registers = [registry];
    const labelNames = ['server'] as const;
    // Registered first, so its collect() fills the two labelled gauges before they are serialized
    // (a registry collects in registration order): one summary per scrape feeds all three.
    new Gauge({
      name: 'ringcache_master_imbalance_ratio',
      help: 'max(replicas / target) - 1 over servers with a target: 0 is perfectly even.',
      registers,
      collect() {
        const table = source.currentTable();
        replicas.reset();
        targets.reset();
        if (table === undefined) return;
        const summary = clusterSummary(table);
        for (const server of summary.servers) {
          replicas.set({ server: server.id }, server.replicas);
          targets.set({ server: server.id }, server.target);
        }
        this.set(summary.imbalance);
      },
    });
    const replicas = new Gauge({ name: 'ringcache_master_replicas', help: 'Replicas each server holds in the table.', labelNames, registers });
    const targets = new Gauge({ name: 'ringcache_master_replica_target', help: 'Replicas each server should hold (capacity-weighted share of V*N).', labelNames, registers });
  }
}
