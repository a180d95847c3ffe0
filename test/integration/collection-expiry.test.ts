import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBareRedis } from '../../load/peers.js';
import type { RunningPeer } from '../../load/peers.js';
import { hasCommand } from '../../load/processes.js';
import { startProxyUnderTest } from '../helpers/proxy-under-test.js';
import type { ProxyUnderTest } from '../helpers/proxy-under-test.js';
import { testPort } from '../support/ports.js';

/**
 * EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, PERSIST, EXPIRETIME and PEXPIRETIME on hashes,
 * sets and sorted sets, driven by ioredis against the proxy and, where redis-server is installed,
 * against a real Redis with the same script. Times are relative to the script's start, so
 * EXPIREAT's argument and EXPIRETIME's answer are checked against the same clock; answers that
 * depend on elapsed time are checked within a window.
 */
interface Within { readonly within: readonly [number, number] }
/** A reply, a window (Within), or a window computed from the script's start time. */
type Expected = unknown;
type Step =
  | readonly [args: readonly (string | number | ((startMs: number) => string))[], expected: Expected, unordered?: 'sorted']
  | { readonly sleepMs: number };

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const inSeconds = (startMs: number, seconds: number): string => String(Math.floor(startMs / 1000) + seconds);

const SCRIPT: readonly Step[] = [
  [['HSET', 'h', 'a', '1', 'b', '2'], 2],
  [['TTL', 'h'], -1],
  [['PTTL', 'h'], -1],
  [['EXPIRETIME', 'h'], -1],
  [['PERSIST', 'h'], 0],
  [['EXPIRE', 'h', '100', 'XX'], 0],
  [['EXPIRE', 'h', '100', 'GT'], 0],
  [['EXPIRE', 'h', '100', 'NX'], 1],
  [['TTL', 'h'], { within: [99, 100] }],
  [['PTTL', 'h'], { within: [98_000, 100_000] }],
  [['EXPIRE', 'h', '200', 'NX'], 0],
  [['EXPIRE', 'h', '50', 'GT'], 0],
  [['EXPIRE', 'h', '50', 'LT'], 1],
  [['TTL', 'h'], { within: [49, 50] }],
  [['EXPIRE', 'h', '300', 'XX'], 1],
  [['EXPIRE', 'h', '10', 'NX', 'XX'], 'ERR NX and XX, GT or LT options at the same time are not compatible'],
  [['EXPIRE', 'h', '10', 'GT', 'LT'], 'ERR GT and LT options at the same time are not compatible'],
  [['EXPIRE', 'h', '10', 'FOO'], 'ERR Unsupported option FOO'],
  [['EXPIRE', 'h', 'x'], 'ERR value is not an integer or out of range'],
  [['PERSIST', 'h'], 1],
  [['TTL', 'h'], -1],
  [['PERSIST', 'h'], 0],
  [['EXPIREAT', 'h', (startMs) => inSeconds(startMs, 1000)], 1],
  [['EXPIRETIME', 'h'], (startMs: number): Within => ({ within: [Math.floor(startMs / 1000) + 1000, Math.floor(startMs / 1000) + 1000] })],
  [['PEXPIRETIME', 'h'], (startMs: number): Within => ({ within: [(Math.floor(startMs / 1000) + 1000) * 1000, (Math.floor(startMs / 1000) + 1000) * 1000] })],
  [['PEXPIREAT', 'h', (startMs) => String(startMs + 500_000)], 1],
  [['PEXPIRETIME', 'h'], (startMs: number): Within => ({ within: [startMs + 500_000, startMs + 500_000] })],
  [['HGET', 'h', 'a'], '1'],
  [['TYPE', 'h'], 'hash'],
  // The whole key expires; a write after it starts a new, empty hash without expiry.
  [['PEXPIRE', 'h', '300'], 1],
  [['HSET', 'h', 'c', '3'], 1],
  [['HLEN', 'h'], 3],
  { sleepMs: 450 },
  [['HLEN', 'h'], 0],
  [['HGET', 'h', 'c'], null],
  [['EXISTS', 'h'], 0],
  [['TYPE', 'h'], 'none'],
  [['TTL', 'h'], -2],
  [['EXPIRETIME', 'h'], -2],
  [['EXPIRE', 'h', '100'], 0],
  [['PERSIST', 'h'], 0],
  [['HSET', 'h', 'new', 'v'], 1],
  [['HGETALL', 'h'], ['new', 'v']],
  [['TTL', 'h'], -1],
  // HINCRBY after expiry starts from zero.
  [['HINCRBY', 'hc', 'n', '5'], 5],
  [['PEXPIRE', 'hc', '200'], 1],
  { sleepMs: 350 },
  [['HINCRBY', 'hc', 'n', '1'], 1],
  [['HGET', 'hc', 'n'], '1'],
  // An expiry in the past deletes the key at once.
  [['SADD', 's', 'x', 'y'], 2],
  [['EXPIRE', 's', '-1', 'GT'], 0],
  [['SCARD', 's'], 2],
  [['EXPIRE', 's', '0'], 1],
  [['EXISTS', 's'], 0],
  [['SADD', 's', 'z'], 1],
  [['SMEMBERS', 's'], ['z']],
  [['PEXPIREAT', 's', '1'], 1],
  [['SMEMBERS', 's'], []],
  [['SADD', 's', 'x', 'y'], 2],
  [['PEXPIRE', 's', '200'], 1],
  [['PTTL', 's'], { within: [100, 200] }],
  { sleepMs: 350 },
  [['SADD', 's', 'w'], 1],
  [['SMEMBERS', 's'], ['w'], 'sorted'],
  [['SISMEMBER', 's', 'x'], 0],
  // Sorted sets: a ZINCRBY after expiry counts from zero.
  [['ZADD', 'z', '5', 'a', '7', 'b'], 2],
  [['ZINCRBY', 'z', '2', 'a'], '7'],
  [['PEXPIRE', 'z', '200'], 1],
  [['ZCARD', 'z'], 2],
  { sleepMs: 350 },
  [['ZCARD', 'z'], 0],
  [['ZSCORE', 'z', 'a'], null],
  [['ZINCRBY', 'z', '1', 'a'], '1'],
  [['ZRANGE', 'z', '0', '-1', 'WITHSCORES'], ['a', '1']],
  [['EXPIRE', 'z', '100'], 1],
  [['TTL', 'z'], { within: [99, 100] }],
  [['ZREM', 'z', 'a'], 1],
  [['TTL', 'z'], -2],
  // DEL and a SET over the key drop its expiry, as in Redis.
  [['SADD', 'd', 'm'], 1],
  [['EXPIRE', 'd', '100'], 1],
  [['SET', 'd', 'text'], 'OK'],
  [['TTL', 'd'], -1],
  [['SADD', 'd', 'm'], WRONGTYPE],
  [['DEL', 'd'], 1],
  [['SADD', 'd', 'm'], 1],
  [['TTL', 'd'], -1],
  [['TTL', 'nokey'], -2],
  [['PTTL', 'nokey'], -2],
  [['PERSIST', 'nokey'], 0],
  [['EXPIRE', 'nokey', '10'], 0],
];

