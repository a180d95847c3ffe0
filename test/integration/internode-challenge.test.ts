/**
 * The internode challenge (src/auth/internode-challenge.ts, src/node/internode-auth.ts) against a
 * real node RESP port: the lean link authenticates without sending the token; a wrong answer, a
 * replayed answer and silence past cluster.authTimeoutMs each close the connection and are counted.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHALLENGE_NONCE_BYTES, challengeAnswer, challengeKey } from '../../src/auth/internode-challenge.js';
import { NodeRespHandler } from '../../src/node/index.js';
import { RespServer } from '../../src/resp/index.js';
import { SystemClock, SystemRandom } from '../../src/runtime/index.js';
import { DATA_MESSAGES, INTERNODE_LIMITS_DEFAULTS, MessageCatalogue, TcpTransport } from '../../src/transport/index.js';
import type { InternodeHandler } from '../../src/transport/index.js';

const clock = new SystemClock();
const TOKEN = 'challenge-test-token-0123456789abcdef';
const AUTH_TIMEOUT_MS = 300;
const pong: InternodeHandler = { handle: () => ({ epoch: 1, body: { kind: 'pong', serverId: 'n1' } }) };

let handler: NodeRespHandler;
let server: RespServer;
/** Every byte the node received: the token must never be among them. */
const received: Buffer[] = [];

beforeAll(async () => {
  handler = new NodeRespHandler({
    handler: pong, catalogue: new MessageCatalogue(DATA_MESSAGES), limits: INTERNODE_LIMITS_DEFAULTS, token: TOKEN,
    random: new SystemRandom(),
    clock, authTimeoutMs: AUTH_TIMEOUT_MS,
  });
  const recording: NodeRespHandler['onCommand'] = (args, connection) => {
    received.push(...args.map((arg) => Buffer.from(arg)));
    return handler.onCommand(args, connection);
  };
  server = new RespServer({
    handler: {
      onCommand: recording,
      onConnection: (connection) => { handler.onConnection(connection); },
      onDisconnection: (connection) => { handler.onDisconnection(connection); },
    },
    clock,
  },
    { host: '127.0.0.1', port: 0, closeTimeoutMs: 200 });
  await server.start();
});

afterAll(async () => {
  await server.stop();
});

function encode(...args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** A raw client: send a command, read until `done` says the reply is whole; `closed` when the node hung up. */
class RawClient {
  private buffered = Buffer.alloc(0);
  closed = false;
  private readonly socket: net.Socket;
  private wake: (() => void) | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => { this.buffered = Buffer.concat([this.buffered, chunk]); this.wake?.(); });
    socket.on('close', () => { this.closed = true; this.wake?.(); });
    socket.on('error', () => undefined);
  }

  static async open(): Promise<RawClient> {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve) => { socket.once('connect', () => { resolve(); }); });
    return new RawClient(socket);
  }

  async call(done: (bytes: Buffer) => boolean, ...args: (string | Buffer)[]): Promise<Buffer> {
    this.buffered = Buffer.alloc(0);
    this.socket.write(encode(...args));
    return this.until(() => done(this.buffered) || this.closed);
  }

  async challenge(): Promise<Buffer> {
    const reply = await this.call((bytes) => bytes.length >= CHALLENGE_NONCE_BYTES + 7, 'RC.CHALLENGE');
    expect(reply.subarray(0, 5).toString()).toBe(`$${CHALLENGE_NONCE_BYTES}\r\n`);
    return Buffer.from(reply.subarray(5, 5 + CHALLENGE_NONCE_BYTES));
  }

  line(...args: (string | Buffer)[]): Promise<string> {
    return this.call((bytes) => bytes.includes('\r\n'), ...args).then((bytes) => bytes.toString('latin1').split('\r\n')[0] ?? '');
  }

  async waitClosed(ms: number): Promise<boolean> {
    await this.until(() => this.closed, ms);
    return this.closed;
  }

  private until(ready: () => boolean, ms = 5000): Promise<Buffer> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { resolve(this.buffered); }, ms);
      const check = (): void => {
        if (!ready()) return;
        clearTimeout(timer);
        this.wake = undefined;
        resolve(this.buffered);
      };
      this.wake = check;
      check();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const key = challengeKey(TOKEN);

