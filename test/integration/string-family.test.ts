import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBareRedis } from '../../load/peers.js';
import type { RunningPeer } from '../../load/peers.js';
import { hasCommand } from '../../load/processes.js';
import { ProxyServer } from '../../src/proxy/index.js';
import { InProcessCluster } from '../helpers/in-process-cluster.js';
import { startProxyUnderTest } from '../helpers/proxy-under-test.js';
import type { ProxyUnderTest } from '../helpers/proxy-under-test.js';
import { testPort } from '../support/ports.js';

/**
 * The string family and its key commands, driven by ioredis against the proxy and, where
 * redis-server is installed, against a real Redis with the same script: every reply is written
 * out below, so the proxy is checked even without Redis, and Redis checks the expectations.
 */
type Step = readonly [args: readonly (string | number)[], expected: unknown];

const FAR = 99_999_999_999;

const SCRIPT: readonly Step[] = [
  [['SET', 's', 'hello'], 'OK'],
  [['APPEND', 's', ' world'], 11],
  [['STRLEN', 's'], 11],
  [['STRLEN', 'nope'], 0],
  [['APPEND', 'fresh', 'abc'], 3],
  [['GET', 'fresh'], 'abc'],
  [['GETSET', 's', 'x'], 'hello world'],
  [['GETSET', 'nope2', 'y'], null],
  [['GET', 'nope2'], 'y'],
  [['GETDEL', 's'], 'x'],
  [['GETDEL', 's'], null],
  [['GET', 's'], null],
  [['SETEX', 'e', 100, 'v'], 'OK'],
  [['TTL', 'e'], 100],
  [['SETEX', 'e', 0, 'v'], "ERR invalid expire time in 'setex' command"],
  [['SETEX', 'e', -5, 'v'], "ERR invalid expire time in 'setex' command"],
  [['SETEX', 'e', 'abc', 'v'], 'ERR value is not an integer or out of range'],
  [['PSETEX', 'p', 100_000, 'v'], 'OK'],
  [['PSETEX', 'p', 0, 'v'], "ERR invalid expire time in 'psetex' command"],
  [['GET', 'p'], 'v'],
  [['GETEX', 'e'], 'v'],
  [['GETEX', 'e', 'PERSIST'], 'v'],
  [['TTL', 'e'], -1],
  [['GETEX', 'e', 'EX', 50], 'v'],
  [['TTL', 'e'], 50],
  [['GETEX', 'e', 'ex', 0], "ERR invalid expire time in 'getex' command"],
  [['GETEX', 'e', 'EX', 'abc'], 'ERR value is not an integer or out of range'],
  [['GETEX', 'e', 'FOO'], 'ERR syntax error'],
  [['GETEX', 'e', 'EX', 10, 'PX', 10], 'ERR syntax error'],
  [['GETEX', 'e', 'PERSIST', 'EX', 10], 'ERR syntax error'],
  [['GETEX', 'e', 'EX'], 'ERR syntax error'],
  [['GETEX', 'e', 'KEEPTTL'], 'ERR syntax error'],
  [['GETEX', 'nope3', 'EX', 10], null],
  [['GETEX', 'e', 'PXAT', FAR * 1000], 'v'],
  [['PEXPIRETIME', 'e'], FAR * 1000],
  [['GETEX', 'e', 'PXAT', 1], 'v'],
  [['GET', 'e'], null],
  [['SET', 'a', '1'], 'OK'],
  [['EXPIREAT', 'a', FAR], 1],
  [['EXPIRETIME', 'a'], FAR],
  [['PEXPIRETIME', 'a'], FAR * 1000],
  [['EXPIREAT', 'a', FAR, 'NX'], 0],
  [['EXPIREAT', 'a', FAR + 1, 'GT'], 1],
  [['EXPIREAT', 'a', 1, 'GT', 'LT'], 'ERR GT and LT options at the same time are not compatible'],
  [['EXPIREAT', 'a', 'x'], 'ERR value is not an integer or out of range'],
  [['PEXPIREAT', 'a', FAR * 1000], 1],
  [['EXPIRETIME', 'a'], FAR],
  [['EXPIREAT', 'a', 1], 1],
  [['EXISTS', 'a'], 0],
  [['EXPIREAT', 'nope', 10], 0],
  [['SET', 'b', '1', 'EX', 100], 'OK'],
  [['PERSIST', 'b'], 1],
  [['PERSIST', 'b'], 0],
  [['PERSIST', 'nope'], 0],
  [['TTL', 'b'], -1],
  [['EXPIRETIME', 'b'], -1],
  [['EXPIRETIME', 'nope'], -2],
  [['PEXPIRETIME', 'nope'], -2],
  [['TYPE', 'b'], 'string'],
  [['TYPE', 'nope'], 'none'],
  [['TOUCH', 'b', 'b', 'nope'], 2],
  [['UNLINK', 'b', 'nope', 'b'], 1],
  [['EXISTS', 'b'], 0],
  [['INCR', 'c'], 1],
  [['INCRBY', 'c', 41], 42],
  [['DECR', 'c'], 41],
  [['DECRBY', 'c', -9], 50],
  [['GET', 'c'], '50'],
  [['TYPE', 'c'], 'string'],
  [['STRLEN', 'c'], 2],
  [['INCRBY', 'c', 'x'], 'ERR value is not an integer or out of range'],
  [['INCRBY', 'c', '1.5'], 'ERR value is not an integer or out of range'],
  [['INCRBY', 'c', '9223372036854775807'], 'ERR increment or decrement would overflow'],
  [['DECRBY', 'c', '-9223372036854775808'], 'ERR decrement would overflow'],
  [['GET', 'c'], '50'],
  [['SET', 'c', '10'], 'OK'],
  [['INCR', 'c'], 11],
  [['SET', 'c', '9223372036854775806'], 'OK'],
  // ioredis turns integer replies into (rounded) numbers: the exact value is checked by GET.
  [['INCR', 'c'], expect.any(Number)],
  [['GET', 'c'], '9223372036854775807'],
  [['INCR', 'c'], 'ERR increment or decrement would overflow'],
  [['SET', 'c', '-9223372036854775808'], 'OK'],
  [['DECR', 'c'], 'ERR increment or decrement would overflow'],
  [['SET', 'c', 'hello'], 'OK'],
  [['INCR', 'c'], 'ERR value is not an integer or out of range'],
  [['SET', 'c', ' 1'], 'OK'],
  [['INCR', 'c'], 'ERR value is not an integer or out of range'],
  [['SET', 'c', '5', 'EX', 100], 'OK'],
  [['INCR', 'c'], 6],
  [['TTL', 'c'], 100],
  [['DEL', 'c'], 1],
  [['INCR', 'c'], 1],
  [['GETDEL', 'c'], '1'],
  [['EXISTS', 'c'], 0],
  [['INCRBYFLOAT', 'f', '10.5'], '10.5'],
  [['INCRBYFLOAT', 'f', '0.1'], '10.6'],
  [['INCRBYFLOAT', 'f', '-5'], '5.6'],
  [['INCRBYFLOAT', 'f', 'abc'], 'ERR value is not a valid float'],
  [['SET', 'f', '5.0e3'], 'OK'],
  [['INCRBYFLOAT', 'f', '2.0e2'], '5200'],
  [['INCRBYFLOAT', 'f', 'inf'], 'ERR increment would produce NaN or Infinity'],
  [['INCRBYFLOAT', 'f', ' 1'], 'ERR value is not a valid float'],
  [['INCRBYFLOAT', 'g', '3'], '3'],
  [['INCRBYFLOAT', 'g', '1.1e20'], '110000000000000000000'],
  [['SET', 'f', 'x'], 'OK'],
  [['INCRBYFLOAT', 'f', '1'], 'ERR value is not a valid float'],
  [['CONFIG', 'GET', 'nosuchparameter'], []],
  [['CONFIG', 'GET'], "ERR wrong number of arguments for 'config|get' command"],
  [['CONFIG'], "ERR wrong number of arguments for 'config' command"],
  [['CONFIG', 'FOO'], "ERR unknown subcommand 'FOO'. Try CONFIG HELP."],
  [['TIME', 'x'], "ERR wrong number of arguments for 'time' command"],
  ...(['INCR', 'DECR', 'INCRBY', 'DECRBY', 'INCRBYFLOAT', 'SETEX', 'PSETEX', 'GETSET', 'GETDEL', 'GETEX', 'APPEND', 'STRLEN', 'UNLINK', 'TOUCH', 'EXPIREAT', 'PEXPIREAT', 'PERSIST',
    'EXPIRETIME', 'PEXPIRETIME', 'TYPE'].map((name): Step => [[name], `ERR wrong number of arguments for '${name.toLowerCase()}' command`])),
];

