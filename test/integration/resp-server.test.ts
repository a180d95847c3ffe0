import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RingcacheError, SeededRandom, SystemClock } from '../../src/runtime/index.js';
import { bulkReply, encodeCommand, errorReply, REPLIES, RespServer, simpleReply } from '../../src/resp/index.js';
import type { Reply, RespHandler, RespLimits, RespServerOptions } from '../../src/resp/index.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const BIG_VALUE = Buffer.alloc(8192, 0x62);

/** The toy command layer: a Map, and a few commands that exercise the server's paths. */
class ToyHandler implements RespHandler {
  readonly store = new Map<string, Buffer>();
  readonly random = new SeededRandom(7);
  gateOpen!: () => void;
  gate = new Promise<void>((resolve) => { this.gateOpen = resolve; });
  gated = 0;
  readonly seen: string[] = [];

  onCommand(args: Buffer[]): Reply | Promise<Reply> {
    const name = args[0]!.toString().toUpperCase();
    this.seen.push(name);
    const arg = (index: number): Buffer => {
      const value = args[index];
      if (value === undefined) throw new RingcacheError('RC_ERR_BAD_REQUEST', `wrong number of arguments for '${name.toLowerCase()}' command`);
      return value;
    };
    switch (name) {
      case 'PING': return args.length > 1 ? bulkReply(arg(1)) : REPLIES.pong;
      case 'ECHO': return bulkReply(arg(1));
      case 'GET': return bulkReply(this.store.get(arg(1).toString('latin1')) ?? null);
      case 'SET':
        // Arguments are views of socket buffers: copy what is kept.
        this.store.set(arg(1).toString('latin1'), Buffer.from(arg(2)));
        return REPLIES.ok;
      case 'QUIT': return REPLIES.close;
      case 'SLOWECHO': return this.later(this.random.int(5), bulkReply(Buffer.from(arg(1))));
      case 'SLEEP': return this.later(Number(arg(1).toString()), simpleReply('SLEPT'));
      case 'ASYNCECHO': return Promise.resolve(bulkReply(arg(1)));
      case 'BIG': return bulkReply(BIG_VALUE);
      case 'GATED':
        this.gated++;
        return this.gate.then(() => simpleReply('DONE'));
      case 'FAIL': throw new RingcacheError('RC_ERR_BAD_REQUEST', 'bad thing');
      case 'CRASH': throw new Error('boom');
      case 'ASYNCCRASH': return Promise.reject(new Error('async boom'));
      default: return errorReply(`ERR unknown command '${name}'`);
    }
  }

  private later(ms: number, reply: Reply): Promise<Reply> {
    return new Promise((resolve) => setTimeout(() => { resolve(reply); }, ms));
  }
}

/** A plain socket: sees the exact bytes, can refuse to read, can send garbage. */
class RawClient {
  readonly chunks: Buffer[] = [];
  readonly closed: Promise<void>;
  bytes = 0;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => { this.chunks.push(chunk); this.bytes += chunk.length; });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.on('close', () => { resolve(); }));
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve).once('error', reject); });
    return new RawClient(socket);
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }
}

const servers: RespServer[] = [];
const clients: Redis[] = [];
const raws: RawClient[] = [];

async function startServer(limits: Partial<RespLimits> = {}, closeTimeoutMs = 2000, extra: Partial<RespServerOptions> = {}): Promise<{ server: RespServer; handler: ToyHandler; errors: unknown[] }> {
  const handler = new ToyHandler();
  const errors: unknown[] = [];
  const server = new RespServer(
    { handler, clock: new SystemClock(), onError: (error) => errors.push(error) },
    { host: '127.0.0.1', port: 0, limits, closeTimeoutMs, ...extra },
  );
  await server.start();
  servers.push(server);
  return { server, handler, errors };
}

async function redisClient(port: number): Promise<Redis> {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableReadyCheck: false, retryStrategy: () => null });
  clients.push(redis);
  await redis.connect();
  return redis;
}

