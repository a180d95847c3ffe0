import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProxyRespHandler } from '../../src/proxy/index.js';
import { ContextTokens } from '../../src/version/index.js';

/** The proxies under test run with no cluster.token. */
const tokens = new ContextTokens('');
import { InProcessCluster } from '../helpers/in-process-cluster.js';
import { FakeConnection, RespDriver } from '../helpers/resp-driver.js';
import type { Plain } from '../helpers/resp-driver.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: InProcessCluster;
let handler: ProxyRespHandler;
let redis: RespDriver;
let registry: Registry;

function start(options: ConstructorParameters<typeof InProcessCluster>[0] = {}): void {
  cluster = new InProcessCluster(options);
  registry = new Registry();
  handler = new ProxyRespHandler(cluster.proxyDeps({ registry }));
  redis = new RespDriver(handler);
}

beforeEach(() => { start(); });
afterEach(async () => { await cluster.stop(); });

describe('connection commands', () => {
  it('PING, ECHO, SELECT, QUIT answer as Redis', async () => {
    expect(await redis.text('PING')).toBe('+PONG\r\n');
    expect(await redis.text('ping', 'hi')).toBe('$2\r\nhi\r\n');
    expect(await redis.text('PING', 'a', 'b')).toBe("-ERR wrong number of arguments for 'ping' command\r\n");
    expect(await redis.text('ECHO', 'x y')).toBe('$3\r\nx y\r\n');
    expect(await redis.text('ECHO')).toBe("-ERR wrong number of arguments for 'echo' command\r\n");
    expect(await redis.text('SELECT', '0')).toBe('+OK\r\n');
    expect(await redis.text('SELECT', '1')).toBe('-ERR DB index is out of range\r\n');
    expect(await redis.text('SELECT', '-1')).toBe('-ERR DB index is out of range\r\n');
    expect(await redis.text('SELECT', 'abc')).toBe('-ERR value is not an integer or out of range\r\n');
    expect(await redis.text('SELECT', '0', '1')).toBe("-ERR wrong number of arguments for 'select' command\r\n");
    expect(await redis.text('QUIT')).toBe('+OK\r\n');
  });

  it('answers unknown commands with Redis\'s exact text, name as typed', async () => {
    expect(await redis.text('foo', 'a', 'b')).toBe("-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n");
    expect(await redis.text('FOO')).toBe("-ERR unknown command 'FOO', with args beginning with: \r\n");
    expect(await redis.text('ZUNIONSTORE', 'k', 'f', 'v')).toBe("-ERR unknown command 'ZUNIONSTORE', with args beginning with: 'k' 'f' 'v' \r\n");
    const long = await redis.text('x', 'a'.repeat(300), 'b');
    expect(long).toBe(`-ERR unknown command 'x', with args beginning with: '${'a'.repeat(128)}' \r\n`);
    expect(await redis.text('x'.repeat(100))).toContain('unknown command');
  });

  it('answers arity errors with the command\'s lowercase name', async () => {
    for (const [args, name] of [[['GET'], 'get'], [['get', 'a', 'b'], 'get'], [['SET', 'a'], 'set'], [['DEL'], 'del'], [['EXISTS'], 'exists'],
      [['MGET'], 'mget'], [['MSET', 'a'], 'mset'], [['MSET', 'a', '1', 'b'], 'mset'], [['EXPIRE', 'a'], 'expire'], [['TTL'], 'ttl'],
      [['PTTL', 'a', 'b'], 'pttl'], [['RC.GETV'], 'rc.getv'], [['RC.SETV', 'k', 'v'], 'rc.setv'], [['RC.ROUTE'], 'rc.route'], [['AUTH'], 'auth']] as const) {
      expect(await redis.text(...args)).toBe(`-ERR wrong number of arguments for '${name}' command\r\n`);
    }
  });

  it('AUTH without a configured password answers Redis\'s exact error', async () => {
    expect(await redis.text('AUTH', 'x')).toBe('-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n');
    expect(await redis.text('AUTH', 'default', 'anything')).toBe('+OK\r\n');
    expect(await redis.text('AUTH', 'bob', 'anything')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect(await redis.text('AUTH', 'a', 'b', 'c')).toBe('-ERR syntax error\r\n');
  });

  it('with proxy.password, every command but AUTH, HELLO and QUIT wants authentication', async () => {
    start({ config: ['proxy.password=s3cret'] });
    expect(await redis.text('PING')).toBe('-NOAUTH Authentication required.\r\n');
    expect(await redis.text('GET', 'k')).toBe('-NOAUTH Authentication required.\r\n');
    expect(await redis.text('CLIENT', 'SETNAME', 'x')).toBe('-NOAUTH Authentication required.\r\n');
    // As Redis: unknown commands and arity errors are answered before the authentication check.
    expect(await redis.text('FOO')).toBe("-ERR unknown command 'FOO', with args beginning with: \r\n");
    expect(await redis.text('HELLO')).toMatch(/^-NOAUTH HELLO must be called with the client already authenticated/);
    expect(await redis.text('AUTH', 'wrong')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect(await redis.text('PING')).toBe('-NOAUTH Authentication required.\r\n');
    expect(await redis.text('AUTH', 's3cret')).toBe('+OK\r\n');
    expect(await redis.text('PING')).toBe('+PONG\r\n');
    const other = new RespDriver(handler, new FakeConnection(2));
    expect(await other.text('GET', 'k')).toBe('-NOAUTH Authentication required.\r\n');
    expect(await other.call('HELLO', '2', 'AUTH', 'default', 's3cret')).toEqual(
      ['server', 'redis', 'version', '7.0.0', 'proto', 2, 'id', 2, 'mode', 'standalone', 'role', 'master', 'modules', []]);
    expect(await other.text('PING')).toBe('+PONG\r\n');
    const third = new RespDriver(handler, new FakeConnection(3));
    expect(await third.text('AUTH', 'default', 's3cret')).toBe('+OK\r\n');
    expect(await third.text('QUIT')).toBe('+OK\r\n');
  });

  it('HELLO speaks RESP2 only', async () => {
    expect(await redis.call('HELLO')).toEqual(['server', 'redis', 'version', '7.0.0', 'proto', 2, 'id', 1, 'mode', 'standalone', 'role', 'master', 'modules', []]);
    expect(await redis.text('HELLO', '3')).toBe('-NOPROTO unsupported protocol version\r\n');
    expect(await redis.text('HELLO', 'x')).toBe('-ERR Protocol version is not an integer or out of range\r\n');
    expect(await redis.text('HELLO', '2', 'FOO')).toBe("-ERR Syntax error in HELLO option 'FOO'\r\n");
    await redis.call('HELLO', '2', 'SETNAME', 'worker-1');
    expect(await redis.call('CLIENT', 'GETNAME')).toBe('worker-1');
  });

  it('CLIENT SETNAME / GETNAME / ID / SETINFO / INFO / LIST', async () => {
    expect(await redis.call('CLIENT', 'GETNAME')).toBeNull();
    expect(await redis.text('CLIENT', 'SETNAME', 'a b')).toBe('-ERR Client names cannot contain spaces, newlines or special characters.\r\n');
    expect(await redis.text('client', 'setname', 'app')).toBe('+OK\r\n');
    expect(await redis.call('CLIENT', 'GETNAME')).toBe('app');
    expect(await redis.call('CLIENT', 'ID')).toBe(1);
    expect(await redis.text('CLIENT', 'SETINFO', 'LIB-NAME', 'ioredis')).toBe('+OK\r\n');
    expect(await redis.text('CLIENT', 'SETINFO', 'lib-ver', '5.11.1')).toBe('+OK\r\n');
    expect(await redis.text('CLIENT', 'SETINFO', 'foo', 'x')).toBe("-ERR Unrecognized option 'foo'\r\n");
    expect(await redis.text('CLIENT', 'SETINFO', 'LIB-NAME', 'a b')).toBe('-ERR LIB-NAME cannot contain spaces, newlines or special characters.\r\n');
    const info = await redis.call('CLIENT', 'INFO') as string;
    expect(info).toMatch(/^id=1 addr=127\.0\.0\.1:40001 laddr=\S+ fd=-1 name=app age=\d+ idle=\d+ flags=N db=0 .* lib-name=ioredis lib-ver=5\.11\.1\n$/);
    expect(info).toContain('cmd=client|info'.replace('|info', ''));
    expect(await redis.call('CLIENT', 'LIST')).toBe('');
    expect(await redis.text('CLIENT', 'LIST', 'TYPE', 'bogus')).toBe("-ERR Unknown client type 'bogus'\r\n");
    expect(await redis.text('CLIENT', 'LIST', 'foo')).toBe('-ERR syntax error\r\n');
    expect(await redis.text('CLIENT')).toBe("-ERR wrong number of arguments for 'client' command\r\n");
    expect(await redis.text('CLIENT', 'SETNAME')).toBe("-ERR wrong number of arguments for 'client|setname' command\r\n");
    expect(await redis.text('CLIENT', 'GETNAME', 'x')).toBe("-ERR wrong number of arguments for 'client|getname' command\r\n");
    expect(await redis.text('CLIENT', 'foo')).toBe("-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n");
    expect(Array.isArray(await redis.call('CLIENT', 'HELP'))).toBe(true);
  });
});

describe('COMMAND and INFO', () => {
  it('COMMAND COUNT / INFO / DOCS / LIST describe the proxy\'s commands', async () => {
    const count = await redis.call('COMMAND', 'COUNT') as number;
    // 22 of the first release, 17 of the string family and its key and server commands, 5 counter
    // commands, 22 list commands that refuse.
    expect(count).toBe(66 + 16 + 9 + 15 + 3);
    expect((await redis.call('COMMAND') as Plain[]).length).toBe(count);
    expect((await redis.call('COMMAND', 'LIST') as string[])).toContain('rc.getv');
    const [get, missing] = await redis.call('COMMAND', 'INFO', 'get', 'nosuch') as Plain[];
    expect(missing).toBeNull();
    expect((get as Plain[]).slice(0, 7)).toEqual(['get', 2, ['readonly', 'fast'], 1, 1, 1, ['@read', '@string', '@fast']]);
    const docs = await redis.call('COMMAND', 'DOCS', 'set') as Plain[];
    expect(docs[0]).toBe('set');
    const fields = docs[1] as Plain[];
    expect(fields.slice(0, 6)).toEqual(['summary', expect.any(String), 'since', '1.0.0', 'group', 'string']);
    expect(fields).toContain('arguments');
    expect(await redis.text('COMMAND', 'COUNT', 'x')).toBe("-ERR wrong number of arguments for 'command|count' command\r\n");
    expect(await redis.text('COMMAND', 'foo')).toBe("-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n");
    // Argument flags are status replies: redis-cli 7 asserts on it when it reads COMMAND DOCS.
    expect((await redis.text('COMMAND', 'DOCS', 'ping'))).toContain('*1\r\n+optional\r\n');
  });

  it('INFO has Redis\'s format and ringcache\'s facts', async () => {
    const all = await redis.call('INFO') as string;
    expect(all).toMatch(/^# Server\r\nredis_version:7\.0\.0\r\n/);
    for (const line of ['loading:0', 'role:master', 'table_epoch:1', 'replicas_n:3', 'quorum_r:2', 'quorum_w:2', 'servers:5', 'servers_down:0']) {
      expect(all).toContain(`\r\n${line}\r\n`);
    }
    expect(all).toContain('\r\n\r\n# Clients\r\n');
    const one = await redis.call('INFO', 'RINGCACHE') as string;
    expect(one.startsWith('# Ringcache\r\n')).toBe(true);
    expect(one).not.toContain('# Server');
    expect(await redis.call('INFO', 'nosuch')).toBe('');
    expect(await redis.call('INFO', 'server', 'stats')).toMatch(/# Server[\s\S]*# Stats/);
  });
});

describe('GET and SET', () => {
  it('round-trips values, answers nil for absent keys, takes names in any case', async () => {
    expect(await redis.call('GET', 'missing')).toBeNull();
    expect(await redis.text('SET', 'k', 'v1')).toBe('+OK\r\n');
    expect(await redis.call('gEt', 'k')).toBe('v1');
    expect(await redis.text('set', 'k', 'v2')).toBe('+OK\r\n');
    expect(await redis.call('GET', 'k')).toBe('v2');
    expect(await redis.text('SET', 'empty', '')).toBe('+OK\r\n');
    expect(await redis.text('GET', 'empty')).toBe('$0\r\n\r\n');
  });

  it('keeps binary keys and values byte for byte', async () => {
    const key = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x80, 0x20]);
    const value = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(await redis.text('SET', key, value)).toBe('+OK\r\n');
    const reply = await redis.value('GET', key);
    expect(reply.kind === 'bulk' && reply.value?.equals(value)).toBe(true);
    expect(await redis.call('GET', Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x80]))).toBeNull();
  });

  it('parses SET options like Redis 7', async () => {
    expect(await redis.text('SET', 'a', '1', 'EX')).toBe('-ERR syntax error\r\n');
    expect(await redis.text('SET', 'a', '1', 'EX', '10', 'PX', '10')).toBe('-ERR syntax error\r\n');
    expect(await redis.text('SET', 'a', '1', 'EX', '10', 'KEEPTTL')).toBe('-ERR syntax error\r\n');
    expect(await redis.text('SET', 'a', '1', 'KEEPTTL', 'EX', '10')).toBe('-ERR syntax error\r\n');
    expect(await redis.text('SET', 'a', '1', 'foo')).toBe('-ERR syntax error\r\n');
    expect(await redis.text('SET', 'a', '1', 'NX', 'XX')).toBe('-ERR syntax error\r\n');
    for (const bad of ['abc', '010', '+5', ' 5', '5.0', '-0', '']) {
      expect(await redis.text('SET', 'a', '1', 'EX', bad)).toBe('-ERR value is not an integer or out of range\r\n');
    }
    for (const [unit, value] of [['EX', '0'], ['EX', '-1'], ['PX', '0'], ['EXAT', '0'], ['EX', '9223372036854775807'], ['PX', '99999999999999999']]) {
      expect(await redis.text('SET', 'a', '1', unit!, value!)).toBe("-ERR invalid expire time in 'set' command\r\n");
    }
    expect(await redis.text('SET', 'a', '1', 'EX', '10', 'EX', '20')).toBe('+OK\r\n');
    expect(await redis.call('TTL', 'a')).toBe(20);
  });

  it('refuses NX and XX: ringcache has no compare-and-set', async () => {
    for (const option of ['NX', 'xx']) {
      expect(await redis.text('SET', 'a', '1', option)).toMatch(/^-ERR SET NX and XX need compare-and-set, which ringcache does not offer/);
    }
    expect(await redis.call('GET', 'a')).toBeNull();
  });

  it('SET ... GET answers the previous value, KEEPTTL keeps the expiry', async () => {
    expect(await redis.call('SET', 'a', '1', 'GET')).toBeNull();
    expect(await redis.call('SET', 'a', '2', 'GET', 'EX', '100')).toBe('1');
    expect(await redis.call('TTL', 'a')).toBe(100);
    expect(await redis.call('SET', 'a', '3', 'KEEPTTL')).toBe('OK');
    expect(await redis.call('GET', 'a')).toBe('3');
    expect(await redis.call('TTL', 'a')).toBe(100);
    expect(await redis.call('SET', 'a', '4')).toBe('OK');
    expect(await redis.call('TTL', 'a')).toBe(-1);
  });

  it('EX, PX, EXAT and PXAT expire keys for GET, EXISTS and TTL', async () => {
    await redis.call('SET', 'px', 'v', 'PX', '120');
    const pttl = await redis.call('PTTL', 'px') as number;
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(120);
    expect(await redis.call('TTL', 'px')).toBe(0);
    await redis.call('SET', 'pxat', 'v', 'PXAT', String(Date.now() + 120));
    await redis.call('SET', 'exat', 'v', 'EXAT', String(Math.floor(Date.now() / 1000) + 100));
    expect(await redis.call('TTL', 'exat')).toBeGreaterThanOrEqual(99);
    await redis.call('SET', 'past', 'v', 'PXAT', '1');
    expect(await redis.call('GET', 'past')).toBeNull();
    await sleep(200);
    for (const key of ['px', 'pxat']) {
      expect(await redis.call('GET', key)).toBeNull();
      expect(await redis.call('EXISTS', key)).toBe(0);
      expect(await redis.call('TTL', key)).toBe(-2);
      expect(await redis.call('PTTL', key)).toBe(-2);
    }
    expect(await redis.call('GET', 'exat')).toBe('v');
  });
});

