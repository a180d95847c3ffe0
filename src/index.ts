/**
 * ringcache as a library: the client-side router (no proxy hop) and the types it speaks in.
 * Processes are run with the `ringcache` CLI.
 */
export { RingcacheClient } from './client/index.js';
export type { ReadOptions, RingcacheClientOptions, Sibling, Versions, WriteOptions } from './client/index.js';
export { RingcacheError, ERROR_CATALOGUE } from './runtime/index.js';
export type { ErrorCode } from './runtime/index.js';
export type { ReplicationOptions } from './replication/index.js';
export type { Placement } from './ring/index.js';
export type { ClusterTls } from './tls/index.js';
