import { readFileSync } from 'node:fs';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { RingcacheConfig } from '../config/index.js';
import { RingcacheError } from '../runtime/index.js';

/**
 * The cluster's TLS material (tls.certFile, tls.keyFile, tls.caFile), PEM, read once at start-up.
 * Every role presents the same kind of certificate, signed by the cluster CA, as a server on its
 * own ports and as a client on its connections to the others; both ends check the other's chain
 * against that CA and nothing else (the system's roots are not trusted here).
 */
export interface ClusterTls {
  readonly key: Buffer;
  readonly cert: Buffer;
  readonly ca: Buffer;
}

const FILE_KEYS = ['certFile', 'keyFile', 'caFile'] as const;

/**
 * The cluster TLS files, or undefined for plain TCP. Two of three is a config error rather than
 * a silent plain-text port: a cluster that asked for TLS must never talk in the clear.
 */
export function clusterTls(config: Pick<RingcacheConfig, 'tls'>): ClusterTls | undefined {
  const set = FILE_KEYS.filter((key) => config.tls[key] !== '');
  if (set.length === 0) return undefined;
  if (set.length < FILE_KEYS.length) {
    const missing = FILE_KEYS.filter((key) => config.tls[key] === '').map((key) => `tls.${key}`);
    throw new RingcacheError('RC_ERR_CONFIG', `config: tls.certFile, tls.keyFile and tls.caFile go together (${missing.join(' and ')} empty)`);
  }
  return {
    cert: readPem(config.tls.certFile, 'tls.certFile'),
    key: readPem(config.tls.keyFile, 'tls.keyFile'),
    ca: readPem(config.tls.caFile, 'tls.caFile'),
  };
}

/** True when the config asks for cluster TLS (the URL scheme of the master and the nodes' HTTP ports). */
export function clusterTlsOn(config: Pick<RingcacheConfig, 'tls'>): boolean {
  return config.tls.certFile !== '' || config.tls.keyFile !== '' || config.tls.caFile !== '';
}

/** 'https' with cluster TLS on, else 'http'. */
export function clusterScheme(config: Pick<RingcacheConfig, 'tls'>): 'http' | 'https' {
  return clusterTlsOn(config) ? 'https' : 'http';
}

/**
 * A server's side. `clients: 'certified'` (the internode RESP port) completes a handshake only
 * with a client whose certificate the cluster CA signed: a process without one never reaches the
 * AUTH, let alone a command. `clients: 'any'` (the HTTP ports) lets any client in, since a browser
 * opens the dashboard and /health, /metrics are open by design; the bearer token guards /v1 and
 * now travels encrypted.
 */
export function tlsServerOptions(tls: ClusterTls, clients: 'certified' | 'any'): TlsOptions {
  return {
    key: tls.key,
    cert: tls.cert,
    ca: tls.ca,
    requestCert: clients === 'certified',
    rejectUnauthorized: clients === 'certified',
  };
}

/**
 * A client's side: the server must show a chain to the cluster CA for the host it was reached at
 * (Node's default identity check: the certificate's subjectAltName names that host or IP), and
 * the client shows its own certificate.
 */
export function tlsClientOptions(tls: ClusterTls): ConnectionOptions {
  return { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: true };
}

function readPem(file: string, key: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (error) {
    throw new RingcacheError('RC_ERR_CONFIG', `config: ${key} ${file} cannot be read: ${(error as Error).message}`);
  }
  if (!pem.includes('-----BEGIN ')) throw new RingcacheError('RC_ERR_CONFIG', `config: ${key} ${file} is not PEM (no -----BEGIN line)`);
  return pem;
}
