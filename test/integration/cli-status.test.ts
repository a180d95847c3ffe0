import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { packageRoot } from '../../src/cli/config-source.js';

/** `ringcache status` against a fake shard-master and fake node health endpoints on free ports. */
const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); })));
});

async function serve(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve); });
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { io: { out: (line) => out.push(line), err: (line) => err.push(line) }, env: {}, cwd: packageRoot() });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function fakeMaster(token = ''): Promise<{ port: number; seenAuth: (string | undefined)[] }> {
  const upPort = await serve((_request, response) => response.end('{"status":"ok"}'));
  const seenAuth: (string | undefined)[] = [];
  const server = (id: string, zone: string, httpPort: number, replicas: number): object => ({
    id, zone, capacity: 1, host: '127.0.0.1', port: 1, httpPort, state: 'active', replicas, target: 512, share: replicas / 3072,
  });
  const summary = {
    epoch: 4, vnodeCount: 1024, replicaCount: 3, imbalance: 0.125,
    servers: [server('n1', 'a', upPort, 576), server('n2', 'b', 1, 512)],
  };
  const port = await serve((request, response) => {
    seenAuth.push(request.headers.authorization);
    if (token !== '' && request.headers.authorization !== `Bearer ${token}`) {
      response.statusCode = 401;
      response.end('{"code":"RC_ERR_UNAUTHORIZED"}');
      return;
    }
    response.end(request.url === '/v1/cluster' ? JSON.stringify(summary) : '{}');
  });
  return { port, seenAuth };
}

describe('ringcache status', () => {
  it('prints the cluster table with each server probed up or down', async () => {
    const master = await fakeMaster();
    const result = await cli(['status', `--master.port=${master.port}`, '--timeout-ms', '300']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('epoch 4   V=1024 N=3   servers 2 (1 up) in 2 zones   imbalance 0.125');
    expect(result.out).toMatch(/n1\s+a\s+1\s+active\s+up\s+576\/512\s+18\.8%/);
    expect(result.out).toMatch(/n2\s+b\s+1\s+active\s+down\s+512\/512/);
    expect(master.seenAuth).toEqual([undefined]);
  });

  it('--json prints the summary with health added', async () => {
    const master = await fakeMaster();
    const result = await cli(['status', '--json', `--master.port=${master.port}`, '--timeout-ms=300']);
    const json = JSON.parse(result.out) as { epoch: number; servers: { id: string; health: string }[] };
    expect(json.epoch).toBe(4);
    expect(json.servers.map((server) => [server.id, server.health])).toEqual([['n1', 'up'], ['n2', 'down']]);
  });

  it('sends the cluster token, and explains a refusal', async () => {
    const master = await fakeMaster('s3cret');
    const ok = await cli(['status', `--master.port=${master.port}`, '--cluster.token=s3cret', '--timeout-ms=300']);
    expect(ok.code).toBe(0);
    expect(master.seenAuth).toEqual(['Bearer s3cret']);
    const refused = await cli(['status', `--master.port=${master.port}`, '--timeout-ms=300']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('HTTP 401');
    expect(refused.err).toContain('cluster.token');
  });

  it('master down: a clear message and exit 1', async () => {
    const port = await serve(() => undefined);
    const server = servers.pop()!;
    await new Promise((resolve) => server.close(resolve));
    const result = await cli(['status', `--master.port=${port}`]);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`cannot reach the shard-master at http://127.0.0.1:${port}/v1/cluster: connection refused`);
    expect(result.err).toContain('npm start');
  });

  it('a master that answers garbage is an error, not a crash', async () => {
    const port = await serve((_request, response) => response.end('<html>'));
    const result = await cli(['status', `--master.port=${port}`]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('not JSON');
  });
});
