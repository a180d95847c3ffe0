/** Cluster TLS (tls.certFile, tls.keyFile, tls.caFile): the internode RESP ports, the master's and the nodes' HTTP ports, and every client of them. */
export { clusterScheme, clusterTls, clusterTlsOn, tlsClientOptions, tlsServerOptions } from './cluster-tls.js';
export type { ClusterTls } from './cluster-tls.js';
export { clusterFetch } from './cluster-fetch.js';
