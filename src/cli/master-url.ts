import type { RingcacheConfig } from '../config/index.js';
import { clusterFetch, clusterScheme, clusterTls } from '../tls/index.js';

/** Where proxies and nodes reach the shard-master (a wildcard bind is reached on loopback; https with cluster TLS). */
export function masterUrl(config: RingcacheConfig): string {
  const host = config.master.host === '0.0.0.0' ? '127.0.0.1' : config.master.host;
  return `${clusterScheme(config)}://${host.includes(':') ? `[${host}]` : host}:${String(config.master.port)}`;
}

/** fetch() for the master's and the nodes' HTTP ports: trusting the cluster CA with cluster TLS on. */
export function clusterFetchOf(config: RingcacheConfig): typeof fetch {
  return clusterFetch(clusterTls(config));
}

/** The cluster token as the follower's optional dependency. */
export function tokenOf(config: RingcacheConfig): { token?: string } {
  return config.cluster.token === '' ? {} : { token: config.cluster.token };
}