function call(client: Redis, args: readonly (string | number)[]): Promise<unknown> {
  const [name, ...rest] = args;
  return client.call(String(name), ...rest.map(String)).then((reply) => reply, (error: unknown) => (error as Error).message);
}

async function runScript(client: Redis, prefix: string): Promise<unknown[]> {
  const replies: unknown[] = [];
  for (const [args] of SCRIPT) {
    // Keys get a prefix so the two targets and reruns never share one; names and options do not.
    const keyed = args.map((arg, index) => (index === 1 && !['CONFIG', 'TIME'].includes(String(args[0])) ? `${prefix}${String(arg)}` : arg));
    const isMultiKey = ['TOUCH', 'UNLINK'].includes(String(args[0]));
    replies.push(await call(client, isMultiKey ? args.map((arg, index) => (index >= 1 ? `${prefix}${String(arg)}` : arg)) : keyed));
  }
  return replies;
}

function expectScript(replies: unknown[]): void {
  SCRIPT.forEach(([args, expected], index) => {
    expect({ args, reply: replies[index] }).toEqual({ args, reply: expected });
  });
}

let proxy: ProxyServer;
let client: Redis;
let running: ProxyUnderTest;

beforeAll(async () => {
  running = await startProxyUnderTest();
  ({ proxy, client } = running);
});

