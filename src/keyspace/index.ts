/**
 * keyspace/: walking and counting the keys of the whole cluster (SCAN, KEYS, DBSIZE, INFO
 * keyspace): a node service that pages one vnode's live keys and counts them per vnode, and the
 * coordinator side that walks vnodes with a cursor that survives table changes.
 */
export type { KeyCountReply, KeyCountRequest, KeyPageReply, KeyScanRequest, ScannedKey } from './messages.js';
export { KEYSPACE_MESSAGES, KEYS_PER_PAGE_MAX } from './messages.js';
export { KeyspaceService } from './keyspace-service.js';
export type { KeyspaceServiceDeps } from './keyspace-service.js';
export type { KeyCounts, ScanPage } from './scan.js';
export { VNODES_PER_CALL_MAX, countKeys, scanFrom } from './scan.js';
export { orderHash } from './order-hash.js';