describe('the internode challenge', () => {
  it('lets the lean link in without the token ever reaching the node', async () => {
    const before = handler.stats.challengeAuths;
    const transport = new TcpTransport({ resolve: () => ({ host: '127.0.0.1', port: server.port }), clock, token: TOKEN });
    try {
      const replies = await Promise.all(Array.from({ length: 20 }, () => transport.send('n1', { epoch: 1, body: { kind: 'ping' } }, 5000)));
      expect(replies.every((reply) => reply.body.kind === 'pong')).toBe(true);
    } finally {
      await transport.close();
    }
    // One link, one challenge, for all 20 requests: none per request.
    expect(handler.stats.challengeAuths - before).toBe(1);
    expect(Buffer.concat(received).includes(TOKEN)).toBe(false);
  });

  it('admits a right answer once: the same answer again, on its own or another connection, is refused and closes', async () => {
    const first = await RawClient.open();
    const nonce = await first.challenge();
    const answer = challengeAnswer(key, nonce);
    expect(await first.line('RC.AUTH', answer)).toBe('+OK');
    const failures = handler.stats.authFailures;
    expect(await first.line('RC.AUTH', answer)).toMatch(/^-WRONGPASS no RC.CHALLENGE pending/);
    expect(await first.waitClosed(2000)).toBe(true);

    const second = await RawClient.open();
    await second.challenge();
    expect(await second.line('RC.AUTH', answer)).toMatch(/^-WRONGPASS/);
    expect(await second.waitClosed(2000)).toBe(true);
    expect(handler.stats.authFailures - failures).toBe(2);
  });

  it('refuses a wrong answer (another token) and closes the connection; nothing runs before or after', async () => {
    const client = await RawClient.open();
    expect(await client.line('PING')).toMatch(/^-NOAUTH/);
    const nonce = await client.challenge();
    const failures = handler.stats.authFailures;
    expect(await client.line('RC.AUTH', challengeAnswer(challengeKey('another token'), nonce))).toMatch(/^-WRONGPASS/);
    expect(await client.waitClosed(2000)).toBe(true);
    expect(handler.stats.authFailures - failures).toBe(1);
  });

  it('refuses an answer with no challenge asked', async () => {
    const client = await RawClient.open();
    expect(await client.line('RC.AUTH', 'a'.repeat(64))).toMatch(/^-WRONGPASS no RC.CHALLENGE pending/);
    expect(await client.waitClosed(2000)).toBe(true);
  });

  it('closes and counts a connection that does not answer within cluster.authTimeoutMs', async () => {
    const timeouts = handler.stats.authTimeouts;
    const client = await RawClient.open();
    await client.challenge();
    expect(await client.waitClosed(AUTH_TIMEOUT_MS * 10)).toBe(true);
    expect(handler.stats.authTimeouts - timeouts).toBe(1);
    client.destroy();
  });

  it('keeps an authenticated connection past the deadline', async () => {
    const client = await RawClient.open();
    const nonce = await client.challenge();
    expect(await client.line('RC.AUTH', challengeAnswer(key, nonce))).toBe('+OK');
    expect(await client.waitClosed(AUTH_TIMEOUT_MS * 3)).toBe(false);
    expect(await client.line('PING')).toBe('+PONG');
    client.destroy();
  });

  it('still takes AUTH <token> (redis-cli, the ioredis link), and counts it', async () => {
    const plain = handler.stats.plainTokenAuths;
    const client = await RawClient.open();
    expect(await client.line('AUTH', TOKEN)).toBe('+OK');
    expect(handler.stats.plainTokenAuths - plain).toBe(1);
    client.destroy();
  });
});