afterAll(async () => {
  await running.stop();
});

describe('the string family through the proxy', () => {
  it('answers the script as Redis 7 does', async () => {
    expectScript(await runScript(client, 'sf:'));
  });

  it('TIME is the wall clock as [seconds, microseconds]; CONFIG GET answers its fixed parameters', async () => {
    const [seconds, micros] = await client.call('TIME') as [string, string];
    expect(Math.abs(Number(seconds) - Date.now() / 1000)).toBeLessThan(5);
    expect(Number(micros)).toBeGreaterThanOrEqual(0);
    expect(Number(micros)).toBeLessThan(1_000_000);
    expect(await client.call('CONFIG', 'GET', 'save')).toEqual(['save', '']);
    expect(await client.call('CONFIG', 'GET', 'appendonly', 'SAVE', 's*')).toEqual(['appendonly', 'no', 'save', '']);
    expect(await client.call('CONFIG', 'GET', 'databases')).toEqual(['databases', '1']);
    expect(await client.call('CONFIG', 'GET', 'port')).toEqual(['port', String(proxy.respPort)]);
    expect(await call(client, ['CONFIG', 'SET', 'save', ''])).toMatch(/^ERR CONFIG SET, REWRITE and RESETSTAT are not offered/);
  });

  it('answers list commands with why they are not offered, whatever the arguments', async () => {
    for (const args of [['LPUSH', 'l', 'a'], ['RPOP', 'l'], ['LRANGE', 'l', '0', '-1'], ['BLPOP', 'l', '0'], ['LLEN']]) {
      expect(await call(client, args)).toMatch(/^ERR lists are not offered by ringcache: list positions do not converge/);
    }
  });

  it('APPEND refuses to grow a value past limits.valueBytesMax and leaves it unchanged', async () => {
    const small = new InProcessCluster({ config: ['proxy.respPort=0', 'proxy.httpPort=0', 'limits.valueBytesMax=8'] });
    const server = new ProxyServer(small.proxyDeps());
    await server.start();
    const limited = new Redis({ host: '127.0.0.1', port: server.respPort, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await limited.connect();
      expect(await limited.append('k', '12345')).toBe(5);
      expect(await call(limited, ['APPEND', 'k', '6789'])).toMatch(/value of 9 bytes is over limits.valueBytesMax=8/);
      expect(await limited.get('k')).toBe('12345');
    } finally {
      limited.disconnect();
      await server.stop();
    }
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
    expectScript(await runScript(peer, 'sf:'));
  });
});
