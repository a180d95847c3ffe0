import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { RingcacheError, deferToNextTurn } from '../runtime/index.js';
import type { Timer } from '../runtime/index.js';
import { ReplyParser, encodeCommand } from '../resp/index.js';
import type { RespValue } from '../resp/index.js';
import { reconnectDelayMs, unreachable } from './peer-link.js';
import type { PeerAddress, PeerLink, PeerLinkOptions } from './peer-link.js';

interface Call {
  readonly resolve: (value: RespValue) => void;
  readonly reject: (error: RingcacheError) => void;
}

type LinkState = 'idle' | 'connecting' | 'ready' | 'backoff' | 'closed';

/** Batches smaller than this are joined into one Buffer; larger ones go out as one writev. */
const JOIN_BYTES_MAX = 64 * 1024;

/**
 * The lean PeerLink: a pipelined RESP client over src/resp (encodeCommand, ReplyParser), the
 * batching idea of Predixy (BENCHMARKS.md): every call of one turn of the event loop leaves in one
 * socket write, and replies are matched to calls in order.
 *
 *   call --> outbox --(next turn)--> one write --> node
 *   calls: [c1 c2 c3 ...] <-- ReplyParser <-- replies in request order (RESP)
 *
 * Connecting is lazy: the first call connects (writes made while connecting wait in the socket);
 * after a failure the link refuses calls at once until the capped backoff delay has passed, then
 * the next call tries again. No timer runs while a node is down and nobody asks for it.
 * With a cluster token, AUTH is the first command of every connection.
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
  private calls: (Call | undefined)[] = [];
  private head = 0;
  private outbox: Buffer[] = [];
  private outboxBytes = 0;
  private flushScheduled = false;
  private failures = 0;
  private retryAtMs = 0;
  private connectTimer: Timer | null = null;
  private lastError = 'not connected yet';

  constructor(private readonly server: string, private readonly address: PeerAddress, private readonly options: PeerLinkOptions) {}

  get unanswered(): number {
    return this.calls.length - this.head;
  }

  call(command: readonly (string | Buffer)[]): Promise<RespValue> {
    switch (this.state) {
      case 'closed':
        return Promise.reject(unreachable(this.server, this.address, 'transport closed'));
      case 'backoff':
        if (this.options.clock.nowMs() < this.retryAtMs) return Promise.reject(unreachable(this.server, this.address, this.lastError));
        this.open();
        break;
      case 'idle':
        this.open();
        break;
      case 'connecting':
      case 'ready':
        break;
    }
    return new Promise((resolve, reject) => {
      this.calls.push({ resolve, reject });
      this.enqueue(encodeCommand(command));
    });
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.socket?.destroy();
    this.dropConnection(unreachable(this.server, this.address, 'transport closed'));
  }

  private open(): void {
    this.state = 'connecting';
    const socket = connect({ host: this.address.host, port: this.address.port, noDelay: true, keepAlive: true });
    const parser = new ReplyParser(this.options.replyLimits, (value) => { this.onReply(value); });
    this.socket = socket;
    this.connectTimer = this.options.clock.schedule(this.options.connectTimeoutMs, () => {
      this.lastError = `connect timed out after ${this.options.connectTimeoutMs} ms; see TcpTransport connectTimeoutMs`;
      socket.destroy();
    });
    socket.once('connect', () => {
      this.connectTimer?.cancel();
      this.failures = 0;
      if (this.state === 'connecting') this.state = 'ready';
    });
    socket.on('data', (chunk: Buffer) => { this.onData(socket, parser, chunk); });
    socket.on('error', (error) => { this.lastError = error.message; });
    socket.on('close', () => { this.onClose(socket); });
    if (this.options.token !== '') {
      this.calls.push({
        resolve: (reply) => { if (reply.kind === 'error') this.lastError = `AUTH refused: ${reply.message}`; },
        reject: () => undefined,
      });
      this.enqueue(encodeCommand(['AUTH', this.options.token]));
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
    call.resolve(value);
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
    const calls = this.calls;
    const head = this.head;
    this.calls = [];
    this.head = 0;
    this.outbox = [];
    this.outboxBytes = 0;
    for (let i = head; i < calls.length; i++) calls[i]?.reject(error);
  }

  private enqueue(frame: Buffer): void {
    this.outbox.push(frame);
    this.outboxBytes += frame.length;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    deferToNextTurn(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const socket = this.socket;
    const outbox = this.outbox;
    const bytes = this.outboxBytes;
    this.outbox = [];
    this.outboxBytes = 0;
    if (socket === null || outbox.length === 0) return;
    if (outbox.length === 1) {
      socket.write(outbox[0] as Buffer);
    } else if (bytes <= JOIN_BYTES_MAX) {
      socket.write(Buffer.concat(outbox, bytes));
    } else {
      socket.cork();
      for (const frame of outbox) socket.write(frame);
      socket.uncork();
    }
  };
}
