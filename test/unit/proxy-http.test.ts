import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildProxyHttp, ProxyMetrics, ProxyRespHandler } from '../../src/proxy/index.js';
import type { SiblingJson } from '../../src/proxy/index.js';
import { ContextTokens } from '../../src/version/index.js';

/** The proxies under test run with no cluster.token. */
const tokens = new ContextTokens('');
import { InProcessCluster } from '../helpers/in-process-cluster.js';
import { RespDriver } from '../helpers/resp-driver.js';

const CONTEXT = 'x-ringcache-context';

let cluster: InProcessCluster;
let app: FastifyInstance;
let redis: RespDriver;
let registry: Registry;

/** The HTTP app and a RESP handler over one cluster and one metrics object, as ProxyServer wires them. */
function start(options: ConstructorParameters<typeof InProcessCluster>[0] = {}): void {
  cluster = new InProcessCluster(options);
  registry = new Registry();
  const metrics = new ProxyMetrics(registry, { coordinator: cluster.coordinator, table: cluster.tableView });
  app = buildProxyHttp(cluster.proxyDeps({ registry, metrics }));
  redis = new RespDriver(new ProxyRespHandler(cluster.proxyDeps({ registry, metrics })));
}

beforeEach(() => { start(); });
afterEach(async () => { await app.close(); await cluster.stop(); });

const put = (key: string, body: string | Buffer, headers: Record<string, string> = {}, query = ''): Promise<LightMyRequestResponse> =>
  app.inject({ method: 'PUT', url: `/v1/kv/${key}${query}`, payload: body, headers: { 'content-type': 'application/octet-stream', ...headers } });
