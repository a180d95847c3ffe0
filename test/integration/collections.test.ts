import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBareRedis } from '../../load/peers.js';
import type { RunningPeer } from '../../load/peers.js';
import { hasCommand } from '../../load/processes.js';
import { startProxyUnderTest } from '../helpers/proxy-under-test.js';
import type { ProxyUnderTest } from '../helpers/proxy-under-test.js';
import { testPort } from '../support/ports.js';

/**
 * Hashes, sets, TYPE and WRONGTYPE, driven by ioredis against the proxy and, where redis-server
 * is installed, against a real Redis with the same script: every reply is written out, so the
 * proxy is checked even without Redis, and Redis checks the expectations. Replies whose order
 * Redis leaves unspecified (HGETALL, SMEMBERS, ...) are sorted before comparing.
 */
type Step = readonly [args: readonly (string | number)[], expected: unknown, unordered?: 'sorted' | 'pairs' | 'scan'];

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

const SCRIPT: readonly Step[] = [
  [['HSET', 'h', 'a', '1', 'b', '2'], 2],
  [['HSET', 'h', 'a', '10', 'c', '3'], 1],
  [['HGET', 'h', 'a'], '10'],
  [['HGET', 'h', 'zz'], null],
  [['HGET', 'nohash', 'a'], null],
  [['HMGET', 'h', 'a', 'zz', 'c'], ['10', null, '3']],
  [['HLEN', 'h'], 3],
  [['HLEN', 'nohash'], 0],
  [['HEXISTS', 'h', 'b'], 1],
  [['HEXISTS', 'h', 'zz'], 0],
  [['HSTRLEN', 'h', 'a'], 2],
  [['HKEYS', 'h'], ['a', 'b', 'c'], 'sorted'],
  [['HVALS', 'h'], ['10', '2', '3'], 'sorted'],
  [['HGETALL', 'h'], ['a', '10', 'b', '2', 'c', '3'], 'pairs'],
  [['HGETALL', 'nohash'], []],
  [['HDEL', 'h', 'b', 'zz'], 1],
  [['HDEL', 'h', 'b'], 0],
  [['HLEN', 'h'], 2],
  [['HMSET', 'h', 'd', '4'], 'OK'],
  [['HINCRBY', 'h', 'd', 5], 9],
  [['HINCRBY', 'h', 'n', -3], -3],
  [['HINCRBY', 'h', 'n', 'x'], 'ERR value is not an integer or out of range'],
  [['HINCRBY', 'h', 'c', '9223372036854775807'], 'ERR increment or decrement would overflow'],
  [['HSET', 'h', 's', 'text'], 1],
  [['HINCRBY', 'h', 's', 1], 'ERR hash value is not an integer'],
  [['HGET', 'h', 'd'], '9'],
  [['HSET', 'h', 'd', '100'], 0],
  [['HINCRBY', 'h', 'd', 1], 101],
  [['HINCRBYFLOAT', 'h', 'f', '1.5'], '1.5'],
  [['HINCRBYFLOAT', 'h', 'f', '0.25'], '1.75'],
  [['HINCRBYFLOAT', 'h', 'f', '-0.75'], '1'],
  [['HINCRBY', 'h', 'f', 2], 3],
  [['HINCRBYFLOAT', 'h', 'f', '0.5'], '3.5'],
  [['HGET', 'h', 'f'], '3.5'],
  [['HINCRBY', 'h', 'f', 1], 'ERR hash value is not an integer'],
  [['HSET', 'h', 'f', '2.5'], 0],
  [['HINCRBYFLOAT', 'h', 'f', '0.5'], '3'],
  [['HINCRBYFLOAT', 'h', 'f', '1e3'], '1003'],
  [['HINCRBYFLOAT', 'h', 'f', '-1003'], '0'],
  [['HINCRBYFLOAT', 'h', 'f', '1.75'], '1.75'],
  [['HINCRBYFLOAT', 'h', 'd', '0.5'], '101.5'],
  [['HINCRBYFLOAT', 'h', 's', '1'], 'ERR hash value is not a float'],
  [['HINCRBYFLOAT', 'h', 'f', 'abc'], 'ERR value is not a valid float'],
  [['HINCRBYFLOAT', 'h', 'f', 'inf'], 'ERR value is NaN or Infinity'],
  [['HSET', 'h', 'odd'], "ERR wrong number of arguments for 'hset' command"],
  [['HSET', 'h', 'odd', '1', 'x'], "ERR wrong number of arguments for 'hset' command"],
  [['HSCAN', 'h', '0', 'MATCH', 'd*'], ['0', ['d', '101.5']]],
  [['HSCAN', 'h', 'x'], 'ERR invalid cursor'],
  [['HSCAN', 'h', '0', 'COUNT', '0'], 'ERR syntax error'],
  [['HSCAN', 'h', '0', 'FOO'], 'ERR syntax error'],
  [['TYPE', 'h'], 'hash'],
  [['EXISTS', 'h'], 1],
  [['TTL', 'h'], -1],
  [['GET', 'h'], WRONGTYPE],
  [['APPEND', 'h', 'x'], WRONGTYPE],
  [['STRLEN', 'h'], WRONGTYPE],
  [['GETDEL', 'h'], WRONGTYPE],
  [['INCR', 'h'], WRONGTYPE],
  [['INCRBYFLOAT', 'h', '1'], WRONGTYPE],
  [['SADD', 'h', 'm'], WRONGTYPE],
  [['SMEMBERS', 'h'], WRONGTYPE],
  [['MGET', 'h', 'nohash'], [null, null]],
  [['DEL', 'h'], 1],
  [['EXISTS', 'h'], 0],
  [['TYPE', 'h'], 'none'],
  [['HGETALL', 'h'], []],
  [['SET', 'str', 'v'], 'OK'],
  [['HSET', 'str', 'a', '1'], WRONGTYPE],
  [['HGET', 'str', 'a'], WRONGTYPE],
  [['SADD', 'str', 'a'], WRONGTYPE],
  [['TYPE', 'str'], 'string'],
  [['SADD', 's', 'a', 'b', 'c', 'a'], 3],
  [['SADD', 's', 'a', 'd'], 1],
  [['SCARD', 's'], 4],
  [['SCARD', 'noset'], 0],
  [['SISMEMBER', 's', 'a'], 1],
  [['SISMEMBER', 's', 'z'], 0],
  [['SMISMEMBER', 's', 'a', 'z', 'd'], [1, 0, 1]],
  [['SMEMBERS', 's'], ['a', 'b', 'c', 'd'], 'sorted'],
  [['SMEMBERS', 'noset'], []],
  [['SREM', 's', 'a', 'z'], 1],
  [['SREM', 's', 'a'], 0],
  [['SSCAN', 's', '0', 'MATCH', '[bc]'], ['0', ['b', 'c']], 'scan'],
  [['TYPE', 's'], 'set'],
  [['GET', 's'], WRONGTYPE],
  [['HGET', 's', 'a'], WRONGTYPE],
  [['SET', 's', 'over'], 'OK'],
  [['TYPE', 's'], 'string'],
  [['SCARD', 's'], WRONGTYPE],
  [['SADD', 'one', 'x'], 1],
  [['SPOP', 'one'], 'x'],
  [['SPOP', 'one'], null],
  [['EXISTS', 'one'], 0],
  [['SADD', 'two', 'x', 'y'], 2],
  [['SPOP', 'two', 5], ['x', 'y'], 'sorted'],
  [['SPOP', 'two', -1], 'ERR value is out of range, must be positive'],
  [['SPOP', 'two', 'x'], 'ERR value is out of range, must be positive'],
  [['SRANDMEMBER', 'noset'], null],
  [['SRANDMEMBER', 'noset', 3], []],
  [['SADD', 'r', 'only'], 1],
  [['SRANDMEMBER', 'r'], 'only'],
  [['SRANDMEMBER', 'r', 3], ['only']],
  [['SRANDMEMBER', 'r', -3], ['only', 'only', 'only']],
  [['SRANDMEMBER', 'r', 'x'], 'ERR value is not an integer or out of range'],
  [['ZADD', 'z', '1', 'a', '2', 'b', '0.1', 'c'], 3],
  [['ZADD', 'z', '5', 'a', '3', 'd'], 1],
  [['ZADD', 'z', 'CH', '6', 'a', '3', 'd', '4', 'e'], 2],
  [['ZADD', 'z', 'NX', '100', 'a', '7', 'f'], 1],
  [['ZADD', 'z', 'XX', '100', 'zz'], 0],
  [['ZADD', 'z', 'GT', 'CH', '1', 'a', '7', 'b'], 1],
  [['ZADD', 'z', 'LT', '0.5', 'e'], 0],
  [['ZSCORE', 'z', 'e'], '0.5'],
  [['ZADD', 'z', 'INCR', '1.5', 'c'], '1.6000000000000001'],
  [['ZADD', 'z', 'INCR', 'NX', '1', 'c'], null],
  [['ZADD', 'z', 'XX', 'NX', '1', 'a'], 'ERR XX and NX options at the same time are not compatible'],
  [['ZADD', 'z', 'GT', 'NX', '1', 'a'], 'ERR GT, LT, and/or NX options at the same time are not compatible'],
  [['ZADD', 'z', 'INCR', '1', 'a', '2', 'b'], 'ERR INCR option supports a single increment-element pair'],
  [['ZADD', 'z', '1', 'a', '2'], 'ERR syntax error'],
  [['ZADD', 'z', 'x', 'a'], 'ERR value is not a valid float'],
  [['ZADD', 'z', 'nan', 'a'], 'ERR value is not a valid float'],
  [['ZADD', 'z', 'INCR', '-inf', 'g'], '-inf'],
  [['ZINCRBY', 'z', 'inf', 'g'], 'ERR resulting score is not a number (NaN)'],
  [['ZINCRBY', 'z', '2', 'a'], '8'],
  [['ZINCRBY', 'z', '-0.25', 'a'], '7.75'],
  [['ZINCRBY', 'z', '0.25', 'a'], '8'],
  [['ZINCRBY', 'zi', '2.5', 'm'], '2.5'],
  [['ZSCORE', 'zi', 'm'], '2.5'],
  [['ZADD', 'zi', '10', 'm'], 0],
  [['ZINCRBY', 'zi', '1', 'm'], '11'],
  [['ZADD', 'zi', 'INCR', 'GT', '-1', 'm'], null],
  [['ZADD', 'zi', 'INCR', 'XX', '1', 'm'], '12'],
  [['ZRANGE', 'zi', '0', '-1', 'WITHSCORES'], ['m', '12']],
  [['ZREM', 'zi', 'm'], 1],
  [['ZSCORE', 'zi', 'm'], null],
  [['ZCARD', 'zi'], 0],
  [['EXISTS', 'zi'], 0],
  [['TYPE', 'zi'], 'none'],
  [['ZINCRBY', 'zi', '1', 'm'], '1'],
  [['ZINCRBY', 'zi', 'inf', 'm'], 'inf'],
  [['ZINCRBY', 'zi', '1', 'm'], 'inf'],
  [['ZINCRBY', 'zi', '-inf', 'm'], 'ERR resulting score is not a number (NaN)'],
  [['ZINCRBY', 'z', 'x', 'a'], 'ERR value is not a valid float'],
  [['ZSCORE', 'z', 'nope'], null],
  [['ZMSCORE', 'z', 'a', 'nope', 'c'], ['8', null, '1.6000000000000001']],
  [['ZCARD', 'z'], 7],
  [['ZRANGE', 'z', '0', '-1'], ['g', 'e', 'c', 'd', 'b', 'f', 'a']],
  [['ZRANGE', 'z', '0', '1', 'WITHSCORES'], ['g', '-inf', 'e', '0.5']],
  [['ZRANGE', 'z', '-2', '100', 'REV'], ['e', 'g']],
  [['ZRANGE', 'z', '(1.6', '7', 'BYSCORE'], ['d', 'b', 'f']],
  [['ZRANGE', 'z', '+inf', '3', 'BYSCORE', 'REV', 'LIMIT', '1', '2', 'WITHSCORES'], ['f', '7', 'b', '7']],
  [['ZRANGE', 'z', '0', '-1', 'LIMIT', '0', '1'], 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX'],
  [['ZRANGE', 'z', 'x', '2', 'BYSCORE'], 'ERR min or max is not a float'],
  [['ZRANGE', 'z', 'x', '2', 'BYLEX'], 'ERR min or max not valid string range item'],
  [['ZRANGE', 'z', '-', '+', 'BYLEX', 'WITHSCORES'], 'ERR syntax error, WITHSCORES not supported in combination with BYLEX'],
  [['ZRANGE', 'z', '0', 'x'], 'ERR value is not an integer or out of range'],
  [['ZRANGE', 'z', '0', '1', 'FOO'], 'ERR syntax error'],
  [['ZRANGEBYSCORE', 'z', '3', '7', 'WITHSCORES', 'LIMIT', '0', '2'], ['d', '3', 'b', '7']],
  [['ZRANGEBYSCORE', 'z', '-inf', '(0.5'], ['g']],
  [['ZREVRANGE', 'z', '0', '0', 'WITHSCORES'], ['a', '8']],
  [['ZCOUNT', 'z', '0', '7'], 5],
  [['ZCOUNT', 'z', 'x', '7'], 'ERR min or max is not a float'],
  [['ZRANK', 'z', 'c'], 2],
  [['ZREVRANK', 'z', 'c'], 4],
  [['ZRANK', 'z', 'nope'], null],
  [['ZREM', 'z', 'g', 'nope'], 1],
  [['ZPOPMIN', 'z'], ['e', '0.5']],
  [['ZPOPMAX', 'z', '2'], ['a', '8', 'f', '7']],
  [['ZPOPMIN', 'z', '-1'], 'ERR value is out of range, must be positive'],
  [['ZSCAN', 'z', '0', 'MATCH', 'd'], ['0', ['d', '3']]],
  [['TYPE', 'z'], 'zset'],
  [['GET', 'z'], WRONGTYPE],
  [['SADD', 'z', 'm'], WRONGTYPE],
  [['ZADD', 'h2', '1', 'a'], 1],
  [['ZADD', 'lex', '0', 'a', '0', 'b', '0', 'c', '0', 'd'], 4],
  [['ZRANGE', 'lex', '[b', '(d', 'BYLEX'], ['b', 'c']],
  [['ZRANGE', 'lex', '+', '-', 'BYLEX', 'REV', 'LIMIT', '0', '2'], ['d', 'c']],
  [['ZPOPMIN', 'nozset'], []],
  [['ZCARD', 'nozset'], 0],
  [['HSET', 'z', 'f', 'v'], WRONGTYPE],
  ...(['HSET', 'HGET', 'HMGET', 'HDEL', 'HGETALL', 'HLEN', 'HEXISTS', 'HKEYS', 'HVALS', 'HINCRBY', 'HINCRBYFLOAT', 'HSCAN', 'HSTRLEN', 'HMSET',
    'SADD', 'SREM', 'SMEMBERS', 'SISMEMBER', 'SMISMEMBER', 'SCARD', 'SPOP', 'SRANDMEMBER', 'SSCAN',
    'ZADD', 'ZINCRBY', 'ZREM', 'ZPOPMIN', 'ZPOPMAX', 'ZSCORE', 'ZMSCORE', 'ZCARD', 'ZRANK', 'ZREVRANK', 'ZRANGE', 'ZREVRANGE', 'ZRANGEBYSCORE', 'ZCOUNT', 'ZSCAN']
    .map((name): Step => [[name], `ERR wrong number of arguments for '${name.toLowerCase()}' command`])),
];

function call(client: Redis, args: readonly (string | number)[]): Promise<unknown> {
  const [name, ...rest] = args;
  return client.call(String(name), ...rest.map(String)).then((reply) => reply, (error: unknown) => (error as Error).message);
}

function normalize(reply: unknown, unordered: Step[2]): unknown {
  if (!Array.isArray(reply) || unordered === undefined) return reply;
  if (unordered === 'sorted') return [...(reply as string[])].sort();
  if (unordered === 'scan') return [reply[0], [...(reply[1] as string[])].sort()];
  const pairs: string[][] = [];
  for (let i = 0; i < reply.length; i += 2) pairs.push([String(reply[i]), String(reply[i + 1])]);
  return pairs.sort((a, b) => (a[0] as string).localeCompare(b[0] as string)).flat();
}

async function runScript(client: Redis, prefix: string): Promise<unknown[]> {
  const replies: unknown[] = [];
  for (const [args, , unordered] of SCRIPT) {
    const keyed = args.map((arg, index) => (index === 1 || (String(args[0]) === 'MGET' && index > 1) ? `${prefix}${String(arg)}` : arg));
    replies.push(normalize(await call(client, keyed), unordered));
  }
  return replies;
}

function expectScript(replies: unknown[]): void {
  SCRIPT.forEach(([args, expected], index) => {
    expect({ args, reply: replies[index] }).toEqual({ args, reply: expected });
  });
}

let client: Redis;
let running: ProxyUnderTest;

beforeAll(async () => {
  running = await startProxyUnderTest();
  ({ client } = running);
});

afterAll(async () => {
  await running.stop();
});

describe('hashes and sets through the proxy', () => {
  it('answers the script as Redis 7 does', async () => {
    expectScript(await runScript(client, 'co:'));
  });
});

async function drain(stream: AsyncIterable<unknown>): Promise<{ batches: number; items: string[] }> {
  const items: string[] = [];
  let batches = 0;
  for await (const batch of stream) {
    batches++;
    items.push(...(batch as string[]));
  }
  return { batches, items };
}

describe('HSCAN, SSCAN and ZSCAN page a large collection through a real cursor', () => {
  it('ioredis hscanStream, sscanStream and zscanStream see every element once, over several pages', async () => {
    const fields = Array.from({ length: 300 }, (_, i) => `f${String(i)}`);
    for (let i = 0; i < fields.length; i += 100) {
      const chunk = fields.slice(i, i + 100);
      await client.hset('co:big-h', ...chunk.flatMap((field) => [field, `v-${field}`]));
      await client.sadd('co:big-s', ...chunk);
      await client.zadd('co:big-z', ...chunk.flatMap((field) => [field.slice(1), field]));
    }
    const [cursor, first] = await client.hscan('co:big-h', '0', 'COUNT', '20');
    expect(cursor).not.toBe('0');
    expect(first.length).toBeGreaterThanOrEqual(40);
    const hash = await drain(client.hscanStream('co:big-h', { count: 50 }));
    expect(hash.batches).toBeGreaterThan(3);
    const pairs = new Map<string, string>();
    for (let i = 0; i < hash.items.length; i += 2) pairs.set(hash.items[i] as string, hash.items[i + 1] as string);
    expect(hash.items.length).toBe(600);
    expect([...pairs.keys()].sort()).toEqual([...fields].sort());
    expect(pairs.get('f7')).toBe('v-f7');
    const noValues = await drain(client.hscanStream('co:big-h', { count: 50, noValues: true }));
    expect(noValues.items.sort()).toEqual([...fields].sort());
    const set = await drain(client.sscanStream('co:big-s', { count: 50, match: 'f1*' }));
    expect(set.items.sort()).toEqual(fields.filter((field) => field.startsWith('f1')).sort());
    const zset = await drain(client.zscanStream('co:big-z', { count: 50 }));
    expect(zset.items.length).toBe(600);
    for (let i = 0; i < zset.items.length; i += 2) expect(zset.items[i + 1]).toBe((zset.items[i] as string).slice(1));
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
    expectScript(await runScript(peer, 'co:'));
  });
});
