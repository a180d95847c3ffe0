import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planCluster } from '../../src/cli/cluster-plan.js';
import { masterUrl } from '../../src/cli/master-url.js';
import { loadConfig } from '../../src/config/index.js';
import { isRingcacheError } from '../../src/runtime/index.js';
import { clusterTls, tlsServerOptions } from '../../src/tls/index.js';

const folder = mkdtempSync(join(tmpdir(), 'ringcache-tls-unit-'));
const pem = (name: string): string => {
  const file = join(folder, name);
  writeFileSync(file, `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`);
  return file;
};
const files = { certFile: pem('cert.pem'), keyFile: pem('key.pem'), caFile: pem('ca.pem') };
afterAll(() => { rmSync(folder, { recursive: true, force: true }); });

function configError(overrides: string[]): unknown {
  try {
    clusterTls(loadConfig({ overrides }));
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('cluster TLS settings', () => {
  it('is off with no tls files: plain TCP and http URLs', () => {
    const config = loadConfig({});
    expect(clusterTls(config)).toBeUndefined();
    expect(masterUrl(config)).toMatch(/^http:\/\//);
    expect(planCluster(config).master.healthUrl).toMatch(/^http:\/\//);
  });

  it('reads all three files and turns every cluster URL to https', () => {
    const config = loadConfig({ overrides: Object.entries(files).map(([key, file]) => `tls.${key}=${file}`) });
    const tls = clusterTls(config);
    expect(tls?.ca.toString()).toContain('ca.pem');
    expect(masterUrl(config)).toMatch(/^https:\/\//);
    const plan = planCluster(config);
    expect([plan.master.healthUrl, ...plan.nodes.map((node) => node.healthUrl)].every((url) => url.startsWith('https://'))).toBe(true);
    // The proxy's client ports are not the cluster's: plain until proxy.tlsCertFile is set.
    expect(plan.proxy.healthUrl).toMatch(/^http:\/\//);
  });

  it('refuses two files of three, an unreadable file and a file that is not PEM', () => {
    const error = configError([`tls.certFile=${files.certFile}`, `tls.keyFile=${files.keyFile}`]);
    expect(isRingcacheError(error, 'RC_ERR_CONFIG')).toBe(true);
    expect((error as Error).message).toContain('tls.caFile');
    expect(isRingcacheError(configError([`tls.certFile=${files.certFile}`, `tls.keyFile=${files.keyFile}`, `tls.caFile=${join(folder, 'missing.pem')}`]), 'RC_ERR_CONFIG')).toBe(true);
    const notPem = join(folder, 'not.pem');
    writeFileSync(notPem, 'hello');
    expect((configError([`tls.certFile=${files.certFile}`, `tls.keyFile=${files.keyFile}`, `tls.caFile=${notPem}`]) as Error).message).toMatch(/not PEM/);
  });

  it('requires client certificates on the internode port only', () => {
    const tls = { key: Buffer.from('k'), cert: Buffer.from('c'), ca: Buffer.from('a') };
    expect(tlsServerOptions(tls, 'certified')).toMatchObject({ requestCert: true, rejectUnauthorized: true });
    expect(tlsServerOptions(tls, 'any')).toMatchObject({ requestCert: false });
  });
});
