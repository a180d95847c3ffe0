export { LATENCY_BOUNDS_MS, LatencyBuckets, LatencyHistogram } from './latency-histogram.js';
export type { LatencyHistogramOptions } from './latency-histogram.js';
export { BUILD_INFO_METRIC, RINGCACHE_VERSION, registerBuildInfo } from './build-info.js';
export { collectProcessMetrics } from './process-metrics.js';
export { quantileMs } from './quantile.js';
