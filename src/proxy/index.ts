/**
 * proxy/: the stateless front door (DESIGN.md sections 1 and 7). RESP and HTTP front-ends over one
 * quorum Coordinator, composed by ProxyServer; the process's main.ts wires the transport and the
 * table follower behind them. Reply formats and deviations from Redis: src/proxy/README.md.
 */
export { ProxyServer } from './proxy-server.js';
export type { ProxyServerOptions } from './proxy-server.js';
export { buildProxyHttp } from './http.js';
export type { ProxyHttpDeps } from './http.js';
export { CONTEXT_HEADER, SIBLINGS_HEADER } from './http-request.js';
export type { SiblingJson } from './http-kv.js';
export { ProxyRespHandler } from './resp/handler.js';
export { PROXY_COMMANDS } from './resp/command-table.js';
export { ProxyMetrics } from './metrics.js';
export { BackendMetrics } from './backend-metrics.js';
export type { ConnectionSource, ProxyMetricsSource } from './metrics.js';
export { KvStore, EXPIRES_AT_MS_MAX } from './kv-store.js';
export type { KvConfig, KvWriteOptions } from './kv-store.js';
export { routeOf } from './route-info.js';
export type { RouteInfo } from './route-info.js';
export { PROXY_DEFAULTS, REDIS_COMPATIBLE_VERSION, RINGCACHE_VERSION } from './options.js';
export type { ProxyConfig, ProxyDeps, ProxyOptions } from './options.js';
