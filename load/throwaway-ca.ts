import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A CA made for one test or benchmark run and one certificate it signed, as PEM files in a folder. */
export interface ThrowawayCa {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

/**
 * A CA named `name` under `folder` (openssl, EC P-256: quick to make) and a certificate for
 * 127.0.0.1 and localhost that serves and authenticates as a client, as every ringcache role does.
 */
export function throwawayCa(folder: string, name: string): ThrowawayCa {
  const file = (suffix: string): string => join(folder, `${name}-${suffix}`);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '1', '-subj', `/CN=${name} test CA`);
  openssl('req', ...ec, '-keyout', file('key.pem'), '-out', file('cert.csr'), '-subj', '/CN=ringcache test member');
  writeFileSync(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl('x509', '-req', '-in', file('cert.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('cert.pem'), '-days', '1', '-extfile', file('ext.cnf'));
  return {
    caFile: file('ca.pem'), certFile: file('cert.pem'), keyFile: file('key.pem'),
    ca: readFileSync(file('ca.pem')), cert: readFileSync(file('cert.pem')), key: readFileSync(file('key.pem')),
  };
}
