import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { NearCache } from './near-cache.js';

/**
 * The near cache's figures, read at scrape time: hits are the load it absorbed (each one a read
 * of R replicas the servers did not serve).
 */
export function registerNearCacheMetrics(registry: Registry, cache: NearCache): void {
  const registers = [registry];
  new Counter({
    name: 'ringcache_proxy_near_cache_reads_total',
    help: 'Reads of hot keys by outcome: hit (served by the near cache, R replica reads absorbed), miss (read from the replicas).',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      this.reset();
      this.inc({ outcome: 'hit' }, cache.stats.hits);
      this.inc({ outcome: 'miss' }, cache.stats.misses);
    },
  });
  new Counter({
    name: 'ringcache_proxy_near_cache_admissions_total',
    help: 'Reads of hot keys offered to the near cache: admitted, or refused (below R, answered by a fallback, or overtaken by a write).',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      this.reset();
      this.inc({ outcome: 'admitted' }, cache.stats.admitted);
      this.inc({ outcome: 'refused' }, cache.stats.refused);
    },
  });
  new Counter({
    name: 'ringcache_proxy_near_cache_invalidations_total',
    help: 'Cached keys dropped because this proxy coordinated a write of them.',
    registers,
    collect() {
      this.reset();
      this.inc(cache.stats.invalidations);
    },
  });
  new Gauge({
    name: 'ringcache_proxy_near_cache_keys',
    help: 'Keys in the near cache now.',
    registers,
    collect() {
      this.set(cache.size);
    },
  });
}
