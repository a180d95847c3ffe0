import type { Socket } from 'node:net';
import { assert, isRingcacheError } from '../runtime/index.js';
import type { Clock, Timer } from '../runtime/index.js';
import type { ReplyWriter } from './encoder.js';
import type { ConnectionPhase, RespConnection, RespConnectionInfo, RespHandler, RespServerStats } from './handler.js';
import type { RespLimits } from './options.js';
import { errorReply, replyBytes, RESP_OK } from './reply.js';
import type { Reply, ReplyValue } from './reply.js';
import { RequestParser } from './request-parser.js';
import { PendingReply } from './pending-reply.js';
import { httpLookalike } from './cross-protocol.js';
import type { CrossProtocolPolicy } from './cross-protocol.js';
import type { PendingReplyWaiter } from './pending-reply.js';

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly handler: RespHandler;
  readonly limits: RespLimits;
  /** Shared by all connections: a batch is built and taken within one flush. */
  readonly writer: ReplyWriter;
  readonly stats: RespServerStats;
  readonly clock: Clock;
  /** How long a closing connection may take to answer and see the peer hang up. */
  readonly closeTimeoutMs: number;
  readonly crossProtocol: CrossProtocolPolicy;
  replyForError(error: unknown, connection: RespConnection): ReplyValue;
  reportInternalError(error: unknown, connection: RespConnection): void;
  /** Calls connection.pump() at the start of the next turn of the event loop. */
  scheduleFlush(connection: Connection): void;
  onClosed(connection: Connection): void;
}

const INTERNAL_ERROR = errorReply('ERR internal error');

/**
 * One client connection. Replies leave in request order even when handlers finish out of
 * order: every command takes the next slot of `queue`; a synchronous reply fills it at once, an
 * asynchronous one when it settles; a flush encodes the filled prefix into one socket.write.
 *
 *   seqBase=40
 *   [ ready | ready | pending | ready ]  <- the next command takes seq 44
 *     `-- next flush --'  stops here
 *
 * pump() is the one place that decides whether to read on. It runs after each chunk, on
 * 'drain', and in the turn after an asynchronous reply settles:
 *
 *   flush ready replies (no more than the output room) -> overloaded? pause the socket
 *                                                      -> otherwise resume the parser, then the socket
 *
 * The parser itself stops mid-chunk at inflightMax, so one 64 KiB chunk of pipelined GETs of
 * large values cannot queue thousands of large replies at once.
 */
export class Connection implements RespConnection, PendingReplyWaiter {
  readonly state: Record<string, unknown> = {};
  readonly remoteAddress: string;
  /** Set while this connection waits in the server's list of connections to flush. */
  flushPending = false;
  private phase: ConnectionPhase = 'open';
  private readonly parser: RequestParser;
  /** Below the socket's own high-water mark a write never returns false and no 'drain' wakes us. */
  private readonly outputBytesMax: number;
  /** Replies not handed to the socket yet; queue[0] answers command number seqBase. */
  private queue: (Reply | undefined)[] = [];
  private seqBase = 0;
  private inflightBytes = 0;
  private paused = false;
  private ended = false;
  private closeTimer: Timer | null = null;
  private firstCommand = true;
  /** Bytes of ready replies in `queue` (not yet handed to the socket); see outputBufferBytesMax. */
  private readyBytes = 0;
  private lastReadMs: number;
  /** When the command the parser holds half of was begun (undefined: none held). */
  private frameStartMs: number | undefined;
  /** Commands seen when frameStartMs was set: a later chunk that completed one restarts it. */
  private frameStartSeq = 0;

  constructor(readonly id: number, private readonly socket: Socket, private readonly host: ConnectionHost) {
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.parser = new RequestParser(host.limits, this.onCommand);
    this.outputBytesMax = Math.max(host.limits.outputBytesHighWater, socket.writableHighWaterMark);
    this.lastReadMs = host.clock.nowMs();
    socket.on('data', (chunk: Buffer) => {
      host.stats.bytesReceived += chunk.length;
      this.onData(chunk);
    });
    socket.on('drain', () => { this.pump(); });
    // allowHalfOpen: a peer that sends its commands then shuts its side still gets its replies.
    socket.on('end', () => { this.close(); });
    socket.on('error', () => { host.stats.socketErrors++; });
    socket.on('close', () => { this.onSocketClosed(); });
  }

  get info(): RespConnectionInfo {
    return {
      id: this.id,
      remoteAddress: this.remoteAddress,
      phase: this.phase,
      inflight: this.queue.length,
      paused: this.paused,
      outputBytes: this.socket.writableLength,
      inputBytes: this.parser.bufferedBytes,
    };
  }

  close(): void {
    if (this.phase !== 'open') return;
    this.phase = 'closing';
    this.parser.pause();
    this.socket.pause();
    this.closeTimer = this.host.clock.schedule(this.host.closeTimeoutMs, () => { this.destroy(); });
    this.endIfAnswered();
  }