describe('DEL, EXISTS, EXPIRE, TTL', () => {
  it('DEL and EXISTS count like Redis, and deleted keys are invisible', async () => {
    await redis.call('MSET', 'a', '1', 'b', '2');
    expect(await redis.call('EXISTS', 'a', 'a', 'b', 'c')).toBe(3);
    expect(await redis.call('DEL', 'a', 'a', 'c')).toBe(1);
    expect(await redis.call('GET', 'a')).toBeNull();
    expect(await redis.call('EXISTS', 'a')).toBe(0);
    expect(await redis.call('TTL', 'a')).toBe(-2);
    expect(await redis.call('DEL', 'a')).toBe(0);
    expect(await redis.call('DEL', 'b', 'a')).toBe(1);
    // The delete is a tombstone with the read's context: every replica holds it, no value left.
    for (const state of cluster.replicaStates(Buffer.from('b')).values()) {
      expect(state?.siblings.every((sibling) => sibling.value === null)).toBe(true);
    }
    await redis.call('SET', 'a', 'again');
    expect(await redis.call('GET', 'a')).toBe('again');
  });

  it('TTL and PTTL: -2 absent, -1 no expiry, Redis rounding', async () => {
    expect(await redis.call('TTL', 'nosuch')).toBe(-2);
    await redis.call('SET', 'k', 'v');
    expect(await redis.call('TTL', 'k')).toBe(-1);
    expect(await redis.call('PTTL', 'k')).toBe(-1);
    await redis.call('SET', 'k', 'v', 'PX', '1600');
    expect(await redis.call('TTL', 'k')).toBe(2);
    await redis.call('SET', 'k', 'v', 'PX', '1400');
    expect(await redis.call('TTL', 'k')).toBe(1);
  });

  it('EXPIRE and PEXPIRE rewrite with an absolute expiry; 0 when absent; NX/XX/GT/LT as Redis', async () => {
    expect(await redis.call('EXPIRE', 'k', '10')).toBe(0);
    await redis.call('SET', 'k', 'v');
    expect(await redis.call('EXPIRE', 'k', '100', 'GT')).toBe(0);
    expect(await redis.call('EXPIRE', 'k', '100', 'XX')).toBe(0);
    expect(await redis.call('EXPIRE', 'k', '100', 'LT')).toBe(1);
    expect(await redis.call('TTL', 'k')).toBe(100);
    expect(await redis.call('EXPIRE', 'k', '50', 'GT')).toBe(0);
    expect(await redis.call('EXPIRE', 'k', '200', 'NX')).toBe(0);
    expect(await redis.call('EXPIRE', 'k', '200', 'XX')).toBe(1);
    expect(await redis.call('TTL', 'k')).toBe(200);
    expect(await redis.call('GET', 'k')).toBe('v');
    expect(await redis.call('PEXPIRE', 'k', '100000')).toBe(1);
    expect(await redis.call('TTL', 'k')).toBe(100);
    expect(await redis.text('EXPIRE', 'k', 'abc')).toBe('-ERR value is not an integer or out of range\r\n');
    expect(await redis.text('EXPIRE', 'k', '1', 'foo')).toBe('-ERR Unsupported option foo\r\n');
    expect(await redis.text('EXPIRE', 'k', 'abc', 'foo')).toBe('-ERR Unsupported option foo\r\n');
    expect(await redis.text('EXPIRE', 'k', '1', 'NX', 'XX')).toBe('-ERR NX and XX, GT or LT options at the same time are not compatible\r\n');
    expect(await redis.text('EXPIRE', 'k', '1', 'GT', 'LT')).toBe('-ERR GT and LT options at the same time are not compatible\r\n');
    expect(await redis.text('EXPIRE', 'k', '9223372036854775807')).toBe("-ERR invalid expire time in 'expire' command\r\n");
    expect(await redis.text('PEXPIRE', 'k', '9223372036854775807')).toBe("-ERR invalid expire time in 'pexpire' command\r\n");
    expect(await redis.call('EXPIRE', 'k', '0')).toBe(1);
    expect(await redis.call('GET', 'k')).toBeNull();
    await redis.call('SET', 'k', 'v');
    expect(await redis.call('EXPIRE', 'k', '-5')).toBe(1);
    expect(await redis.call('EXISTS', 'k')).toBe(0);
    await redis.call('SET', 'short', 'v');
    expect(await redis.call('PEXPIRE', 'short', '80')).toBe(1);
    await sleep(150);
    expect(await redis.call('GET', 'short')).toBeNull();
    expect(await redis.call('PEXPIRE', 'short', '80')).toBe(0);
  });
});