const get = (key: string, query = '', headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
  app.inject({ method: 'GET', url: `/v1/kv/${key}${query}`, headers });

describe('/v1/kv', () => {
  it('PUT, GET and DELETE with contexts', async () => {
    const created = await put('user%3A1', 'hello');
    expect(created.statusCode).toBe(204);
    const token = created.headers[CONTEXT] as string;
    expect(tokens.decode(token).length).toBe(1);
    const read = await get('user%3A1');
    expect(read.statusCode).toBe(200);
    expect(read.headers['content-type']).toBe('application/octet-stream');
    expect(read.body).toBe('hello');
    expect(read.headers[CONTEXT]).toBe(token);
    const updated = await put('user:1', 'world', { [CONTEXT]: token });
    expect(updated.statusCode).toBe(204);
    expect((await get('user:1')).body).toBe('world');
    expect(await redis.call('GET', 'user:1')).toBe('world');
    const deleted = await app.inject({ method: 'DELETE', url: '/v1/kv/user:1' });
    expect(deleted.statusCode).toBe(204);
    const gone = await get('user:1');
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toEqual({ code: 'RC_ERR_NOT_FOUND', message: 'key not found (absent, deleted or expired)', details: {} });
    // The 404 still carries the read's context: a client creating the key supersedes the tombstone it saw.
    expect(tokens.decode(gone.headers[CONTEXT] as string).length).toBeGreaterThan(0);
    expect((await app.inject({ method: 'DELETE', url: '/v1/kv/user:1' })).statusCode).toBe(404);
  });

  it('answers a hash, set or sorted set with its typed JSON form', async () => {
    await redis.text('HSET', 'h', 'name', 'ann', 'hits', '3');
    await redis.text('HINCRBY', 'h', 'hits', '2');
    await redis.text('SADD', 's', 'b', 'a');
    await redis.text('ZADD', 'z', '2', 'y', '1', 'x', '-inf', 'w');
    const hash = await get('h');
    expect(hash.statusCode).toBe(200);
    expect(hash.headers['content-type']).toMatch(/application\/json/);
    expect(hash.json()).toEqual({ type: 'hash', value: { hits: '5', name: 'ann' } });
    expect((await get('s')).json()).toEqual({ type: 'set', value: ['a', 'b'] });
    expect((await get('z')).json()).toEqual({ type: 'zset', value: [{ member: 'w', score: '-inf' }, { member: 'x', score: 1 }, { member: 'y', score: 2 }] });
    await redis.text('DEL', 'h');
    expect((await get('h')).statusCode).toBe(404);
  });

  it('takes any bytes as a value and percent-encoded bytes (or raw slashes) as a key', async () => {
    const value = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a]);
    expect((await put('%00%FF%2Fa', value)).statusCode).toBe(204);
    const read = await get('%00%ff/a');
    expect(read.statusCode).toBe(200);
    expect(read.rawPayload.equals(value)).toBe(true);
    const reply = await redis.value('GET', Buffer.from([0x00, 0xff, 0x2f, 0x61]));
    expect(reply.kind === 'bulk' && reply.value?.equals(value)).toBe(true);
    const json = await app.inject({ method: 'PUT', url: '/v1/kv/doc', payload: '{"a":1}', headers: { 'content-type': 'application/json' } });
    expect(json.statusCode).toBe(204);
    expect((await get('doc')).body).toBe('{"a":1}');
    expect((await app.inject({ method: 'PUT', url: '/v1/kv/empty' })).statusCode).toBe(204);
    expect((await get('empty')).rawPayload.length).toBe(0);
    expect((await get('bad%zzkey')).json()).toMatchObject({ code: 'RC_ERR_BAD_REQUEST' });
    expect((await get('')).json()).toMatchObject({ code: 'RC_ERR_KEY_TOO_LARGE' });
  });

  it('answers 300 with every live sibling when asked, and a merged write resolves them', async () => {
    await put('cart', 'base');
    const context0 = (await get('cart')).headers[CONTEXT] as string;
    await put('cart', 'milk', { [CONTEXT]: context0 });
    await put('cart', 'eggs', { [CONTEXT]: context0 });
    const plain = await get('cart', '?r=3');
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['x-ringcache-siblings']).toBe('2');
    const multiple = await get('cart', '?siblings=all&r=3');
    expect(multiple.statusCode).toBe(300);
    const body = multiple.json<{ context: string; siblings: SiblingJson[] }>();
    expect(body.context).toBe(multiple.headers[CONTEXT]);
    expect(body.siblings.map((sibling) => Buffer.from(sibling.value, 'base64').toString()).sort()).toEqual(['eggs', 'milk']);
    for (const sibling of body.siblings) {
      expect(sibling.expiresAtMs).toBeNull();
      expect(sibling.dot.actor).toMatch(/^n\d+\./);
      expect(sibling.timestampMs).toBeGreaterThan(0);
    }
    // Newest first: the first sibling is the one plain GET answers.
    expect(Buffer.from(body.siblings[0]!.value, 'base64').toString()).toBe(plain.body);
    expect((await put('cart', 'milk,eggs', { [CONTEXT]: body.context })).statusCode).toBe(204);
    const resolved = await get('cart', '?siblings=all');
    expect(resolved.statusCode).toBe(200);
    expect(resolved.body).toBe('milk,eggs');
    expect(resolved.headers['x-ringcache-siblings']).toBeUndefined();
  });

  it('refuses bad input with coded 4xx JSON and stores nothing', async () => {
    start({ config: ['limits.valueBytesMax=1024'] });
    const before = cluster.storedState();
    const tooLarge = await put('big', Buffer.alloc(1025, 1));
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json()).toMatchObject({ code: 'RC_ERR_VALUE_TOO_LARGE' });
    expect(tooLarge.json<{ message: string }>().message).toContain('limits.valueBytesMax=1024');
    expect((await put('big', Buffer.alloc(1024, 1))).statusCode).toBe(204);
    const cases: [Promise<LightMyRequestResponse>, number, string][] = [
      [put('k', 'v', { [CONTEXT]: 'not!base64' }), 400, 'RC_ERR_BAD_CONTEXT'],
      [put('k', 'v', { [CONTEXT]: 'AQ' }), 400, 'RC_ERR_BAD_CONTEXT'],
      [get('k', '?r=0'), 400, 'RC_ERR_BAD_QUORUM'],
      [get('k', '?r=4'), 400, 'RC_ERR_BAD_QUORUM'],
      [get('k', '?r=two'), 400, 'RC_ERR_BAD_QUORUM'],
      [put('k', 'v', {}, '?w=9'), 400, 'RC_ERR_BAD_QUORUM'],
      [put('k', 'v', {}, '?w=1&w=2'), 400, 'RC_ERR_BAD_REQUEST'],
      [put('k', 'v', {}, '?ttl=0'), 400, 'RC_ERR_BAD_TTL'],
      [put('k', 'v', {}, '?ttl=-5'), 400, 'RC_ERR_BAD_TTL'],
      [put('k', 'v', {}, '?ttl=1.5'), 400, 'RC_ERR_BAD_TTL'],
      [get('k', '?siblings=some'), 400, 'RC_ERR_BAD_REQUEST'],
      [put('k'.repeat(1025), 'v'), 400, 'RC_ERR_KEY_TOO_LARGE'],
      [app.inject({ method: 'GET', url: '/v1/nothing' }), 404, 'RC_ERR_NOT_FOUND'],
    ];
    for (const [pending, status, code] of cases) {
      const response = await pending;
      expect([response.statusCode, response.json<{ code: string }>().code]).toEqual([status, code]);
    }
    const after = cluster.storedState();
    for (const [name, state] of before) expect(after.get(name)).toBe(state);
    expect([...after.keys()].some((name) => name.endsWith('/k'))).toBe(false);
  });

  it('takes ?ttl= in seconds and ?r= / ?w= within 1..N', async () => {
    expect((await put('session', 'x', {}, '?ttl=100&w=3')).statusCode).toBe(204);
    expect(await redis.call('TTL', 'session')).toBe(100);
    expect((await get('session', '?r=1')).body).toBe('x');
    expect((await get('session', '?r=3')).body).toBe('x');
    const deleted = await app.inject({ method: 'DELETE', url: '/v1/kv/session?w=3', headers: { [CONTEXT]: (await get('session')).headers[CONTEXT] as string } });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.headers[CONTEXT]).toBeDefined();
    expect((await get('session')).statusCode).toBe(404);
  });
});

