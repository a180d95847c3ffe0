export { RingcacheClient } from './ringcache-client.js';
export type { ReadOptions, RingcacheClientOptions, Sibling, Versions, WriteOptions } from './ringcache-client.js';
export { connectCluster, clusterSettingsOf } from './cluster-stack.js';
export type { ClusterStack, ClusterStackDeps } from './cluster-stack.js';
export { TableFollower, TABLE_FOLLOWER_DEFAULTS } from './table-follower.js';
export type { TableFollowerDeps, TableFollowerOptions, TableListener } from './table-follower.js';
export type { ClusterSummary, ServerSummary, ZoneSummary } from './admin-api.js';