function call(client: Redis, args: readonly string[]): Promise<unknown> {
  const [name, ...rest] = args;
  return client.call(String(name), ...rest).then((reply) => reply, (error: unknown) => (error as Error).message);
}

function isWithin(value: unknown): value is Within {
  return typeof value === 'object' && value !== null && 'within' in value;
}

/** The replies, each turned into `true` when a window matched (so the comparison shows the rest). */
async function runScript(client: Redis, prefix: string): Promise<{ args: string[]; reply: unknown; expected: unknown }[]> {
  const startMs = Date.now();
  const results: { args: string[]; reply: unknown; expected: unknown }[] = [];
  for (const step of SCRIPT) {
    if (!Array.isArray(step)) {
      await new Promise((resolve) => setTimeout(resolve, (step as { sleepMs: number }).sleepMs));
      continue;
    }
    const [rawArgs, rawExpected, unordered] = step as Extract<Step, readonly unknown[]>;
    const args = rawArgs.map((arg, index) => (typeof arg === 'function' ? arg(startMs) : index === 1 ? `${prefix}${String(arg)}` : String(arg)));
    let reply = await call(client, args);
    if (unordered === 'sorted' && Array.isArray(reply)) reply = [...(reply as string[])].sort();
    const expected = typeof rawExpected === 'function' ? (rawExpected as (startMs: number) => Within)(startMs) : rawExpected;
    if (isWithin(expected)) {
      const [low, high] = expected.within;
      results.push({ args, reply: typeof reply === 'number' && reply >= low && reply <= high ? true : reply, expected: true });
    } else {
      results.push({ args, reply, expected });
    }
  }
  return results;
}

function expectScript(results: { args: string[]; reply: unknown; expected: unknown }[]): void {
  for (const { args, reply, expected } of results) expect({ args, reply }).toEqual({ args, reply: expected });
}

describe('expiry on hashes, sets and sorted sets through the proxy', () => {
  let running: ProxyUnderTest;

  beforeAll(async () => {
    running = await startProxyUnderTest();
  });

  afterAll(async () => {
    await running.stop();
  });

  it('answers the script as Redis 7 does', async () => {
    expectScript(await runScript(running.client, 'ce:'));
  });
});

describe.skipIf(!hasCommand('redis-server'))('the same script against a real redis-server', () => {
  let redis: RunningPeer;
  let peer: Redis;

  beforeAll(async () => {
    redis = await startBareRedis([], () => undefined, testPort);
    peer = new Redis({ ...redis.endpoint, lazyConnect: true, maxRetriesPerRequest: 1 });
    await peer.connect();
  });

  afterAll(async () => {
    peer.disconnect();
    await redis.stop();
  });

  it('gives the replies the proxy gives', async () => {
    expectScript(await runScript(peer, 'ce:'));
  });
});
