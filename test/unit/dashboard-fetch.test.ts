import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpJsonFetcher } from '../../shard-master/dashboard/json-fetch.js';
import type { JsonAnswer, JsonRequest } from '../../shard-master/dashboard/json-fetch.js';
import { HealthProber } from '../../shard-master/dashboard/prober.js';
import { DASHBOARD_DEFAULTS } from '../../shard-master/dashboard/options.js';
import { SystemClock, VirtualClock } from '../../src/runtime/index.js';
import { closedPort } from '../support/master-fixtures.js';

/** The real fetcher against a real HTTP server on 127.0.0.1: deadlines, byte caps, failures as values. */
describe('httpJsonFetcher', () => {
  let server: http.Server;
  let base = '';
  beforeAll(async () => {
    server = http.createServer((request, response) => {
      if (request.url === '/json') response.end(JSON.stringify({ ok: true, auth: request.headers.authorization ?? null }));
      else if (request.url === '/big') response.end('x'.repeat(10_000));
      else if (request.url === '/html') response.end('<html>');
      else if (request.url === '/slow') setTimeout(() => response.end('{}'), 2000);
      else { response.statusCode = 503; response.end('{"code":"RC_ERR_SHUTTING_DOWN"}'); }
    });
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve); });
    base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const fetch = httpJsonFetcher(new SystemClock());
  const get = (path: string, extra: Partial<JsonRequest> = {}): Promise<JsonAnswer> => fetch({ url: `${base}${path}`, headers: {}, timeoutMs: 500, bytesMax: 1000, ...extra });

  it('answers JSON with its status, sends the headers given, and never throws', async () => {
    expect(await get('/json', { headers: { authorization: 'Bearer t' } })).toMatchObject({ kind: 'answered', status: 200, body: { ok: true, auth: 'Bearer t' } });
    expect(await get('/other')).toMatchObject({ kind: 'answered', status: 503, body: { code: 'RC_ERR_SHUTTING_DOWN' } });
    expect(await get('/html')).toMatchObject({ kind: 'answered', status: 200, body: undefined });
  });

  it('stops reading past bytesMax, gives up at the deadline, and names a refused connection', async () => {
    expect(await get('/big')).toMatchObject({ kind: 'failed', reason: 'answer longer than 1000 bytes' });
    const slow = await get('/slow', { timeoutMs: 100 });
    expect(slow).toMatchObject({ kind: 'failed', reason: 'no answer within 100 ms' });
    expect(slow.elapsedMs).toBeLessThan(1000);
    const port = await closedPort();
    expect(await fetch({ url: `http://127.0.0.1:${String(port)}/health`, headers: {}, timeoutMs: 500, bytesMax: 100 })).toMatchObject({ kind: 'failed', reason: 'connection refused' });
  });
});

describe('HealthProber', () => {
  it('probes every target each interval, one round at a time, and forgets targets that leave', async () => {
    const clock = new VirtualClock();
    let targets = [{ key: 'server:n1', url: 'http://n1/health' }, { key: 'server:n2', url: 'http://n2/health' }];
    const pending: (() => void)[] = [];
    const asked: string[] = [];
    const prober = new HealthProber({
      clock, options: DASHBOARD_DEFAULTS, targets: () => targets,
      fetch: (request) => {
        asked.push(request.url);
        const answer: JsonAnswer = request.url.includes('n2') ? { kind: 'failed', reason: 'connection refused', elapsedMs: 0 } : { kind: 'answered', status: 200, body: {}, elapsedMs: 1 };
        return new Promise((resolve) => pending.push(() => { resolve(answer); }));
      },
    });
    prober.start();
    expect(asked).toEqual(['http://n1/health', 'http://n2/health']);
    // The round is still out: the next tick skips instead of piling up a second one.
    clock.runUntil(clock.nowMs() + 1000);
    expect(asked).toHaveLength(2);
    for (const answer of pending.splice(0)) answer();
    await prober.probeAll();
    expect(prober.state('server:n1').status).toBe('up');
    expect(prober.state('server:n2')).toMatchObject({ status: 'suspect', error: 'connection refused' });
    targets = [{ key: 'server:n1', url: 'http://n1/health' }];
    clock.runUntil(clock.nowMs() + 1000);
    expect(asked).toHaveLength(3);
    for (const answer of pending.splice(0)) answer();
    await prober.probeAll();
    expect(prober.state('server:n2').status).toBe('unknown');
    prober.stop();
    clock.runUntil(clock.nowMs() + 5000);
    expect(asked).toHaveLength(3);
  });
});
