/**
 * The `requests` figure of a node's /v1/stats, from a real NodeRespHandler timing real commands,
 * read back by the shard-master's own reader (node-report.ts) and turned into rates and
 * percentiles (request-rates.ts): the two ends of the dashboard's per-node charts agree.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { readNodeReport } from '../../shard-master/dashboard/node-report.js';
import { requestRates } from '../../shard-master/dashboard/request-rates.js';
import { DATA_REQUEST_KINDS, NodeRespHandler, NodeService, buildNodeHttp, requestFigures } from '../../src/node/index.js';
import { nodeCatalogue } from '../../src/node/catalogue.js';
import { VirtualClock } from '../../src/runtime/index.js';
import type { RespConnection } from '../../src/resp/index.js';
import { MemoryEngine } from '../../src/storage/index.js';
import { INTERNODE_LIMITS_DEFAULTS } from '../../src/transport/index.js';
import { SteppingClock } from '../support/stepping-clock.js';

const connection: RespConnection = { id: 1, remoteAddress: 'test', state: {}, close: () => undefined };
const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function node(stepMs: number): { app: FastifyInstance; handler: NodeRespHandler; stepping: SteppingClock } {
  const clock = new VirtualClock();
  const engine = new MemoryEngine({ bytesMax: 1024 * 1024 });
  const service = new NodeService({ serverId: 'n1', actor: 'n1.abc', storage: engine, clock, epoch: () => 3 });
  const stepping = new SteppingClock(stepMs);
  const handler = new NodeRespHandler({ handler: service, catalogue: nodeCatalogue(), limits: INTERNODE_LIMITS_DEFAULTS, clock: stepping });
  const app = buildNodeHttp({ serverId: 'n1', registry: new Registry(), engine, epoch: () => 3, actor: () => 'n1.abc', requests: () => requestFigures(handler.stats) });
  apps.push(app);
  return { app, handler, stepping };
}

const command = (handler: NodeRespHandler, ...args: string[]): unknown => handler.onCommand(args.map((arg) => Buffer.from(arg)), connection);
const put = (handler: NodeRespHandler, key: string): unknown => command(handler, 'RC.PUT', '3', `r-${key}`, '7', key, '0', 'value', '', '');
const read = (handler: NodeRespHandler, key: string): unknown => command(handler, 'RC.READ', '3', '7', key);

async function stats(app: FastifyInstance): Promise<unknown> {
  const response = await app.inject({ method: 'GET', url: '/v1/stats' });
  expect(response.statusCode).toBe(200);
  return response.json();
}

describe("a node's request figures", () => {
  it('count the data kinds only, with their latency in HANDLER_LATENCY_BOUNDS_MS buckets', async () => {
    const { app, handler } = node(0.03);
    for (let i = 0; i < 4; i++) put(handler, `k${String(i)}`);
    for (let i = 0; i < 6; i++) read(handler, `k${String(i)}`);
    // Background traffic a node answers whatever the load: not a client's request.
    for (let i = 0; i < 20; i++) command(handler, 'RC.PING', '3');
    const body = await stats(app) as { requests: { total: number; kinds: string[]; latencyMs: { boundsMs: number[]; counts: number[] } } };
    expect(body.requests.total).toBe(10);
    expect(body.requests.kinds).toEqual([...DATA_REQUEST_KINDS]);
    const { boundsMs, counts } = body.requests.latencyMs;
    expect(counts).toHaveLength(boundsMs.length + 1);
    // Every command took one 0.03 ms step: all ten in the (0.025, 0.05] bucket.
    expect(counts[boundsMs.indexOf(0.05)]).toBe(10);
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(10);
  });

  it('put what is slower than the last bound in the last entry', async () => {
    const { app, handler } = node(5000);
    put(handler, 'slow');
    const body = await stats(app) as { requests: { latencyMs: { counts: number[] } } };
    expect(body.requests.latencyMs.counts.at(-1)).toBe(1);
  });

  it("are what the master's reader accepts and turns into requests/s and p50/p99", async () => {
    const { app, handler, stepping } = node(0.03);
    put(handler, 'a');
    const first = readNodeReport(await stats(app), 1024);
    stepping.stepMs = 2;
    for (let i = 0; i < 99; i++) read(handler, 'a');
    stepping.stepMs = 50;
    read(handler, 'a');
    const second = readNodeReport(await stats(app), 1024);
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    expect(second.report.requests?.total).toBe(101);
    const rates = requestRates(first.report.requests!, second.report.requests!, 2000);
    expect(rates?.perSec).toBe(50);
    // 99 reads in (1, 2.5] and one in (25, 100]: the median interpolates inside the first bucket.
    expect(rates?.p50Ms).toBeGreaterThan(1);
    expect(rates?.p50Ms).toBeLessThanOrEqual(2.5);
    expect(rates?.p99Ms).toBeGreaterThan(1);
    expect(rates?.p99Ms).toBeLessThanOrEqual(2.5);
  });
});