describe('MGET and MSET', () => {
  it('MSET writes every pair (later pairs win), MGET answers values and nils in order', async () => {
    expect(await redis.text('MSET', 'a', '1', 'b', '2', 'a', '3')).toBe('+OK\r\n');
    expect(await redis.call('MGET', 'a', 'b', 'c', 'a')).toEqual(['3', '2', null, '3']);
    const many = Array.from({ length: 300 }, (_, i) => [`key:${String(i)}`, `value:${String(i)}`]).flat();
    expect(await redis.call('MSET', ...many)).toBe('OK');
    const values = await redis.call('MGET', ...many.filter((_, i) => i % 2 === 0)) as string[];
    expect(values).toEqual(many.filter((_, i) => i % 2 === 1));
  });

  it('an over-limit key or value anywhere stores nothing', async () => {
    start({ config: ['limits.keyBytesMax=16', 'limits.valueBytesMax=64'] });
    await redis.call('SET', 'kept', 'old');
    const before = cluster.storedState();
    expect(await redis.text('MSET', 'a', '1', 'b'.repeat(17), '2')).toBe('-ERR key of 17 bytes is outside 1..limits.keyBytesMax=16\r\n');
    expect(await redis.text('MSET', 'a', '1', 'kept', 'v'.repeat(65))).toBe('-ERR value of 65 bytes is over limits.valueBytesMax=64\r\n');
    expect(await redis.text('SET', 'k'.repeat(17), 'v')).toBe('-ERR key of 17 bytes is outside 1..limits.keyBytesMax=16\r\n');
    expect(await redis.text('SET', 'kept', 'v'.repeat(65))).toBe('-ERR value of 65 bytes is over limits.valueBytesMax=64\r\n');
    expect(await redis.text('GET', 'k'.repeat(17))).toBe('-ERR key of 17 bytes is outside 1..limits.keyBytesMax=16\r\n');
    expect(await redis.text('GET', '')).toBe('-ERR key of 0 bytes is outside 1..limits.keyBytesMax=16\r\n');
    expect(await redis.text('RC.SETV', 'kept', 'v'.repeat(65), '')).toBe('-ERR value of 65 bytes is over limits.valueBytesMax=64\r\n');
    expect(cluster.storedState()).toEqual(before);
    expect(await redis.call('SET', 'k'.repeat(16), 'v'.repeat(64))).toBe('OK');
  });
});

