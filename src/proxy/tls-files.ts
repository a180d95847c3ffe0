import { readFileSync } from 'node:fs';
import type { RingcacheConfig } from '../config/index.js';
import { RingcacheError } from '../runtime/index.js';

/** A server's key and certificate chain, PEM. */
export interface TlsMaterial {
  readonly key: Buffer;
  readonly cert: Buffer;
}

/**
 * The proxy's TLS files (proxy.tlsCertFile, proxy.tlsKeyFile), read once at start-up, or
 * undefined for plain TCP. One without the other is a config error rather than a silent
 * plain-text port: a client that asked for TLS must never be answered in the clear.
 */
export function proxyTls(config: Pick<RingcacheConfig, 'proxy'>): TlsMaterial | undefined {
  const { tlsCertFile, tlsKeyFile } = config.proxy;
  if (tlsCertFile === '' && tlsKeyFile === '') return undefined;
  if (tlsCertFile === '' || tlsKeyFile === '') {
    throw new RingcacheError('RC_ERR_CONFIG', `config: proxy.tlsCertFile and proxy.tlsKeyFile go together (${tlsCertFile === '' ? 'proxy.tlsCertFile' : 'proxy.tlsKeyFile'} is empty)`);
  }
  return { cert: readPem(tlsCertFile, 'proxy.tlsCertFile'), key: readPem(tlsKeyFile, 'proxy.tlsKeyFile') };
}

function readPem(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new RingcacheError('RC_ERR_CONFIG', `config: ${key} ${file} cannot be read: ${(error as Error).message}`);
  }
}
