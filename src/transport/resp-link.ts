import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { RingcacheError, deferToNextTurn } from '../runtime/index.js';
import type { Timer } from '../runtime/index.js';
import { ReplyParser, ReplyWriter } from '../resp/index.js';
import type { RespValue } from '../resp/index.js';
import { ANSWER_COMMAND, CHALLENGE_COMMAND, CHALLENGE_NONCE_BYTES, challengeAnswer, challengeKey } from '../auth/internode-challenge.js';
import { reconnectDelayMs, unreachable } from './peer-link.js';
import type { LinkCall, PeerAddress, PeerLink, PeerLinkOptions } from './peer-link.js';

type LinkState = 'idle' | 'connecting' | 'ready' | 'backoff' | 'closed';

/**
 * First slab of a link's batch; it doubles when a turn's commands outgrow it. Why one writer per
 * link: commands are encoded straight into the batch that leaves in one write, instead of a
 * Buffer per command joined by Buffer.concat. Measured with the rest of the promise-free send path
 * (tcp-transport.ts): load/internode-bench.ts coordinator CPU 4.4-4.7 -> 2.0-2.9 us per read.
 */
const BATCH_SLAB_BYTES = 16 * 1024;

/**
 * The challenge that opens a connection when a cluster token is set (src/auth/internode-challenge.ts):
 * RC.CHALLENGE, then RC.AUTH with the HMAC of the nonce; the token itself never leaves the process.
 * The link's calls wait in its batch until the node says +OK, so none meets -NOAUTH.
 */
class ChallengeHandshake {
  private phase: 'challenge' | 'answer' = 'challenge';

  constructor(private readonly key: Buffer) {}

  static readonly opening: Buffer = encodeCommand([CHALLENGE_COMMAND]);

  /** What the node's reply leads to: the next command to send, done, or why it refused us. */
  onReply(reply: RespValue): { send: Buffer } | 'done' | { refused: string } {
    if (reply.kind === 'error') return { refused: reply.message };
    if (this.phase === 'challenge') {
      if (reply.kind !== 'bulk' || reply.value === null || reply.value.length !== CHALLENGE_NONCE_BYTES) {
        return { refused: `RC.CHALLENGE answered with a ${reply.kind}, not a ${CHALLENGE_NONCE_BYTES}-byte nonce` };
      }
      this.phase = 'answer';
      return { send: encodeCommand([ANSWER_COMMAND, challengeAnswer(this.key, reply.value)]) };
    }
    return reply.kind === 'simple' && reply.text === 'OK' ? 'done' : { refused: `RC.AUTH answered with a ${reply.kind}` };
  }
}

function encodeCommand(args: readonly string[]): Buffer {
  const writer = new ReplyWriter(256);
  writer.arrayHeader(args.length);
  for (const arg of args) writer.bulkText(arg);
  return Buffer.from(writer.take());
}

/**
 * The lean PeerLink: a pipelined RESP client over src/resp (ReplyWriter, ReplyParser), the
 * batching idea of Predixy (BENCHMARKS.md): every call of one turn of the event loop is encoded
 * into one batch that leaves in one socket write, and replies are matched to calls in order.
 *
 *   submit --> batch (ReplyWriter) --(next turn)--> one write --> node
 *   calls: [c1 c2 c3 ...] <-- ReplyParser <-- replies in request order (RESP)
 *
 * Connecting is lazy: the first call connects (writes made while connecting wait in the socket);
 * after a failure the link refuses calls at once until the capped backoff delay has passed, then
 * the next call tries again. No timer runs while a node is down and nobody asks for it.
 * With a cluster token, every connection first answers the node's challenge (ChallengeHandshake).
 *
 * Why this exists next to ioredis (BENCHMARKS.md: the naive ioredis hop spent ~87% of its core
 * in Node): Coordinator -> TcpTransport -> StorageNode, N=1 reads on loopback
 * (test/integration/internode-bench.ts, 2 cores, node pinned apart, medians of 5 x 3 s) cost the
 * coordinator 6.6-8.7 us of CPU per read with this client against 12.7-16.9 us with ioredis at
 * 16-256 reads in flight (44 vs 59 us at 1), for 1.3-1.75x the reads per second. ioredis spends a
 * quarter of its process in GC (a Command object and a string-built frame per call), and its
 * auto-pipelining sends one batch per connection at a time, waiting for the previous one's replies.
 */
export class RespLink implements PeerLink {
  private state: LinkState = 'idle';
  private socket: Socket | null = null;
  /** Calls written (or about to be) whose replies have not come; calls[head] is answered next. */
  private calls: (LinkCall | undefined)[] = [];
  private head = 0;
  /** Commands of this turn, not written yet. */
  private readonly batch = new ReplyWriter(BATCH_SLAB_BYTES);
  private flushScheduled = false;
  private failures = 0;
  private retryAtMs = 0;
  private connectTimer: Timer | null = null;
  private lastError = 'not connected yet';
  /** Set from connect until the node accepted our answer: calls wait in the batch meanwhile. */
  private handshake: ChallengeHandshake | null = null;
  private readonly challengeKey: Buffer | undefined;

  constructor(private readonly server: string, private readonly address: PeerAddress, private readonly options: PeerLinkOptions) {
    this.challengeKey = options.token === '' ? undefined : challengeKey(options.token);
  }

  get unanswered(): number {
    return this.calls.length - this.head;
  }