describe('ringcache commands', () => {
  it('two writes with the same old context become siblings; RC.SETV with the merged context resolves them', async () => {
    await redis.call('SET', 'cart', 'base');
    const [context0, siblings0] = await redis.call('RC.GETV', 'cart') as [string, Plain[][]];
    expect(siblings0.map((sibling) => sibling[0])).toEqual(['base']);
    const tokenA = await redis.call('RC.SETV', 'cart', 'milk', context0) as string;
    const tokenB = await redis.call('rc.setv', 'cart', 'eggs', context0) as string;
    expect(tokens.decode(tokenA).length).toBeGreaterThan(0);
    expect(tokenB).not.toBe(tokenA);
    const [merged, siblings] = await redis.call('RC.GETV', 'cart', 'R', '3') as [string, Plain[][]];
    expect(siblings.map((sibling) => sibling[0]).sort()).toEqual(['eggs', 'milk']);
    for (const sibling of siblings) {
      expect(sibling[1]).toMatch(/^n\d+\.[0-9a-z]+:\d+$/);
      expect(sibling[2]).toBeGreaterThan(Date.now() - 60_000);
      expect(sibling[3]).toBe(-1);
    }
    // Plain GET answers resolve()'s deterministic choice: the newest (same coordinator: the later dot).
    expect(await redis.call('GET', 'cart')).toBe(siblings[0]![0]);
    expect(await redis.call('EXISTS', 'cart')).toBe(1);
    await redis.call('RC.SETV', 'cart', 'milk,eggs', merged);
    const [, resolved] = await redis.call('RC.GETV', 'cart') as [string, Plain[][]];
    expect(resolved.map((sibling) => sibling[0])).toEqual(['milk,eggs']);
    expect(await redis.call('GET', 'cart')).toBe('milk,eggs');
  });

  it('RC.GETV of an absent key gives the empty context; RC.SETV takes "" or "-" for none, W and EX/PX', async () => {
    const [token, siblings] = await redis.call('RC.GETV', 'new') as [string, Plain[]];
    expect(tokens.decode(token)).toEqual([]);
    expect(siblings).toEqual([]);
    expect(typeof await redis.call('RC.SETV', 'new', 'v1', '')).toBe('string');
    expect(typeof await redis.call('RC.SETV', 'new', 'v2', '-', 'W', '3', 'EX', '100')).toBe('string');
    const [, after] = await redis.call('RC.GETV', 'new') as [string, Plain[][]];
    expect(after.length).toBe(1);
    expect(after[0]![0]).toBe('v2');
    expect(after[0]![3]).toBeGreaterThan(Date.now() + 90_000);
    expect(await redis.call('TTL', 'new')).toBe(100);
  });

  it('refuses bad contexts, bad R/W and bad options with coded errors', async () => {
    expect(await redis.text('RC.SETV', 'k', 'v', 'not a token')).toMatch(/^-ERR context token/);
    expect(await redis.text('RC.SETV', 'k', 'v', 'AQ')).toMatch(/^-ERR context token/);
    // Signed with another cluster.token: a forged or foreign context never reaches a replica.
    const foreign = new ContextTokens('another cluster').encode([{ actor: 'n1.x', counter: 1_000_000_000 }]);
    expect(await redis.text('RC.SETV', 'k', 'v', foreign)).toMatch(/^-ERR context token: signature does not match/);
    expect(await redis.text('RC.GETV', 'k', 'R', '0')).toBe('-ERR per-request r=0 is outside 1..N=3 (N is cluster.replicaCount)\r\n');
    expect(await redis.text('RC.GETV', 'k', 'R', '4')).toBe('-ERR per-request r=4 is outside 1..N=3 (N is cluster.replicaCount)\r\n');
    expect(await redis.text('RC.SETV', 'k', 'v', '', 'W', '9')).toBe('-ERR per-request w=9 is outside 1..N=3 (N is cluster.replicaCount)\r\n');
    expect(await redis.text('RC.GETV', 'k', 'R', 'x')).toBe('-ERR value is not an integer or out of range\r\n');
    expect(await redis.text('RC.GETV', 'k', 'R')).toBe('-ERR syntax error\r\n');
    expect(await redis.text('RC.GETV', 'k', 'Q', '1')).toBe('-ERR syntax error\r\n');
    expect(await redis.text('RC.SETV', 'k', 'v', '', 'EX', '1', 'PX', '5')).toBe('-ERR syntax error\r\n');
    expect(await redis.text('RC.SETV', 'k', 'v', '', 'EX', '0')).toBe("-ERR invalid expire time in 'rc.setv' command\r\n");
    expect(await redis.call('GET', 'k')).toBeNull();
  });

  it('RC.ROUTE tells where a key lives', async () => {
    const route = await redis.call('RC.ROUTE', 'user:42') as Plain[];
    const fields = new Map<string, Plain>();
    for (let i = 0; i < route.length; i += 2) fields.set(route[i] as string, route[i + 1]!);
    const row = cluster.rowOf(Buffer.from('user:42'));
    expect(fields.get('vnode')).toBe(cluster.table.vnodeOf(Buffer.from('user:42')));
    expect(fields.get('epoch')).toBe(1);
    expect(fields.get('replicas')).toEqual(row);
    expect(fields.get('live')).toEqual(row);
    expect(fields.get('down')).toEqual([]);
    expect(fields.get('coordinator')).toBe(row[0]);
    expect((fields.get('fallbacks') as string[]).length).toBe(2);
    expect(fields.get('pending')).toBeNull();
    expect(fields.get('type')).toBe('none');
    expect(fields.get('elements')).toBe(0);
    await redis.call('HSET', 'route:h', 'a', '1', 'b', '2');
    const typed = await redis.call('RC.ROUTE', 'route:h') as Plain[];
    expect(typed.slice(-4)).toEqual(['type', 'hash', 'elements', 2]);
  });
});

