import { Agent } from 'undici';
import type { ClusterTls } from './cluster-tls.js';
import { tlsClientOptions } from './cluster-tls.js';

/**
 * fetch() for the cluster's HTTP ports: Node's own fetch, over a connection pool that trusts the
 * cluster CA and presents this process's certificate when cluster TLS is on; the plain global
 * fetch otherwise. Node's fetch takes no TLS options of its own, only a `dispatcher`, and undici
 * (the library Node's fetch is built on) is where that dispatcher comes from.
 *
 * One pool per caller that lives as long as the caller (a follower, a reporter, a CLI command):
 * its idle keep-alive sockets close by themselves after a few seconds and hold no process open.
 */
export function clusterFetch(tls: ClusterTls | undefined): typeof fetch {
  if (tls === undefined) return globalThis.fetch.bind(globalThis);
  const { ca, cert, key } = tlsClientOptions(tls);
  const dispatcher = new Agent({ connect: { ca, cert, key, rejectUnauthorized: true } });
  // The types of Node's bundled undici and of the library's differ by version; the dispatch
  // interface both speak is the same.
  const pool = { dispatcher } as unknown as RequestInit;
  return (input, init) => fetch(input, { ...init, ...pool });
}
