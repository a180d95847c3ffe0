/**
 * A whole cluster of real processes over TLS (tls.certFile, tls.keyFile, tls.caFile): master,
 * 3 nodes and a proxy whose internode RESP ports, HTTP ports and every client of them speak TLS,
 * verified against a throwaway CA made with openssl. A second CA signs an outsider's
 * certificate, which neither side accepts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RingcacheClient } from '../../src/index.js';
import { clusterFetch } from '../../src/tls/index.js';
import { ProcessCluster } from '../support/process-cluster.js';
import { throwawayCa, type ThrowawayCa } from '../support/throwaway-ca.js';

const LAUNCHER = fileURLToPath(new URL('../../bin/ringcache.js', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'ringcache-cluster-tls-'));
const ours: ThrowawayCa = throwawayCa(folder, 'cluster');
const outsider: ThrowawayCa = throwawayCa(folder, 'outsider');

const cluster = new ProcessCluster({
  nodes: 3,
  overrides: {
    tls: { certFile: ours.certFile, keyFile: ours.keyFile, caFile: ours.caFile },
    // The proxy's client ports over TLS too, with a certificate of the same CA.
    proxy: { tlsCertFile: ours.certFile, tlsKeyFile: ours.keyFile },
  },
});
let redis: Redis;

function node(index: number): { port: number; httpPort: number } {
  const entry = (cluster.config.nodes as { port: number; httpPort: number }[])[index];
  if (entry === undefined) throw new Error(`no node ${String(index)}`);
  return entry;
}

/** What a TLS client presenting `identity` (or no certificate) gets from a node's internode port. */
function tlsAttempt(port: number, identity: { cert: Buffer; key: Buffer } | undefined, trust: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: trust, ...identity });
    let answer = '';
    socket.on('secureConnect', () => { socket.write(`AUTH ${cluster.token}\r\nPING\r\n`); });
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.includes('PONG') || answer.startsWith('-')) socket.end();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => { answer += `error: ${error.code ?? error.message}`; });
    socket.on('close', () => { resolve(answer); });
    setTimeout(() => { socket.destroy(); }, 3000);
  });
}

beforeAll(async () => {
  await cluster.start();
  redis = new Redis({ host: '127.0.0.1', port: cluster.respPort, tls: { ca: ours.ca }, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
}, 60_000);

afterAll(async () => {
  redis.disconnect();
  await cluster.stop();
  rmSync(folder, { recursive: true, force: true });
}, 60_000);

describe('a cluster over TLS', () => {
  it('writes and reads through the proxy: proxy to master over https, proxy to nodes over TLS', async () => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 100; i++) pipeline.set(`tls:${String(i)}`, `value-${String(i)}`);
    const written = await pipeline.exec();
    expect(written?.filter(([error, reply]) => error !== null || reply !== 'OK').map(([error]) => String(error))).toEqual([]);
    const values = await redis.mget(Array.from({ length: 100 }, (_, i) => `tls:${String(i)}`));
    expect(values).toEqual(Array.from({ length: 100 }, (_, i) => `value-${String(i)}`));
  }, 30_000);

  it('serves the client library over TLS with the cluster files', async () => {
    const client = await RingcacheClient.connect({
      masterUrl: `https://127.0.0.1:${String(cluster.masterPort)}`, token: cluster.token, name: 'tls-lib', loadReportIntervalMs: 0,
      tls: { ca: ours.ca, cert: ours.cert, key: ours.key },
    });
    try {
      // R=3: all three nodes answer over TLS, with mutual certificates.
      expect((await client.get('tls:7', { r: 3 }))?.toString()).toBe('value-7');
      await client.set('tls:lib', 'from the library');
      expect((await redis.get('tls:lib'))).toBe('from the library');
    } finally {
      await client.close();
    }
  }, 30_000);

  it('answers ringcache status over https with the same config', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [LAUNCHER, 'status', '--json', '--config', cluster.configFile], { timeout: 20_000 });
    const overview = JSON.parse(stdout) as { servers?: { id: string }[] };
    expect(overview.servers?.map((server) => server.id).sort()).toEqual(['n1', 'n2', 'n3']);
  }, 30_000);

  it('refuses a plain-TCP client on the internode port and on the master port', async () => {
    for (const port of [node(0).port, cluster.masterPort]) {
      const socket = net.connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1'); });
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => { socket.once('connect', () => { resolve(); }); });
      socket.write(port === cluster.masterPort ? 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n' : `AUTH ${cluster.token}\r\nPING\r\n`);
      await new Promise<void>((resolve) => { socket.once('close', () => { resolve(); }); setTimeout(resolve, 2000); });
      socket.destroy();
      expect(received).not.toMatch(/PONG|\+OK|"status"/);
    }
  }, 20_000);

  it('refuses a client whose certificate another CA signed, and one with no certificate', async () => {
    const port = node(1).port;
    expect(await tlsAttempt(port, { cert: ours.cert, key: ours.key }, ours.ca)).toContain('+PONG');
    expect(await tlsAttempt(port, { cert: outsider.cert, key: outsider.key }, ours.ca)).not.toContain('PONG');
    expect(await tlsAttempt(port, undefined, ours.ca)).not.toContain('PONG');
    const metrics = await clusterFetch({ ca: ours.ca, cert: ours.cert, key: ours.key })(`https://127.0.0.1:${String(node(1).httpPort)}/metrics`);
    const failures = /ringcache_node_resp_tls_handshake_failures_total (\d+)/.exec(await metrics.text());
    expect(Number(failures?.[1])).toBeGreaterThanOrEqual(2);
  }, 20_000);

  it('refuses a server a client does not trust: a client of another CA gets no answer from the master', async () => {
    const stranger = clusterFetch({ ca: outsider.ca, cert: outsider.cert, key: outsider.key });
    const error = await stranger(`https://127.0.0.1:${String(cluster.masterPort)}/health`).then(() => undefined, (caught: unknown) => caught);
    expect(String((error as { cause?: { code?: string } } | undefined)?.cause?.code)).toMatch(/CERT|SELF_SIGNED|UNABLE/);
    const trusted = await clusterFetch({ ca: ours.ca, cert: ours.cert, key: ours.key })(`https://127.0.0.1:${String(cluster.masterPort)}/health`);
    expect(trusted.status).toBe(200);
  }, 20_000);
});