  /** Drops the socket at once (a close deadline passed). */
  destroy(): void {
    this.socket.destroy();
  }

  /** Writes what is ready, then stops or resumes reading (backpressure, see RespLimits). */
  pump(): void {
    for (;;) {
      this.flush();
      if (this.phase !== 'open') return;
      if (this.overloaded()) {
        if (!this.paused) {
          this.paused = true;
          this.host.stats.readPauses++;
          this.socket.pause();
        }
        return;
      }
      if (!this.parser.paused) break;
      this.parse(null);
    }
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private onData(chunk: Buffer): void {
    if (this.phase !== 'open') return;
    this.lastReadMs = this.host.clock.nowMs();
    this.parse(chunk);
    this.noteFrame();
    this.pump();
  }

  /** Marks when a half-received command began, so checkTimeouts() can close a stalled one. */
  private noteFrame(): void {
    const seen = this.seqBase + this.queue.length;
    if (this.parser.paused || this.parser.bufferedBytes === 0) {
      this.frameStartMs = undefined;
    } else if (this.frameStartMs === undefined || seen !== this.frameStartSeq) {
      this.frameStartMs = this.lastReadMs;
      this.frameStartSeq = seen;
    }
  }

  /**
   * Closes this connection if a command stayed half-sent past frameTimeoutMs, or if it sat idle
   * past idleTimeoutMs; says which. Input we hold because we paused reading is not the client's
   * stall, and a connection with commands in flight or output unsent is not idle.
   */
  checkTimeouts(nowMs: number): 'frame' | 'idle' | undefined {
    if (this.phase !== 'open') return undefined;
    const limits = this.host.limits;
    if (this.frameStartMs !== undefined && !this.parser.paused && nowMs - this.frameStartMs >= limits.frameTimeoutMs) {
      this.queue.push(errorReply(`ERR Protocol error: command not completed within ${limits.frameTimeoutMs} ms; see resp.frameTimeoutMs`));
      this.close();
      this.pump();
      return 'frame';
    }
    const idle = limits.idleTimeoutMs > 0 && this.queue.length === 0 && this.socket.writableLength === 0
      && this.parser.bufferedBytes === 0 && nowMs - this.lastReadMs >= limits.idleTimeoutMs;
    if (!idle) return undefined;
    this.close();
    return 'idle';
  }

  /** Feeds a chunk (or resumes on the input kept by a pause); a protocol error closes. */
  private parse(chunk: Buffer | null): void {
    try {
      if (chunk === null) this.parser.resume();
      else this.parser.feed(chunk);
    } catch (error) {
      if (!isRingcacheError(error, 'RC_ERR_PROTOCOL')) throw error;
      // As Redis: answer the commands before it, then the error, then close.
      this.host.stats.protocolErrors++;
      this.queue.push(errorReply(`ERR ${error.message}`));
      this.close();
    }
  }

  private readonly onCommand = (args: Buffer[]): void => {
    const host = this.host;
    if (host.crossProtocol === 'close' && this.refuseHttp(args)) return;
    this.firstCommand = false;
    host.stats.commands++;
    let result: Reply | Promise<Reply> | PendingReply;
    try {
      result = host.handler.onCommand(args, this);
    } catch (error) {
      result = host.replyForError(error, this);
    }
    if (result instanceof PendingReply) this.awaitPending(result, args);
    else if (result instanceof Promise) this.awaitReply(result, args);
    else this.fillSlot(this.queue.length, result);
    if (this.queue.length >= host.limits.inflightMax || this.inflightBytes >= host.limits.inflightBytesMax) {
      this.parser.pause();
    }
  };

  /**
   * Destroys the connection before an HTTP lookalike runs: no reply (an HTTP client could not
   * read one), and nothing after it in the chunk is parsed (Redis's securityWarningCommand).
   */
  private refuseHttp(args: Buffer[]): boolean {
    if (httpLookalike(args, this.firstCommand, this.parser.inline) === undefined) return false;
    this.host.stats.crossProtocolRefusals++;
    this.parser.pause();
    this.phase = 'closing';
    this.socket.destroy();
    return true;
  }

  private awaitReply(promise: Promise<Reply>, args: Buffer[]): void {
    const seq = this.seqBase + this.queue.length;
    this.queue.push(undefined);
    let bytes = 0;
    for (const arg of args) bytes += arg.length;
    this.inflightBytes += bytes;
    promise.then(
      (reply) => { this.settle(seq, reply, bytes); },
      (error: unknown) => { this.settle(seq, this.host.replyForError(error, this), bytes); },
    );
  }

  /** awaitReply without a promise: the pending reply keeps seq and bytes and calls back. */
  private awaitPending(pending: PendingReply, args: Buffer[]): void {
    pending.seq = this.seqBase + this.queue.length;
    this.queue.push(undefined);
    let bytes = 0;
    for (const arg of args) bytes += arg.length;
    this.inflightBytes += bytes;
    pending.bytes = bytes;
    pending.wait(this);
  }

  onPendingSettled(pending: PendingReply): void {
    const reply = pending.failed ? this.host.replyForError(pending.failure, this) : pending.reply;
    this.settle(pending.seq, reply, pending.bytes);
  }

  private settle(seq: number, reply: Reply, bytes: number): void {
    this.inflightBytes -= bytes;
    const index = seq - this.seqBase;
    // Dropped: the connection closed, or a QUIT before this command was written.
    if (this.phase === 'closed' || index < 0 || index >= this.queue.length) return;
    this.fillSlot(index, reply);
    if (index === 0 || this.paused) this.host.scheduleFlush(this);
  }

  /** Stores a reply in its slot; a handler bug (no reply object) answers an internal error. */
  private fillSlot(index: number, reply: Reply): void {
    const value: unknown = reply;
    if (typeof value !== 'object' || value === null || !('kind' in value)) {
      this.host.reportInternalError(new TypeError(`handler answered ${String(value)}, not a Reply`), this);
      this.queue[index] = INTERNAL_ERROR;
      return;
    }
    this.queue[index] = reply;
    if (reply.kind === 'close') {
      this.close();
      return;
    }
    this.readyBytes += replyBytes(reply);
    this.enforceOutputLimit();
  }

  /**
   * Redis's client-output-buffer-limit (hard): a client that does not read what it asked for is
   * cut off rather than held in memory. Destroyed, not ended: its replies would never be read.
   */
  private enforceOutputLimit(): void {
    const limit = this.host.limits.outputBufferBytesMax;
    if (this.phase === 'closed' || this.readyBytes + this.socket.writableLength <= limit) return;
    this.host.stats.outputLimitCloses++;
    this.phase = 'closing';
    this.parser.pause();
    this.queue = [];
    this.readyBytes = 0;
    this.socket.destroy();
  }

  /**
   * Writes the ready prefix of the queue: one socket.write per turn in the common case; more only
   * when ready replies outgrow the output room and the kernel takes a batch at once (then there is
   * room again, and no 'drain' would come to call us back).
   */
  private flush(): void {
    const writer = this.host.writer;
    assert(writer.batchBytes === 0, 'the shared ReplyWriter holds another connection\'s batch');
    while (this.phase !== 'closed' && this.queue[0] !== undefined) {
      const room = this.outputBytesMax - this.socket.writableLength;
      // Full: the write that filled it returned false, so a 'drain' will call pump().
      if (room <= 0) break;
      const quit = this.encodeReady(writer, room);
      const batch = writer.take();
      if (batch.length > 0 && this.socket.writable) {
        this.socket.write(batch);
        this.host.stats.bytesSent += batch.length;
        this.enforceOutputLimit();
      }
      if (quit) this.close();
    }
    this.endIfAnswered();
  }

  /** Encodes ready replies until `room` bytes are used; true when it met a QUIT. */
  private encodeReady(writer: ReplyWriter, room: number): boolean {
    const queue = this.queue;
    let written = 0;
    while (written < queue.length && writer.batchBytes < room) {
      const reply = queue[written];
      if (reply === undefined) break;
      written++;
      if (reply.kind === 'close') {
        writer.raw(RESP_OK);
        // Replies after a QUIT are never written; settle() drops late ones by their seq.
        this.dropWritten(queue.length);
        this.readyBytes = 0;
        return true;
      }
      this.readyBytes -= replyBytes(reply);
      this.encode(writer, reply);
    }
    this.dropWritten(written);
    return false;
  }

  private encode(writer: ReplyWriter, reply: ReplyValue): void {
    const mark = writer.batchBytes;
    try {
      writer.value(reply);
    } catch (error) {
      writer.truncate(mark);
      writer.value(INTERNAL_ERROR);
      this.host.reportInternalError(error, this);
    }
  }

  private overloaded(): boolean {
    const limits = this.host.limits;
    return this.queue.length >= limits.inflightMax
      || this.inflightBytes >= limits.inflightBytesMax
      || this.socket.writableLength >= this.outputBytesMax;
  }

  private dropWritten(count: number): void {
    if (count >= this.queue.length) {
      this.seqBase += this.queue.length;
      this.queue.length = 0;
    } else if (count > 0) {
      this.queue.splice(0, count);
      this.seqBase += count;
    }
  }

  private endIfAnswered(): void {
    if (this.phase !== 'closing' || this.ended || this.queue.length > 0) return;
    this.ended = true;
    this.socket.end();
    // Read (and ignore) up to the peer's FIN: closing with unread bytes would send a RST, which
    // can destroy our last replies in the peer's buffer before it reads them.
    this.socket.resume();
  }

  private onSocketClosed(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.queue = [];
    this.readyBytes = 0;
    this.closeTimer?.cancel();
    this.host.onClosed(this);
  }
}