async function rawClient(port: number): Promise<RawClient> {
  const raw = await RawClient.connect(port);
  raws.push(raw);
  return raw;
}

afterEach(async () => {
  for (const redis of clients.splice(0)) redis.disconnect();
  for (const raw of raws.splice(0)) raw.socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  vi.restoreAllMocks();
});

describe('RespServer with ioredis', () => {
  it('answers PING, SET, GET, ECHO and maps errors, and keeps working after them', async () => {
    const { server, errors } = await startServer();
    const redis = await redisClient(server.port);
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.set('k', 'v')).toBe('OK');
    expect(await redis.get('k')).toBe('v');
    expect(await redis.get('missing')).toBeNull();
    expect(await redis.echo('hello')).toBe('hello');
    await expect(redis.call('NOPE')).rejects.toThrow("ERR unknown command 'NOPE'");
    await expect(redis.call('FAIL')).rejects.toThrow(/^ERR bad thing$/);
    await expect(redis.call('ECHO')).rejects.toThrow("ERR wrong number of arguments for 'echo' command");
    await expect(redis.call('CRASH')).rejects.toThrow(/^ERR internal error$/);
    await expect(redis.call('ASYNCCRASH')).rejects.toThrow(/^ERR internal error$/);
    expect(errors.map((error) => (error as Error).message)).toEqual(['boom', 'async boom']);
    expect(await redis.ping()).toBe('PONG');
    expect(server.stats).toMatchObject({ connectionsOpen: 1, connectionsAccepted: 1, internalErrors: 2, protocolErrors: 0 });
  });

  it('answers a pipeline of 1,000 commands in order while async replies finish out of order', async () => {
    const { server } = await startServer();
    const redis = await redisClient(server.port);
    const pipeline = redis.pipeline();
    const expected: unknown[] = [];
    for (let index = 0; index < 1000; index++) {
      if (index % 3 === 0) {
        pipeline.call('SLOWECHO', `slow-${index}`);
        expected.push(`slow-${index}`);
      } else if (index % 3 === 1) {
        pipeline.set(`key-${index}`, `value-${index}`);
        expected.push('OK');
      } else {
        pipeline.get(`key-${index - 1}`);
        expected.push(`value-${index - 1}`);
      }
    }
    const results = await pipeline.exec();
    expect(results!.map(([error]) => error)).toEqual(expected.map(() => null));
    expect(results!.map(([, value]) => value)).toEqual(expected);
  });

  it('stores and returns a 1 MiB binary value', async () => {
    const { server } = await startServer();
    const redis = await redisClient(server.port);
    const value = randomBytes(1024 * 1024);
    expect(await redis.set(Buffer.from([0, 13, 10, 255]), value)).toBe('OK');
    const got = await redis.getBuffer(Buffer.from([0, 13, 10, 255]));
    expect(got!.equals(value)).toBe(true);
  });

  it('answers QUIT with +OK and closes', async () => {
    const { server } = await startServer();
    const redis = await redisClient(server.port);
    expect(await redis.quit()).toBe('OK');
    const raw = await rawClient(server.port);
    raw.socket.write('PING\r\nQUIT\r\nPING\r\n');
    await raw.closed;
    expect(raw.text()).toBe('+PONG\r\n+OK\r\n');
    await waitFor(() => server.stats.connectionsOpen === 0, 'connections to close');
  });
});

describe('RespServer batching', () => {
  it('writes all replies ready in one turn with one socket.write', async () => {
    const { server } = await startServer();
    const raw = await rawClient(server.port);
    const write = vi.spyOn(net.Socket.prototype, 'write');
    const serverWrites = (): number => write.mock.contexts.filter((socket) => (socket as net.Socket).localPort === server.port).length;
    raw.socket.write(Buffer.concat([...Array.from({ length: 300 }, () => Buffer.from('PING\r\n')), encodeCommand(['ECHO', 'end'])]));
    await waitFor(() => raw.text().endsWith('$3\r\nend\r\n'), 'sync replies');
    expect(serverWrites()).toBe(1);
    raw.socket.write(Buffer.concat(Array.from({ length: 300 }, (_, index) => encodeCommand(['ASYNCECHO', `a${index}`]))));
    await waitFor(() => raw.text().endsWith('$4\r\na299\r\n'), 'async replies');
    expect(serverWrites()).toBe(2);
  });
});

