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
import { runLoadCommand } from '../../load/load-command.js';
import { parseArgs as parseCliArgs } from '../../src/cli/args.js';
import { loadCommand, loadSettings, loadTls } from '../../src/cli/load.js';
import type { LoadTlsConfig } from '../../src/cli/load.js';

const parseArgs = (argv: string[]): ReturnType<typeof parseCliArgs> => parseCliArgs(argv, loadCommand.options, 'load');

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

  describe('ringcache load over TLS', () => {
    async function load(argv: string[], tls: { ca?: Buffer } | undefined, port: number): Promise<string[]> {
      const lines: string[] = [];
      const settings = loadSettings(parseArgs(['--seconds', '1', '--connections', '2', '--keys', '20', ...argv]));
      await runLoadCommand({
        settings, host: '127.0.0.1', port, password: '', io: { out: (line) => lines.push(line), err: (line) => lines.push(line) },
        ...(tls === undefined ? {} : { tls }),
      });
      return lines;
    }

    const config = (proxyTlsCertFile = '', clusterCaFile = ''): LoadTlsConfig => ({ proxyTlsCertFile, clusterCaFile });

    it('drives RESP over TLS with --ca: the proxy answers every request', async () => {
      const lines = await load(['--preload'], loadTls(parseArgs(['--ca', file('ca.pem')]), folder, config()), proxy.respPort);
      expect(lines[0]).toContain('RESP over TLS');
      expect(lines.find((line) => line.startsWith('preload:'))).toMatch(/^preload: 20 keys written .*, 0 errors$/);
      const done = lines.find((line) => line.startsWith('done:')) ?? '';
      expect(done).toMatch(/^done: [1-9]\d* requests .* 0 errors, 0 lost/);
    }, 30_000);

    it('drives HTTPS with --http --tls', async () => {
      const lines = await load(['--http'], loadTls(parseArgs(['--tls', '--ca', file('ca.pem')]), folder, config()), proxy.httpPort);
      expect(lines.find((line) => line.startsWith('done:'))).toMatch(/^done: [1-9]\d* requests .* 0 errors \(0 non-2xx\)$/);
    }, 30_000);

    it('fails with RC_ERR_TLS when the certificate does not check out, on RESP and on HTTPS (autocannon alone would not check)', async () => {
      // No --ca: the system's roots, which never signed the throwaway CA.
      for (const [argv, port] of [[[], proxy.respPort], [['--http'], proxy.httpPort]] as const) {
        const error: unknown = await load([...argv], {}, port).then(() => undefined, (caught: unknown) => caught);
        expect(isRingcacheError(error, 'RC_ERR_TLS')).toBe(true);
        expect((error as Error).message).toMatch(/^TLS handshake with 127\.0\.0\.1:\d+ failed: /);
      }
    }, 30_000);

    it('fails with RC_ERR_TLS against a server that does not speak TLS', async () => {
      const plain = net.createServer((socket) => { socket.once('data', () => socket.destroy()); });
      await new Promise<void>((resolve) => { plain.listen(0, '127.0.0.1', resolve); });
      try {
        const port = (plain.address() as net.AddressInfo).port;
        const error: unknown = await load([], { ca }, port).then(() => undefined, (caught: unknown) => caught);
        expect(isRingcacheError(error, 'RC_ERR_TLS')).toBe(true);
      } finally {
        await new Promise((resolve) => plain.close(resolve));
      }
    }, 30_000);

    it('turns TLS on by itself when the config names a proxy certificate, and reads --ca from the folder it runs in', () => {
      expect(loadTls(parseArgs([]), folder, config(file('proxy.pem')))).toEqual({});
      expect(loadTls(parseArgs([]), folder, config())).toBeUndefined();
      expect(loadTls(parseArgs(['--ca', 'ca.pem']), folder, config())).toEqual({ ca });
      // The cluster CA is the default CA: under `ringcache start` with cluster TLS it signs the proxy's certificate.
      expect(loadTls(parseArgs(['--tls']), folder, config('', 'ca.pem'))).toEqual({ ca });
      expect(loadTls(parseArgs([]), folder, config('', 'ca.pem'))).toBeUndefined();
    });

    it('refuses a CA file that cannot be read or holds no certificate with RC_ERR_TLS', () => {
      writeFileSync(file('not-a-ca.pem'), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
      for (const name of ['missing.pem', 'not-a-ca.pem', 'proxy.key']) {
        let error: unknown;
        try {
          loadTls(parseArgs(['--ca', name]), folder, config());
        } catch (caught) {
          error = caught;
        }
        expect(isRingcacheError(error, 'RC_ERR_TLS')).toBe(true);
        expect((error as Error).message).toMatch(new RegExp(`^--ca ${name.replace('.', '\\.')}: (cannot be read|not a PEM certificate)`));
      }
    });
  });
});
