import { createServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { TlsOptions } from 'node:tls';
import type { AddressInfo, Server, Socket } from 'node:net';
import { assert, deferToNextTurn, every, RingcacheError } from '../runtime/index.js';
import type { Clock, Startable, Timer } from '../runtime/index.js';
import { Connection } from './connection.js';
import type { ConnectionHost } from './connection.js';
import type { RespConnection, RespConnectionInfo, RespHandler, RespServerStats } from './handler.js';
import { ReplyWriter } from './encoder.js';
import { resolveRespLimits } from './options.js';
import type { RespLimits } from './options.js';
import { errorReply } from './reply.js';
import type { CrossProtocolPolicy } from './cross-protocol.js';
import type { ReplyValue } from './reply.js';

export interface RespServerComponents {
  readonly handler: RespHandler;
  /** Schedules the close deadlines (injected: STYLE.md practice 3). */
  readonly clock: Clock;
  /**
   * Told about handler failures that are not RingcacheErrors, replies that could not be encoded,
   * and accept errors (connection undefined). Must not throw.
   */
  readonly onError?: (error: unknown, connection: RespConnection | undefined) => void;
}

export interface RespServerOptions {
  readonly host: string;
  /** 0 picks a free port; read the bound one from `port` after start(). */
  readonly port: number;
  readonly limits?: Partial<RespLimits>;
  /**
   * How long a closing connection (QUIT, protocol error, stop()) may take to answer the commands
   * it already sent and see the peer hang up before it is destroyed; so also stop()'s deadline.
   * @default 5000
   */
  readonly closeTimeoutMs?: number;
  /**
   * 'close': a connection that sends an HTTP request line, or a `POST` or `Host:` command, is
   * destroyed before that command runs, and counted (stats.crossProtocolRefusals); see
   * cross-protocol.ts. 'allow' only for a test that needs the old behaviour.
   * @default 'close'
   */
  readonly crossProtocol?: CrossProtocolPolicy;
  /**
   * Connections open at once; one more is answered `-ERR max number of clients reached` and
   * closed, as Redis's maxclients. Why: past the process's file-descriptor limit accept() fails
   * and clients are dropped without a word; 10,000 is Redis's default.
   * @default 10000
   */
  readonly clientsMax?: number;
  /**
   * PEM key and certificate: the port speaks TLS only (redis-cli --tls). With `ca` and
   * `requestCert` (cluster TLS, src/tls) only clients with a certificate that CA signed complete
   * the handshake. Absent: plain TCP.
   */
  readonly tls?: Pick<TlsOptions, 'key' | 'cert' | 'ca' | 'requestCert' | 'rejectUnauthorized'>;
}

export const RESP_SERVER_DEFAULTS: Readonly<{ closeTimeoutMs: number; crossProtocol: CrossProtocolPolicy; clientsMax: number }> = Object.freeze({
  closeTimeoutMs: 5000,
  crossProtocol: 'close',
  clientsMax: 10_000,
});

/** Encoded once: every rejected connection gets the same bytes, as Redis words them. */
const MAX_CLIENTS_REPLY = Buffer.from('-ERR max number of clients reached\r\n');
/** How long a turned-away connection may take to read its error and hang up. */
const REJECTED_LINGER_MS = 1000;
/** Timeouts are checked this often at most (and at least 4 times per the shortest timeout). */
const TIMEOUT_CHECK_INTERVAL_MS_MAX = 1000;

const INTERNAL_ERROR: ReplyValue = Object.freeze(errorReply('ERR internal error'));

/**
 * A RESP2 server over node:net: parses requests, calls the handler, writes replies in request
 * order and stops reading a connection that has too much in flight or unsent (RespLimits).
 * Command semantics live in the handler; this file knows none.
 *
 * Batching: the synchronous replies to one chunk of requests leave in one socket.write at the end
 * of that 'data' event; replies of asynchronous handlers that settle within one turn of the event
 * loop leave together, one write per connection, at the start of the next turn. (Deferring the
 * synchronous ones too, to batch across chunks, doubled the server's CPU per GET under
 * redis-benchmark -P 16 when measured; it buys nothing when a pipeline arrives in one chunk.)
 *
 * Errors: a handler's RingcacheError answers `-ERR <message>` (its messages are written for
 * users: numbers and the option to tune; redis clients show only the text); any other throw
 * answers `-ERR internal error` and goes to onError. A protocol error answers
 * `-ERR Protocol error: ...` and closes that connection only. A connection that speaks HTTP is
 * destroyed without a reply (options.crossProtocol).
 */
export class RespServer implements Startable {
  readonly stats: RespServerStats = {
    connectionsAccepted: 0,
    connectionsOpen: 0,
    commands: 0,
    protocolErrors: 0,
    crossProtocolRefusals: 0,
    tlsHandshakeFailures: 0,
    connectionsRejected: 0,
    frameTimeouts: 0,
    idleTimeouts: 0,
    outputLimitCloses: 0,
    internalErrors: 0,
    socketErrors: 0,
    readPauses: 0,
    bytesReceived: 0,
    bytesSent: 0,
  };
  readonly limits: RespLimits;
  private readonly host: ConnectionHost;
  private readonly connections = new Set<Connection>();
  private server: Server | null = null;
  private boundPort = 0;
  private nextId = 1;
  private toFlush: Connection[] = [];
  private flushScheduled = false;
  private stopping: Promise<void> | null = null;
  private readonly clientsMax: number;
  private timeoutCheck: Timer | null = null;
  /** Resolves stop() once the last connection is gone (the server's own 'close' can come first). */
  private onLastConnectionClosed: (() => void) | null = null;

  constructor(private readonly components: RespServerComponents, private readonly options: RespServerOptions) {
    this.limits = resolveRespLimits(options.limits);
    const closeTimeoutMs = options.closeTimeoutMs ?? RESP_SERVER_DEFAULTS.closeTimeoutMs;
    assert(Number.isSafeInteger(closeTimeoutMs) && closeTimeoutMs >= 0, `closeTimeoutMs must be a non-negative integer, got ${closeTimeoutMs}`);
    this.clientsMax = options.clientsMax ?? RESP_SERVER_DEFAULTS.clientsMax;
    assert(Number.isSafeInteger(this.clientsMax) && this.clientsMax >= 1, `clientsMax must be a positive integer, got ${this.clientsMax}`);
    this.host = {
      handler: components.handler,
      limits: this.limits,
      writer: new ReplyWriter(),
      stats: this.stats,
      clock: components.clock,
      closeTimeoutMs,
      crossProtocol: options.crossProtocol ?? RESP_SERVER_DEFAULTS.crossProtocol,
      replyForError: (error, connection) => this.replyForError(error, connection),
      reportInternalError: (error, connection) => { this.reportInternalError(error, connection); },
      scheduleFlush: (connection) => { this.scheduleFlush(connection); },
      onClosed: (connection) => { this.onClosed(connection); },
    };
  }

  /** The bound port (the real one when options.port was 0). */
  get port(): number {
    assert(this.server !== null, 'RespServer.port read before start()');
    return this.boundPort;
  }

  async start(): Promise<void> {
    assert(this.server === null && this.stopping === null, 'RespServer.start() called twice or after stop()');
    // allowHalfOpen: see Connection; noDelay: replies are batched already, Nagle only adds delay.
    const onSocket = (socket: Socket): void => { this.accept(socket); };
    const { tls } = this.options;
    // A TLS socket reaches accept() once its handshake is done, and reads and writes like any other.
    // Half-open only from then on: a TLS server socket that allows it ignores a FIN that comes
    // before the handshake ends, so every client that gave up on our certificate held a
    // descriptor (outside maxClients) for Node's 120 s handshake timeout, and stop() waited for it.
    const server = tls === undefined
      ? createServer({ allowHalfOpen: true, noDelay: true }, onSocket)
      : createTlsServer({ allowHalfOpen: false, noDelay: true, ...tls }, (socket) => {
        socket.allowHalfOpen = true;
        onSocket(socket);
      });
    // A client without an acceptable certificate (or not speaking TLS) never reaches accept().
    if (tls !== undefined) server.on('tlsClientError', () => { this.stats.tlsHandshakeFailures++; });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    // After listening, the only server errors are failed accepts (EMFILE): report, keep serving.
    server.on('error', (error) => { this.components.onError?.(error, undefined); });
    this.boundPort = (server.address() as AddressInfo).port;
    this.timeoutCheck = every(this.components.clock, this.timeoutCheckIntervalMs(), () => { this.checkTimeouts(); });
  }

  private timeoutCheckIntervalMs(): number {
    const { frameTimeoutMs, idleTimeoutMs } = this.limits;
    const shortest = idleTimeoutMs > 0 ? Math.min(frameTimeoutMs, idleTimeoutMs) : frameTimeoutMs;
    return Math.max(1, Math.min(TIMEOUT_CHECK_INTERVAL_MS_MAX, Math.floor(shortest / 4)));
  }

  /** One walk over the connections per interval, instead of a timer per connection. */
  private checkTimeouts(): void {
    const nowMs = this.components.clock.nowMs();
    for (const connection of this.connections) {
      const closed = connection.checkTimeouts(nowMs);
      if (closed === 'frame') this.stats.frameTimeouts++;
      else if (closed === 'idle') this.stats.idleTimeouts++;
    }
  }

  /**
   * Stops accepting, lets every connection answer the commands it already sent, then ends it;
   * a connection still open after closeTimeoutMs is destroyed. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** One line per connection, for CLIENT LIST and tests. */
  connectionInfo(): RespConnectionInfo[] {
    return [...this.connections].map((connection) => connection.info);
  }

  private async shutdown(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.timeoutCheck?.cancel();
    const serverClosed = new Promise<void>((resolve) => { server.close(() => { resolve(); }); });
    const connectionsClosed = new Promise<void>((resolve) => {
      if (this.connections.size === 0) resolve();
      else this.onLastConnectionClosed = resolve;
    });
    for (const connection of this.connections) connection.close();
    await Promise.all([serverClosed, connectionsClosed]);
  }

  private accept(socket: Socket): void {
    if (this.stopping !== null) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.clientsMax) {
      // As Redis: say why, then close; the client's own bytes are never read.
      this.stats.connectionsRejected++;
      socket.on('error', () => { this.stats.socketErrors++; });
      socket.end(MAX_CLIENTS_REPLY);
      // Read to the peer's FIN (closing on unread bytes sends a RST that can eat the error), but
      // never hold a descriptor for a peer that does not hang up.
      socket.resume();
      this.components.clock.schedule(REJECTED_LINGER_MS, () => { socket.destroy(); });
      return;
    }
    const connection = new Connection(this.nextId++, socket, this.host);
    this.connections.add(connection);
    this.stats.connectionsAccepted++;
    this.stats.connectionsOpen++;
    this.components.handler.onConnection?.(connection);
  }

  private onClosed(connection: Connection): void {
    if (this.connections.delete(connection)) {
      this.stats.connectionsOpen--;
      this.components.handler.onDisconnection?.(connection);
    }
    if (this.connections.size === 0) this.onLastConnectionClosed?.();
  }

  private replyForError(error: unknown, connection: RespConnection): ReplyValue {
    if (error instanceof RingcacheError) return errorReply(`ERR ${error.message}`);
    this.reportInternalError(error, connection);
    return INTERNAL_ERROR;
  }

  private reportInternalError(error: unknown, connection: RespConnection): void {
    this.stats.internalErrors++;
    this.components.onError?.(error, connection);
  }

  /** Replies that become ready in one turn leave together at the start of the next. */
  private scheduleFlush(connection: Connection): void {
    if (connection.flushPending) return;
    connection.flushPending = true;
    this.toFlush.push(connection);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    deferToNextTurn(this.flushReady);
  }

  private readonly flushReady = (): void => {
    const connections = this.toFlush;
    this.toFlush = [];
    this.flushScheduled = false;
    for (const connection of connections) {
      connection.flushPending = false;
      connection.pump();
    }
  };
}
