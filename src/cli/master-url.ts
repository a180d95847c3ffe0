import type { RingcacheConfig } from '../config/index.js';

/** Where proxies and nodes reach the shard-master (a wildcard bind is reached on loopback). */
export function masterUrl(config: RingcacheConfig): string {
  const host = config.master.host === '0.0.0.0' ? '127.0.0.1' : config.master.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${String(config.master.port)}`;
}

/** The cluster token as the follower's optional dependency. */
export function tokenOf(config: RingcacheConfig): { token?: string } {
  return config.cluster.token === '' ? {} : { token: config.cluster.token };
}