describe('pipelined commands on one connection', () => {
  it('a read waits for the connection\'s earlier write of its key; writes of a key stay in order', async () => {
    start({ latencyMs: 5 });
    const connection = new FakeConnection(7);
    const send = (...args: string[]): Promise<Plain> =>
      Promise.resolve(handler.onCommand(args.map((arg) => Buffer.from(arg)), connection)).then((reply) => new RespDriver({ onCommand: () => reply }).call());
    // Sent back to back, as a pipeline: without ordering, the GETs could read before the SETs land.
    const replies = await Promise.all([
      send('SET', 'k', 'first'), send('SET', 'k', 'second'), send('GET', 'k'), send('MSET', 'k', 'third', 'j', '1'),
      send('MGET', 'j', 'k'), send('DEL', 'k'), send('EXISTS', 'k'), send('SET', 'k', 'last'), send('GET', 'k'), send('GET', 'other'),
    ]);
    expect(replies).toEqual(['OK', 'OK', 'second', 'OK', ['1', 'third'], 1, 0, 'OK', 'last', null]);
    // Another connection is not held back by this one's writes.
    const other = new RespDriver(handler, new FakeConnection(8));
    expect(await other.call('GET', 'k')).toBe('last');
  });
});

describe('failures', () => {
  it('answers quorum failures with -ERR and the numbers, counts them, and recovers', async () => {
    const key = Buffer.from('fragile');
    await redis.call('SET', key, 'v');
    const row = cluster.rowOf(key);
    const fallbacks = cluster.fallbacksOf(key);
    // W=2 with two of three replicas down and no fallback left to hold their hints.
    for (const server of [row[0]!, row[1]!, ...fallbacks]) cluster.crash(server);
    expect(await redis.text('SET', key, 'v2')).toMatch(/^-ERR write acknowledged by 1 of 2 required replicas \(w=2\b.*\); see replication\.w\r\n$/);
    expect(await redis.text('GET', key)).toMatch(/^-ERR read answered by \d of 2 required replicas/);
    expect(await redis.call('RC.GETV', key, 'R', '1')).toEqual(expect.any(Array));
    const text = await registry.metrics();
    expect(text).toMatch(/ringcache_proxy_requests_total\{protocol="resp",command="set",outcome="failed"\} 1\n/);
    expect(text).toMatch(/ringcache_proxy_requests_total\{protocol="resp",command="get",outcome="failed"\} 1\n/);
    expect(text).toMatch(/ringcache_proxy_quorum_failures_total\{operation="write"\} 1\n/);
    for (const server of [row[0]!, row[1]!, ...fallbacks]) cluster.restart(server);
    await sleep(250);
    expect(await redis.call('SET', key, 'v3')).toBe('OK');
    expect(await redis.call('GET', key)).toBe('v3');
  });

  it('RC.SETV with W N succeeds through a fallback when a replica is down; PW n demands primaries; PW outside 0..N is refused', async () => {
    const key = Buffer.from('sloppy');
    const row = cluster.rowOf(key);
    const fallback = cluster.fallbacksOf(key)[0]!;
    cluster.crash(row[2]!);
    expect(await redis.call('RC.SETV', key, 'v', '', 'W', '3')).toEqual(expect.any(String));
    const hints = cluster.coreOf(fallback)?.service('hinted-handoff');
    expect(hints?.metrics?.().find((source) => source.name === 'hints_keys')?.read()).toBe(1);
    expect(await redis.text('RC.SETV', key, 'v2', '', 'W', '3', 'PW', '3')).toMatch(/^-ERR write acknowledged by [12] of 3 required primaries \(pw=3\b.*see replication\.pw\r\n$/);
    expect(await redis.call('RC.SETV', key, 'v3', '', 'PW', '2', 'W', '3')).toEqual(expect.any(String));
    expect(await redis.text('RC.SETV', key, 'v', '', 'PW', '4')).toMatch(/^-ERR per-request pw=4 is outside 0\.\.N=3 .*replication\.pw/);
    expect(await redis.text('RC.SETV', key, 'v', '', 'PW', 'x')).toBe('-ERR value is not an integer or out of range\r\n');
    expect(await redis.text('RC.SETV', key, 'v', '', 'PW')).toBe('-ERR syntax error\r\n');
    expect(await redis.call('GET', key)).toBe('v3');
    const text = await registry.metrics();
    expect(text).toMatch(/ringcache_proxy_hinted_writes_total 2\n/);
  });
});