describe('route, health, metrics, password', () => {
  it('GET /v1/route/:key says where a key lives', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/route/user%3A42' });
    expect(response.statusCode).toBe(200);
    const key = Buffer.from('user:42');
    const row = cluster.rowOf(key);
    expect(response.json()).toEqual({
      vnode: cluster.table.vnodeOf(key), epoch: 1, replicas: row, live: row, down: [], coordinator: row[0],
      fallbacks: expect.any(Array) as unknown, pending: null,
    });
    cluster.crash(row[0]!);
    cluster.coordinator.liveness.failed(row[0]!);
    const after = (await app.inject({ method: 'GET', url: '/v1/route/user:42' })).json<{ down: string[]; coordinator: string }>();
    expect(after.down).toEqual([row[0]]);
    expect(after.coordinator).toBe(row[1]);
  });

  it('GET /health and GET /metrics', async () => {
    expect((await app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok', epoch: 1, servers: 5, serversDown: 0 });
    await put('m', 'v');
    await get('m');
    await get('absent');
    await get('m', '?r=9');
    await redis.call('GET', 'm');
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const text = response.body;
    for (const line of [
      'ringcache_proxy_requests_total{protocol="http",command="get",outcome="ok"} 2',
      'ringcache_proxy_requests_total{protocol="http",command="get",outcome="rejected"} 1',
      'ringcache_proxy_requests_total{protocol="http",command="put",outcome="ok"} 1',
      'ringcache_proxy_requests_total{protocol="resp",command="get",outcome="ok"} 1',
      'ringcache_proxy_request_duration_seconds_count{protocol="http",command="get"} 3',
      'ringcache_proxy_request_duration_seconds_bucket{protocol="http",command="put",le="+Inf"} 1',
      'ringcache_proxy_reads_total{result="hit"} 2',
      'ringcache_proxy_reads_total{result="miss"} 1',
      'ringcache_proxy_coordinator_writes_total 1',
      'ringcache_proxy_table_epoch 1',
      'ringcache_proxy_quorum_failures_total{operation="read"} 0',
      'ringcache_proxy_hedged_reads_total',
      'ringcache_proxy_read_repairs_total',
      'ringcache_proxy_connections{protocol="resp"} 0',
    ]) {
      expect(text).toContain(line);
    }
  });

  it('GET /metrics counts RESP commands by data type and family, with no key in any label', async () => {
    for (const args of [
      ['HSET', 'mt:h', 'f', 'v'], ['HSET', 'mt:h', 'g', 'w'], ['HGET', 'mt:h', 'f'], ['HSCAN', 'mt:h', '0'], ['SADD', 'mt:s', 'a'],
      ['ZADD', 'mt:z', '1', 'a'], ['INCR', 'mt:c'], ['SET', 'mt:k', 'v'], ['GET', 'mt:k'], ['EXPIRE', 'mt:h', '100'], ['PING'],
      ['HGET', 'mt:k', 'f'],
    ]) await redis.call(...(args as [string, ...string[]])).catch(() => undefined);
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const line of [
      'ringcache_proxy_commands_by_type_total{type="hash",family="write"} 2',
      // A WRONGTYPE answer is a hash command too: every outcome counts.
      'ringcache_proxy_commands_by_type_total{type="hash",family="read"} 2',
      'ringcache_proxy_commands_by_type_total{type="hash",family="scan"} 1',
      'ringcache_proxy_commands_by_type_total{type="set",family="write"} 1',
      'ringcache_proxy_commands_by_type_total{type="zset",family="write"} 1',
      'ringcache_proxy_commands_by_type_total{type="counter",family="write"} 1',
      'ringcache_proxy_commands_by_type_total{type="string",family="write"} 1',
      'ringcache_proxy_commands_by_type_total{type="string",family="read"} 1',
      'ringcache_proxy_commands_by_type_total{type="keyspace",family="write"} 1',
      'ringcache_proxy_commands_by_type_total{type="connection",family="other"} 1',
    ]) expect(text).toContain(`${line}\n`);
    const series = text.split('\n').filter((line) => line.startsWith('ringcache_proxy_commands_by_type_total{'));
    expect(series.some((line) => line.includes('mt:'))).toBe(false);
    // Bounded by the command table: at most 9 types x 4 families.
    expect(series.length).toBeLessThanOrEqual(36);
  });

  it('with proxy.password, /v1/kv wants the bearer token; health and metrics stay open', async () => {
    await app.close();
    start({ config: ['proxy.password=s3cret'] });
    const missing = await put('k', 'v');
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="ringcache"');
    expect(missing.json()).toMatchObject({ code: 'RC_ERR_UNAUTHORIZED' });
    expect((await get('k', '', { authorization: 'Bearer wrong' })).statusCode).toBe(401);
    expect((await put('k', 'v', { authorization: 'Bearer s3cret' })).statusCode).toBe(204);
    expect((await get('k', '', { authorization: 'Bearer s3cret' })).body).toBe('v');
    expect((await app.inject({ method: 'DELETE', url: '/v1/kv/k' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('answers quorum failures with 503 and the coordinator\'s message', async () => {
    const key = 'fragile';
    const row = cluster.rowOf(Buffer.from(key));
    // Two replicas down and no fallback to take their hints.
    for (const server of [row[0]!, row[1]!, ...cluster.fallbacksOf(Buffer.from(key))]) cluster.crash(server);
    const write = await put(key, 'v');
    expect(write.statusCode).toBe(503);
    expect(write.json()).toMatchObject({ code: 'RC_ERR_QUORUM_WRITE', message: expect.stringContaining('see replication.w') as unknown });
    const read = await get(key);
    expect(read.statusCode).toBe(503);
    expect(read.json()).toMatchObject({ code: 'RC_ERR_QUORUM_READ' });
    expect((await get(key, '?r=1')).statusCode).toBe(200);
  });

  it('writes through a fallback with ?w=N and a replica down; ?pw= demands primaries and is checked against N', async () => {
    const key = 'sloppy';
    const row = cluster.rowOf(Buffer.from(key));
    cluster.crash(row[1]!);
    expect((await put(key, 'v', {}, '?w=3')).statusCode).toBe(204);
    const strict = await put(key, 'v2', {}, '?w=3&pw=3');
    expect(strict.statusCode).toBe(503);
    expect(strict.json()).toMatchObject({ code: 'RC_ERR_QUORUM_WRITE', message: expect.stringMatching(/required primaries \(pw=3.*see replication\.pw/) as unknown });
    expect((await put(key, 'v3', {}, '?w=3&pw=2')).statusCode).toBe(204);
    for (const bad of ['4', '-1', 'x', '1.5']) {
      const refused = await put(key, 'v', {}, `?pw=${bad}`);
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'RC_ERR_BAD_QUORUM', message: expect.stringContaining('pw') as unknown });
    }
    expect((await get(key)).body).toBe('v3');
  });
});
