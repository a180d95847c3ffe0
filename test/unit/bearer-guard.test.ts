import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { SecretCheck, bearerCredentials } from '../../src/auth/index.js';
import { bearerGuard, guardedRoute, installErrorShape } from '../../src/http/index.js';
import { silentLogger } from '../../src/runtime/index.js';

describe('the one secret check', () => {
  it('matches the secret exactly, as text or bytes, whatever the lengths', () => {
    const check = SecretCheck.of('s3cret');
    expect(check).toBeDefined();
    expect(check?.matches('s3cret')).toBe(true);
    expect(check?.matches(Buffer.from('s3cret'))).toBe(true);
    for (const other of ['', 's3cre', 's3cret ', 'S3cret', 's3cret-and-more']) expect(check?.matches(other), other).toBe(false);
    expect(SecretCheck.of('')).toBeUndefined();
  });

  it('reads Authorization: Bearer credentials and nothing else', () => {
    expect(bearerCredentials('Bearer abc')).toBe('abc');
    expect(bearerCredentials('bearer   abc  ')).toBe('abc');
    for (const header of [undefined, '', 'Basic abc', 'Bearer', 'Bearer ', 'abc']) expect(bearerCredentials(header), String(header)).toBeUndefined();
  });
});

describe('bearerGuard', () => {
  async function app(secret: string): Promise<FastifyInstance> {
    const server = Fastify({ logger: false });
    installErrorShape(server, { where: 'test', logger: silentLogger, bodyBytesMax: 1024, bodyLimitName: 'the test body limit' });
    server.get('/v1/x', guardedRoute(bearerGuard(secret, 'cluster.token')), () => ({ ok: true }));
    server.get('/health', () => ({ ok: true }));
    await server.ready();
    return server;
  }

  it('refuses a missing or wrong token with 401 RC_ERR_UNAUTHORIZED in the one error shape, and lets the right one through', async () => {
    const server = await app('tok');
    const missing = await server.inject({ url: '/v1/x' });
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toEqual({ code: 'RC_ERR_UNAUTHORIZED', message: "cluster token missing: send 'Authorization: Bearer <cluster.token>'", details: {} });
    const wrong = await server.inject({ url: '/v1/x', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json<{ message: string }>().message).toMatch(/^cluster token wrong/);
    expect((await server.inject({ url: '/v1/x', headers: { authorization: 'Basic dG9r' } })).statusCode).toBe(401);
    expect((await server.inject({ url: '/v1/x', headers: { authorization: 'Bearer tok' } })).json()).toEqual({ ok: true });
    expect((await server.inject({ url: '/health' })).statusCode).toBe(200);
    await server.close();
  });

  it('is no hook at all without a secret', async () => {
    expect(bearerGuard('', 'proxy.password')).toBeUndefined();
    expect(guardedRoute(undefined)).toEqual({});
    const server = await app('');
    expect((await server.inject({ url: '/v1/x' })).statusCode).toBe(200);
    await server.close();
  });
});
