/**
 * src/load/: what coordinators measure for the rebalancer (DESIGN.md section 6): per-vnode
 * request, replica and byte counts under the replica load model, the hottest keys (Space-Saving),
 * and the report that carries them to the shard-master.
 */
export { SpaceSaving } from './space-saving.js';
export type { HotKey } from './space-saving.js';
export { LOAD_COUNTER_DEFAULTS, LoadCounter } from './load-counter.js';
export type { LoadCounterOptions, LoadInterval } from './load-counter.js';
export { ENDPOINTS_MAX, encodeLoadReport, isInvalidationUrl, readLoadReport } from './load-report.js';
export type { LoadReport, LoadReportLimits, ReportExtras, ReportedHotKey, ReportedVnode } from './load-report.js';
export { EMPTY_PEER_DIRECTORY, PEERS_MAX, WATCHED_KEYS_MAX, encodePeerDirectory, readPeerDirectory } from './peer-directory.js';
export type { PeerDirectory } from './peer-directory.js';
export { LoadReporter } from './load-reporter.js';
export type { LoadReporterDeps, LoadReporterStats, ProxyFigures } from './load-reporter.js';
export { RequestIntervals } from './request-tally.js';
export type { IntervalRequests, RequestTally } from './request-tally.js';
export { KeyFilter, keyText } from './key-filter.js';
export { INVALIDATION_PATH, InvalidationSender } from './invalidation-sender.js';
export type { InvalidationSenderDeps, InvalidationSenderOptions, InvalidationSenderStats } from './invalidation-sender.js';