describe('RespServer under bad clients', () => {
  it.each([
    ['PING\r\n*abc\r\n', '+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n'],
    ['*1\r\n$-5\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    ['*2\r\n$4\r\nECHO\r\nxyz\r\n', "-ERR Protocol error: expected '$', got 'x'\r\n"],
    ['SET "unbalanced\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n'],
    ['*1\r\n$4\r\nPINGgarbage', '-ERR Protocol error: bulk argument not followed by CRLF\r\n'],
    ['x'.repeat(70_000), '-ERR Protocol error: too big inline request\r\n'],
  ])('%#: garbage gets a protocol error and a close; another client is unaffected', async (garbage, reply) => {
    const { server } = await startServer();
    const good = await redisClient(server.port);
    expect(await good.set('k', 'before')).toBe('OK');
    const raw = await rawClient(server.port);
    raw.socket.write(garbage);
    await raw.closed;
    expect(raw.text()).toBe(reply);
    expect(await good.get('k')).toBe('before');
    expect(await good.ping()).toBe('PONG');
    expect(server.stats.protocolErrors).toBe(1);
  });

  it('survives a client that resets the connection with commands in flight', async () => {
    const { server } = await startServer();
    const raw = await rawClient(server.port);
    raw.socket.write(Buffer.concat([encodeCommand(['SLEEP', '30']), encodeCommand(['BIG'])]));
    await waitFor(() => server.stats.commands >= 2, 'commands to arrive');
    raw.socket.resetAndDestroy();
    await waitFor(() => server.stats.connectionsOpen === 0, 'the reset connection to close');
    await sleep(50);
    const redis = await redisClient(server.port);
    expect(await redis.ping()).toBe('PONG');
  });

  it('stops reading a client that pipelines without reading (output backpressure)', async () => {
    const outputBytesHighWater = 64 * 1024;
    const { server } = await startServer({ outputBytesHighWater, inflightMax: 64 });
    const raw = await rawClient(server.port);
    raw.socket.pause();
    const total = 10_000;
    raw.socket.write(Buffer.concat(Array.from({ length: total }, () => encodeCommand(['BIG']))));
    await waitFor(() => server.stats.readPauses > 0, 'the server to pause reading');
    let processed = -1;
    await waitFor(() => {
      const now = server.stats.commands;
      const stable = now === processed;
      processed = now;
      return stable;
    }, 'processing to stop');
    await sleep(100);
    expect(server.stats.commands).toBe(processed);
    expect(processed).toBeLessThan(total / 2);
    const [info] = server.connectionInfo();
    expect(info).toMatchObject({ paused: true, phase: 'open' });
    expect(info!.inflight).toBeLessThanOrEqual(64);
    expect(info!.outputBytes).toBeLessThanOrEqual(outputBytesHighWater + 2 * (BIG_VALUE.length + 16));
    expect(info!.inputBytes).toBeLessThanOrEqual(128 * 1024);
    raw.socket.resume();
    const replyBytes = BIG_VALUE.length + '$8192\r\n\r\n'.length;
    await waitFor(() => raw.bytes === total * replyBytes, 'every reply', 20_000);
    expect(server.stats.commands).toBe(total);
    expect(server.connectionInfo()[0]).toMatchObject({ paused: false, inflight: 0, outputBytes: 0 });
  });

  it('stops reading at inflightMax commands awaiting async replies, and resumes', async () => {
    const { server, handler } = await startServer({ inflightMax: 50 });
    const raw = await rawClient(server.port);
    const total = 2000;
    raw.socket.write(Buffer.concat(Array.from({ length: total }, () => encodeCommand(['GATED']))));
    await waitFor(() => handler.gated === 50, '50 commands in flight');
    await sleep(100);
    expect(handler.gated).toBe(50);
    expect(server.connectionInfo()[0]).toMatchObject({ paused: true, inflight: 50 });
    handler.gateOpen();
    await waitFor(() => raw.bytes === total * '+DONE\r\n'.length, 'every reply');
    expect(handler.gated).toBe(total);
  });

  it('stops reading at inflightBytesMax of arguments held by async commands', async () => {
    const { server, handler } = await startServer({ inflightBytesMax: 10_000 });
    const raw = await rawClient(server.port);
    const payload = Buffer.alloc(3000, 0x61);
    raw.socket.write(Buffer.concat(Array.from({ length: 20 }, () => encodeCommand(['GATED', payload]))));
    await waitFor(() => handler.gated === 4, 'four commands in flight');
    await sleep(100);
    expect(handler.gated).toBe(4);
    handler.gateOpen();
    await waitFor(() => raw.bytes === 20 * '+DONE\r\n'.length, 'every reply');
  });
});

describe('RespServer client limits', () => {
  it('answers -ERR max number of clients reached past clientsMax, counts it, and serves again once one leaves', async () => {
    const { server } = await startServer({}, 2000, { clientsMax: 2 });
    const first = await redisClient(server.port);
    const second = await rawClient(server.port);
    expect(await first.ping()).toBe('PONG');
    const third = await rawClient(server.port);
    await third.closed;
    expect(third.text()).toBe('-ERR max number of clients reached\r\n');
    expect(server.stats).toMatchObject({ connectionsRejected: 1, connectionsOpen: 2 });
    second.socket.destroy();
    await waitFor(() => server.stats.connectionsOpen === 1, 'the second client to leave');
    const fourth = await redisClient(server.port);
    expect(await fourth.ping()).toBe('PONG');
  });

  it('closes a connection whose command stays half-sent past frameTimeoutMs, with a reason', async () => {
    const { server, handler } = await startServer({ frameTimeoutMs: 200 });
    const raw = await rawClient(server.port);
    raw.socket.write('PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhal');
    const started = Date.now();
    await raw.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(raw.text()).toBe('+PONG\r\n-ERR Protocol error: command not completed within 200 ms; see resp.frameTimeoutMs\r\n');
    expect(handler.store.has('k')).toBe(false);
    expect(server.stats.frameTimeouts).toBe(1);
  });

  it('keeps a connection that trickles a pipeline whose commands keep completing', async () => {
    const { server } = await startServer({ frameTimeoutMs: 150 });
    const raw = await rawClient(server.port);
    // Every write ends mid-command, but each one also completes the previous one.
    const stream = Buffer.concat(Array.from({ length: 20 }, () => encodeCommand(['ECHO', 'x'.repeat(20)])));
    const step = Math.ceil(stream.length / 20) + 3;
    for (let at = 0; at < stream.length; at += step) {
      raw.socket.write(stream.subarray(at, at + step));
      await sleep(40);
    }
    await waitFor(() => server.stats.commands === 20, 'every command');
    expect(server.stats.frameTimeouts).toBe(0);
    expect(raw.socket.destroyed).toBe(false);
  });

  it('closes an idle connection after idleTimeoutMs; 0 (the default) never does', async () => {
    const { server } = await startServer({ idleTimeoutMs: 150 });
    const idle = await rawClient(server.port);
    const busy = await redisClient(server.port);
    expect(await busy.call('SLEEP', '300')).toBe('SLEPT');
    await idle.closed;
    expect(server.stats.idleTimeouts).toBe(1);
    const { server: patient } = await startServer({ frameTimeoutMs: 50 });
    const kept = await rawClient(patient.port);
    await sleep(300);
    expect(kept.socket.destroyed).toBe(false);
    expect(patient.stats.idleTimeouts).toBe(0);
  });

  it('cuts off a client holding more than outputBufferBytesMax of replies; others are served', async () => {
    const { server } = await startServer({ outputBufferBytesMax: 256 * 1024, outputBytesHighWater: 64 * 1024 });
    const good = await redisClient(server.port);
    const raw = await rawClient(server.port);
    raw.socket.pause();
    raw.socket.write(Buffer.concat(Array.from({ length: 2000 }, () => encodeCommand(['BIG']))));
    await raw.closed;
    expect(server.stats.outputLimitCloses).toBe(1);
    expect(await good.ping()).toBe('PONG');
  });
});

describe('RespServer against HTTP sent to a RESP port', () => {
  const POST = 'POST / HTTP/1.1\r\nHost: 127.0.0.1:6380\r\nContent-Length: 18\r\n\r\nSET xproto pwned\r\n';
  const GET10 = 'GET /x HTTP/1.0\r\n\r\nSET xproto pwned\r\n';

  it.each([['POST with a body', POST], ['HTTP/1.0 GET without Host', GET10]])('%s: closed before anything runs, counted, no reply', async (_name, request) => {
    const { server, handler } = await startServer();
    const raw = await rawClient(server.port);
    raw.socket.write(request);
    await raw.closed;
    expect(raw.text()).toBe('');
    expect(handler.seen).toEqual([]);
    expect(handler.store.has('xproto')).toBe(false);
    expect(server.stats).toMatchObject({ crossProtocolRefusals: 1, commands: 0 });
  });

  it('does the same when the request arrives a byte at a time', async () => {
    const { server, handler } = await startServer();
    const raw = await rawClient(server.port);
    for (const byte of Buffer.from(POST)) {
      if (raw.socket.destroyed) break;
      raw.socket.write(Buffer.of(byte));
      await sleep(0);
    }
    await raw.closed;
    expect(handler.seen).toEqual([]);
    expect(server.stats.crossProtocolRefusals).toBe(1);
  });

  it('closes a session that sends POST or Host: later, as Redis does; an array GET of "/" is a GET', async () => {
    const { server, handler } = await startServer();
    const redis = await redisClient(server.port);
    expect(await redis.get('/')).toBeNull();
    const raw = await rawClient(server.port);
    raw.socket.write('PING\r\nhost: x\r\nSET xproto pwned\r\n');
    await raw.closed;
    expect(handler.store.has('xproto')).toBe(false);
    expect(server.stats.crossProtocolRefusals).toBe(1);
    expect(await redis.ping()).toBe('PONG');
  });

  it("runs the request's lines as commands with crossProtocol 'allow' (the hole this closes)", async () => {
    const { server, handler } = await startServer({}, 2000, { crossProtocol: 'allow' });
    const raw = await rawClient(server.port);
    raw.socket.write(POST);
    await waitFor(() => handler.store.has('xproto'), 'the body to run');
    expect(server.stats.crossProtocolRefusals).toBe(0);
  });
});

describe('RespServer.stop()', () => {
  it('lets in-flight commands finish, then closes; idempotent', async () => {
    const { server, handler } = await startServer();
    const port = server.port;
    const redis = await redisClient(port);
    const pending = redis.call('SLEEP', '200');
    await waitFor(() => handler.seen.includes('SLEEP'), 'the command to arrive');
    const stopped = server.stop();
    expect(server.stop()).toBe(stopped);
    expect(await pending).toBe('SLEPT');
    await stopped;
    expect(server.stats.connectionsOpen).toBe(0);
    await expect(RawClient.connect(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('destroys a connection that does not let go within closeTimeoutMs', async () => {
    const { server } = await startServer({ outputBytesHighWater: 16 * 1024 }, 300);
    const raw = await rawClient(server.port);
    raw.socket.pause();
    raw.socket.write(Buffer.concat(Array.from({ length: 3000 }, () => encodeCommand(['BIG']))));
    await waitFor(() => server.stats.readPauses > 0, 'the server to pause reading');
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(server.stats.connectionsOpen).toBe(0);
  });
});
