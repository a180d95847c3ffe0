import { collectDefaultMetrics } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * prom-client's gauges that end in `_total`, which Prometheus reserves for counters (`promtool
 * check metrics` flags them). Each has a labelled twin without the suffix (`..._active_handles{type}`)
 * whose sum is the same figure, so nothing is lost by dropping them.
 */
const GAUGES_NAMED_LIKE_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** CPU, memory, event loop and GC of this process (prom-client's default collectors), under `prefix`. */
export function collectProcessMetrics(registry: Registry, prefix: string): void {
  collectDefaultMetrics({ register: registry, prefix });
  for (const name of GAUGES_NAMED_LIKE_COUNTERS) registry.removeSingleMetric(`${prefix}${name}`);
}
