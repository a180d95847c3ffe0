/**
 * node/: a storage node. Its request handlers (NodeService, transport-independent), the RESP
 * command layer of its internode port, its HTTP port (health, metrics, stats) and the StorageNode
 * that composes them. The process's main.ts wires a StorageNode to config and the table follower.
 */
export { newActor } from './actor.js';
export { NODE_SERVICE_DEFAULTS } from './options.js';
export type { NodeServiceOptions } from './options.js';
export { NodeService } from './service.js';
export type { NodeServiceDeps, NodeServiceStats } from './service.js';
export { NodeRespHandler } from './resp-handler.js';
export type { NodeRespHandlerDeps, NodeRespHandlerStats } from './resp-handler.js';
export { buildNodeHttp, nodeStats } from './http.js';
export type { NodeHttpDeps, NodeStats } from './http.js';
export { NodeMetrics } from './metrics.js';
export { DATA_REQUEST_KINDS, requestFigures } from './request-figures.js';
export type { NodeRequestFigures } from './request-figures.js';
export type { NodeMetricsSources } from './metrics.js';
export { StorageNode, internodeRespLimits } from './storage-node.js';
export type { NodeListen, StorageNodeDeps } from './storage-node.js';
export { NodeCore } from './node-core.js';
export type { NodeCoreDeps } from './node-core.js';
export type { MetricSource, NodeContext, NodeServiceFactory, NodeTableView, PeerHandler, PeerHandlers, PeerService } from './peer-service.js';
export { PeerStatusBoard } from './peer-status.js';
export type { PeerStatus, PeerStatusListener, PeerView } from './peer-status.js';
export { RecoveryState } from './recovery.js';
export type { RecoveryListener } from './recovery.js';
export { nodeServices } from './services.js';
export { nodeCatalogue } from './catalogue.js';
export { Sweeper } from './sweeper.js';
export { VnodeTransfers } from './transfers.js';
export type { TransferProgress } from './transfers.js';
export { fence } from './fencing.js';