  submit(call: LinkCall): void {
    switch (this.state) {
      case 'closed':
        failLater(call, unreachable(this.server, this.address, 'transport closed'));
        return;
      case 'backoff':
        if (this.options.clock.nowMs() < this.retryAtMs) {
          failLater(call, unreachable(this.server, this.address, this.lastError));
          return;
        }
        this.open();
        break;
      case 'idle':
        this.open();
        break;
      case 'connecting':
      case 'ready':
        break;
    }
    this.enqueue(call);
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.socket?.destroy();
    this.dropConnection(unreachable(this.server, this.address, 'transport closed'));
  }

  private open(): void {
    this.state = 'connecting';
    const { tls } = this.options;
    const { host, port } = this.address;
    // With TLS the link is ready after the handshake (the node's chain checked against the CA);
    // commands written before wait in the TLS socket like those written while connecting.
    const socket = tls === undefined
      ? connect({ host, port, noDelay: true, keepAlive: true })
      : connectTls({ ...tls, host, port }).setNoDelay(true).setKeepAlive(true);
    const parser = new ReplyParser(this.options.replyLimits, (value) => { this.onReply(value); });
    this.socket = socket;
    this.connectTimer = this.options.clock.schedule(this.options.connectTimeoutMs, () => {
      this.lastError = `connect timed out after ${this.options.connectTimeoutMs} ms; see TcpTransport connectTimeoutMs`;
      socket.destroy();
    });
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
      this.connectTimer?.cancel();
      this.failures = 0;
      if (this.state === 'connecting') this.state = 'ready';
    });
    socket.on('data', (chunk: Buffer) => { this.onData(socket, parser, chunk); });
    socket.on('error', (error: Error) => { this.lastError = error.message; });
    socket.on('close', () => { this.onClose(socket); });
    if (this.challengeKey !== undefined) {
      // Written before connect, it waits in the socket like any early write.
      this.handshake = new ChallengeHandshake(this.challengeKey);
      socket.write(ChallengeHandshake.opening);
    }
  }

  private onHandshakeReply(socket: Socket, handshake: ChallengeHandshake, value: RespValue): void {
    const next = handshake.onReply(value);
    if (next === 'done') {
      this.handshake = null;
      this.flush();
    } else if ('send' in next) {
      socket.write(next.send);
    } else {
      this.lastError = `challenge refused: ${next.refused}`;
      const refused = new RingcacheError('RC_ERR_UNAUTHORIZED', `node ${this.server} refused our cluster token (${next.refused}); see cluster.token`);
      socket.destroy();
      this.fail(socket, refused);
    }
  }

  private onData(socket: Socket, parser: ReplyParser, chunk: Buffer): void {
    if (socket !== this.socket) return;
    try {
      parser.feed(chunk);
    } catch (error) {
      // A peer that breaks the framing cannot be resynchronised: drop the connection.
      this.lastError = error instanceof Error ? error.message : String(error);
      socket.destroy();
      this.fail(socket, error instanceof RingcacheError ? error : unreachable(this.server, this.address, this.lastError));
    }
  }

  private onReply(value: RespValue): void {
    if (this.handshake !== null) {
      if (this.socket !== null) this.onHandshakeReply(this.socket, this.handshake, value);
      return;
    }
    const call = this.calls[this.head];
    if (call === undefined) {
      // More replies than calls: the peer is not speaking our protocol.
      this.lastError = 'reply without a request';
      this.socket?.destroy();
      return;
    }
    this.calls[this.head] = undefined;
    this.head++;
    if (this.head === this.calls.length) {
      this.calls = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.calls.length) {
      this.calls = this.calls.slice(this.head);
      this.head = 0;
    }
    call.onLinkReply(value);
  }

  private onClose(socket: Socket): void {
    this.fail(socket, unreachable(this.server, this.address, this.lastError));
  }

  /** The connection is gone: back off before the next attempt, fail what it carried. */
  private fail(socket: Socket, error: RingcacheError): void {
    if (socket !== this.socket) return;
    if (this.state !== 'closed') {
      this.failures++;
      this.retryAtMs = this.options.clock.nowMs() + reconnectDelayMs(this.failures, this.options);
      this.state = 'backoff';
    }
    this.dropConnection(error);
  }

  /** Forgets the socket and fails every call it carried or was about to carry. */
  private dropConnection(error: RingcacheError): void {
    this.connectTimer?.cancel();
    this.socket = null;
    this.handshake = null;
    const calls = this.calls;
    const head = this.head;
    this.calls = [];
    this.head = 0;
    this.batch.take();
    for (let i = head; i < calls.length; i++) calls[i]?.onLinkError(error);
  }

  private enqueue(call: LinkCall): void {
    const mark = this.batch.batchBytes;
    try {
      call.writeTo(this.batch);
    } catch (error) {
      // A command that cannot be encoded (a bug) must leave no half frame and no place in the
      // reply order behind it.
      this.batch.truncate(mark);
      throw error;
    }
    this.calls.push(call);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    deferToNextTurn(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    // Until the node accepted our answer the batch waits (onHandshakeReply flushes it).
    if (this.handshake !== null) return;
    // A view of the batch's slab: the writer never writes over bytes it handed out.
    const batch = this.batch.take();
    if (this.socket === null || batch.length === 0) return;
    this.socket.write(batch);
  };
}

/** A refusal is heard after submit() returns, as a rejected promise was. */
function failLater(call: LinkCall, error: RingcacheError): void {
  queueMicrotask(() => { call.onLinkError(error); });
}
