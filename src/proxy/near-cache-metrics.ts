import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { NearCache } from './near-cache.js';
import type { InvalidationSender } from '../load/index.js';

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
  new Counter({
    name: 'ringcache_proxy_near_cache_peer_invalidations_total',
    help: 'Keys other proxies and client libraries said they started writing (each dropped here if cached, and fenced).',
    registers,
    collect() {
      this.reset();
      this.inc(cache.stats.peerInvalidations);
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

/** What this proxy tells the others: keys sent in batches, and those dropped at a bound (seen there at the TTL). */
export function registerInvalidationMetrics(registry: Registry, sender: InvalidationSender): void {
  const registers = [registry];
  new Counter({
    name: 'ringcache_proxy_invalidation_keys_total',
    help: 'Writes of keys another proxy may cache, by outcome: queued (sent in the next batch), dropped (batch full or peer busy: seen there after proxy.hotKeyCacheTtlMs).',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      this.reset();
      this.inc({ outcome: 'queued' }, sender.stats.queued);
      this.inc({ outcome: 'dropped' }, sender.stats.dropped);
    },
  });
  new Counter({
    name: 'ringcache_proxy_invalidation_batches_total',
    help: 'Invalidation batches posted to other proxies, by outcome: delivered or failed.',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      this.reset();
      this.inc({ outcome: 'delivered' }, sender.stats.batches);
      this.inc({ outcome: 'failed' }, sender.stats.failed);
    },
  });
  new Gauge({
    name: 'ringcache_proxy_invalidation_peers',
    help: "Other proxies this one sends invalidations to (from the shard-master's answer to its last load report).",
    registers,
    collect() {
      this.set(sender.peerCount);
    },
  });
}
