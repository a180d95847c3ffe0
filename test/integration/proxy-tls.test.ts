/**
 * The proxy's client ports over TLS (proxy.tlsCertFile, proxy.tlsKeyFile): a throwaway CA made
 * with openssl signs a certificate for 127.0.0.1; ioredis with `tls` and an https client that
 * trust only that CA talk to the proxy, and a plain-text client gets nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ProxyServer } from '../../src/proxy/index.js';
import { proxyTls } from '../../src/proxy/tls-files.js';
import { isRingcacheError } from '../../src/runtime/index.js';
import { InProcessCluster } from '../helpers/in-process-cluster.js';

const folder = mkdtempSync(join(tmpdir(), 'ringcache-tls-'));
const file = (name: string): string => join(folder, name);
let ca: Buffer;
let proxy: ProxyServer;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

beforeAll(async () => {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=ringcache test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('proxy.key'), '-out', file('proxy.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', file('proxy.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('proxy.pem'), '-days', '1', '-extfile', file('san.ext'));
  ca = readFileSync(file('ca.pem'));
  const cluster = new InProcessCluster({
    config: ['proxy.respPort=0', 'proxy.httpPort=0', `proxy.tlsCertFile=${file('proxy.pem')}`, `proxy.tlsKeyFile=${file('proxy.key')}`],
  });
  proxy = new ProxyServer(cluster.proxyDeps());
  await proxy.start();
}, 60_000);

afterAll(async () => {
  await proxy.stop();
  rmSync(folder, { recursive: true, force: true });
});

function httpsRequest(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request({ host: '127.0.0.1', port: proxy.httpPort, method, path, ca }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      response.on('end', () => { resolve({ status: response.statusCode ?? 0, text }); });
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('the proxy over TLS', () => {
  it('serves ioredis with tls on the RESP port, trusting only the test CA', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: proxy.respPort, tls: { ca }, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      expect(await redis.set('over-tls', 'secret value')).toBe('OK');
      expect(await redis.get('over-tls')).toBe('secret value');
    } finally {
      redis.disconnect();
    }
  });

  it('serves HTTPS on the HTTP port', async () => {
    expect((await httpsRequest('PUT', '/v1/kv/https-key', 'hello')).status).toBe(204);
    expect(await httpsRequest('GET', '/v1/kv/https-key')).toEqual({ status: 200, text: 'hello' });
    expect((await httpsRequest('GET', '/health')).status).toBe(200);
  });

  it('answers nothing in the clear: a plain RESP client gets no reply', async () => {
    const socket = net.connect(proxy.respPort, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    await new Promise<void>((resolve) => { socket.once('connect', () => { resolve(); }); });
    socket.write('PING\r\n');
    await new Promise<void>((resolve) => { socket.once('close', () => { resolve(); }); setTimeout(resolve, 2000); });
    socket.destroy();
    expect(Buffer.concat(received).toString('latin1')).not.toContain('PONG');
  });

  it('refuses a certificate without its key', () => {
    let error: unknown;
    try {
      proxyTls(loadConfig({ overrides: [`proxy.tlsCertFile=${file('proxy.pem')}`] }));
    } catch (caught) {
      error = caught;
    }
    expect(isRingcacheError(error, 'RC_ERR_CONFIG')).toBe(true);
  });
});
