/**
 * The node's HTTP port through fastify's inject(): health, Prometheus metrics from a per-node
 * registry, stats per vnode, the cluster token on /v1/stats only, and coded JSON errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { VirtualClock } from '../../src/runtime/index.js';
import { MemoryEngine } from '../../src/storage/index.js';
import { NodeMetrics, NodeRespHandler, NodeService, buildNodeHttp } from '../../src/node/index.js';
import { DATA_MESSAGES, INTERNODE_LIMITS_DEFAULTS, MessageCatalogue } from '../../src/transport/index.js';
import type { RespConnection, RespServerStats } from '../../src/resp/index.js';
import { SteppingClock } from '../support/stepping-clock.js';

const clock = new VirtualClock();

function node(token = '', handlerClock?: SteppingClock): { app: FastifyInstance; engine: MemoryEngine; service: NodeService; handler: NodeRespHandler; metrics: NodeMetrics; resp: RespServerStats } {
  const engine = new MemoryEngine({ bytesMax: 1024 * 1024 });
  const service = new NodeService({ serverId: 'n1', actor: 'n1.abc', storage: engine, clock, epoch: () => 12 });
  const handler = new NodeRespHandler({ handler: service, catalogue: new MessageCatalogue(DATA_MESSAGES), limits: INTERNODE_LIMITS_DEFAULTS, ...(handlerClock === undefined ? {} : { clock: handlerClock }) });
  const resp: RespServerStats = { connectionsAccepted: 3, connectionsOpen: 2, commands: 40, protocolErrors: 1, crossProtocolRefusals: 2, tlsHandshakeFailures: 0, connectionsRejected: 3, frameTimeouts: 4, idleTimeouts: 0, outputLimitCloses: 1, internalErrors: 0, socketErrors: 0, readPauses: 0, bytesReceived: 5000, bytesSent: 7000 };
  const registry = new Registry();
  const metrics = new NodeMetrics(registry, { engine, service: () => service.stats, handler: handler.stats, resp, services: [{ name: 'sweeper', start: () => undefined, stop: () => undefined, metrics: () => [{ name: 'sweep_removals_total', help: 'Dead keys collected by the sweeper.', type: 'counter', read: () => 4 }] }], epoch: () => 12 });
  const app = buildNodeHttp({ serverId: 'n1', registry, engine, epoch: () => 12, actor: () => 'n1.abc', token });
  apps.push(app);
  return { app, engine, service, handler, metrics, resp };
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

const connection: RespConnection = { id: 1, remoteAddress: 'test', state: {}, close: () => undefined };
const put = (handler: NodeRespHandler, key: string, vnode: number, value: string): void => {
  const reply = handler.onCommand(['RC.PUT', '1', `r-${key}`, String(vnode), key, '0', value, '', ''].map((arg) => Buffer.from(arg)), connection);
  expect(reply).toHaveProperty('kind', 'array');
};

describe('node HTTP', () => {
  it('GET /health answers 200 with the server, epoch and actor', async () => {
    const { app } = node('secret');
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', serverId: 'n1', epoch: 12, actor: 'n1.abc' });
  });

  it('GET /metrics serves the node registry, prefixed ringcache_node_', async () => {
    const { app, handler, metrics } = node('secret');
    put(handler, 'a', 3, 'x');
    put(handler, 'b', 3, 'yy');
    void handler.onCommand([Buffer.from('RC.PUT'), Buffer.from('nope')], connection);
    metrics.observeSiblings(2);
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.body;
    for (const line of [
      'ringcache_node_requests_total{kind="coord-put"} 3',
      'ringcache_node_requests_total{kind="read"} 0',
      'ringcache_node_request_errors_total{code="RC_ERR_PROTOCOL"} 1',
      'ringcache_node_keys 2',
      'ringcache_node_storage_limit_bytes 1048576',
      'ringcache_node_receive_bytes_total 5000',
      'ringcache_node_transmit_bytes_total 7000',
      'ringcache_node_sweep_removals_total 4',
      'ringcache_node_table_epoch 12',
      'ringcache_node_resp_connections 2',
      'ringcache_node_resp_commands_total 40',
      'ringcache_node_resp_protocol_errors_total 1',
      'ringcache_node_resp_cross_protocol_refusals_total 2',
      'ringcache_node_resp_limit_closes_total{limit="max_clients"} 3',
      'ringcache_node_resp_limit_closes_total{limit="frame_timeout"} 4',
      'ringcache_node_resp_limit_closes_total{limit="output_buffer"} 1',
      'ringcache_node_siblings_bucket{le="2"} 1',
    ]) expect(text).toContain(line);
    for (const name of ['merges_changed_total', 'evictions_total', 'rejections_total', 'siblings_overflow_total', 'stored_bytes ']) {
      expect(text).toContain(`ringcache_node_${name}`);
    }
    expect(text).toMatch(/^ringcache_build_info\{version="\d+\.\d+\.\d+",node_version="v\d+\.\d+\.\d+",role="node"\} 1$/m);
    // Counters mirror totals: a second scrape adds only what is new.
    put(handler, 'c', 4, 'z');
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toContain('ringcache_node_requests_total{kind="coord-put"} 4');
  });

  it('times each internode request by kind on a monotonic clock, in seconds and sub-millisecond buckets', async () => {
    const stepping = new SteppingClock(0.03);
    const { app, handler } = node('', stepping);
    put(handler, 'a', 3, 'x');
    stepping.stepMs = 0.2;
    put(handler, 'b', 3, 'y');
    stepping.stepMs = 3;
    void handler.onCommand([Buffer.from('RC.READ'), Buffer.from('1'), Buffer.from('3'), Buffer.from('a')], connection);
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const line of [
      // 0.03 ms lands in (0.025, 0.05], 0.2 ms in (0.1, 0.25]: counts are cumulative.
      'ringcache_node_request_duration_seconds_bucket{kind="coord-put",le="0.000025"} 0',
      'ringcache_node_request_duration_seconds_bucket{kind="coord-put",le="0.00005"} 1',
      'ringcache_node_request_duration_seconds_bucket{kind="coord-put",le="0.0001"} 1',
      'ringcache_node_request_duration_seconds_bucket{kind="coord-put",le="0.00025"} 2',
      'ringcache_node_request_duration_seconds_count{kind="coord-put"} 2',
      'ringcache_node_request_duration_seconds_bucket{kind="read",le="0.0025"} 0',
      'ringcache_node_request_duration_seconds_bucket{kind="read",le="0.005"} 1',
    ]) expect(text).toContain(line);
    expect(text).toMatch(/^ringcache_node_request_duration_seconds_sum\{kind="coord-put"\} 0\.00023\d*$/m);
  });

  it('GET /v1/stats lists keys and bytes per vnode with totals', async () => {
    const { app, handler, engine } = node();
    put(handler, 'a', 3, 'x');
    put(handler, 'b', 3, 'yy');
    put(handler, 'c', 9, 'z');
    const response = await app.inject({ method: 'GET', url: '/v1/stats' });
    expect(response.statusCode).toBe(200);
    const stats = response.json<{ totals: { keys: number; bytes: number }; vnodes: { vnode: number; keys: number; bytes: number }[]; epoch: number; actor: string }>();
    expect(stats.totals.keys).toBe(3);
    expect(stats.totals.bytes).toBe(engine.stats().bytes);
    expect(stats.vnodes.map((row) => [row.vnode, row.keys])).toEqual([[3, 2], [9, 1]]);
    expect(stats.vnodes.reduce((sum, row) => sum + row.bytes, 0)).toBe(stats.totals.bytes);
    expect([stats.epoch, stats.actor]).toEqual([12, 'n1.abc']);
  });

  it('requires the cluster token on /v1/stats only, when one is configured', async () => {
    const { app } = node('secret');
    const missing = await app.inject({ method: 'GET', url: '/v1/stats' });
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toEqual({ code: 'RC_ERR_UNAUTHORIZED', message: expect.stringContaining('Authorization: Bearer') as unknown, details: {} });
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await app.inject({ method: 'GET', url: '/v1/stats', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/v1/stats', headers: { authorization: 'Bearer secret' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('answers unknown routes and bad requests with coded JSON errors', async () => {
    const { app } = node();
    const missing = await app.inject({ method: 'GET', url: '/v1/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ code: 'RC_ERR_NOT_FOUND', message: 'no route GET /v1/nope', details: {} });
    const posted = await app.inject({ method: 'POST', url: '/health', payload: 'x' });
    expect(posted.statusCode).toBe(404);
    expect(posted.json<{ code: string }>().code).toBe('RC_ERR_NOT_FOUND');
  });
});
