/**
 * DBSIZE's and INFO's view of the cluster's keys (src/keyspace countKeys). INFO's is kept for a
 * second: INFO runs on every ioredis connect and every second under `redis-cli --stat`, and each
 * count asks every server once. DBSIZE always counts afresh.
 */
import { countKeys } from '../../keyspace/index.js';
import type { KeyCounts } from '../../keyspace/index.js';
import type { Coordinator, TableView } from '../../replication/index.js';
import type { Clock } from '../../runtime/index.js';

const FRESH_MS = 1000;

export class KeyspaceInfo {
  private last: KeyCounts | undefined;
  private lastMs = Number.NEGATIVE_INFINITY;
  private pending: Promise<KeyCounts> | undefined;

  constructor(private readonly coordinator: Coordinator, private readonly table: TableView, private readonly clock: Clock) {}

  /** Counts at most `maxAgeMs` old (a second by default); one count in flight at a time. */
  fresh(maxAgeMs = FRESH_MS): Promise<KeyCounts> {
    if (this.last !== undefined && this.clock.monotonicMs() - this.lastMs < maxAgeMs) return Promise.resolve(this.last);
    // A count in flight may have started before the caller's writes: DBSIZE (maxAgeMs 0) makes its own.
    if (maxAgeMs === 0) return this.count();
    this.pending ??= this.count().finally(() => { this.pending = undefined; });
    return this.pending;
  }

  private count(): Promise<KeyCounts> {
    return countKeys(this.coordinator, this.table).then((counts) => {
      this.last = counts;
      this.lastMs = this.clock.monotonicMs();
      return counts;
    });
  }

  /** Fresh counts if they come within `waitMs`, else the last ones (undefined before the first). */
  soon(waitMs: number): Promise<KeyCounts | undefined> {
    const fresh = this.fresh().catch(() => this.last);
    return Promise.race([fresh, this.clock.sleep(waitMs).then(() => this.last)]);
  }
}
