import type { Reply } from './reply.js';
import type { PendingReply } from './pending-reply.js';

/** One client connection as command handlers see it. */
export interface RespConnection {
  readonly id: number;
  /** `host:port` of the peer, for CLIENT LIST and logs. */
  readonly remoteAddress: string;
  /** The command layer's own per-connection state (SELECT's db, CLIENT SETNAME, AUTH). */
  readonly state: Record<string, unknown>;
  /**
   * Closes gracefully: reads nothing more, answers the commands already received, then ends the
   * socket. A peer that does not read them within the server's closeTimeoutMs is cut off.
   */
  close(): void;
}

/** The command layer: the server knows no command, the handler knows no byte of RESP. */
export interface RespHandler {
  /**
   * Answers one command. `args` are views of socket buffers: copy what outlives the command.
   * Throwing or rejecting with a RingcacheError answers `-ERR <message>`; anything else answers
   * `-ERR internal error` and goes to the server's onError hook. A PendingReply is a promise
   * without the promise: the server waits on it through a method call (see pending-reply.ts).
   */
  onCommand(args: Buffer[], connection: RespConnection): Reply | Promise<Reply> | PendingReply;
  /** Told of each accepted connection before its first command (a deadline for authenticating, say). */
  onConnection?(connection: RespConnection): void;
  /** Told once when an accepted connection is gone (its timers can go with it). */
  onDisconnection?(connection: RespConnection): void;
}

/** Counters for /metrics; the server updates them in place. */
export interface RespServerStats {
  connectionsAccepted: number;
  connectionsOpen: number;
  commands: number;
  protocolErrors: number;
  /** Connections closed because they spoke HTTP (see cross-protocol.ts). */
  crossProtocolRefusals: number;
  /** TLS handshakes that failed: a plain-text client, or a certificate the CA did not sign. */
  tlsHandshakeFailures: number;
  /** Connections turned away at clientsMax (`-ERR max number of clients reached`). */
  connectionsRejected: number;
  /** Connections closed with a command half-sent past limits.frameTimeoutMs. */
  frameTimeouts: number;
  /** Connections closed after limits.idleTimeoutMs without a command. */
  idleTimeouts: number;
  /** Connections cut off for holding more than limits.outputBufferBytesMax of replies. */
  outputLimitCloses: number;
  /** Handler failures other than RingcacheErrors, and replies that could not be encoded. */
  internalErrors: number;
  socketErrors: number;
  /** Times a connection stopped being read (inflight or output limits: backpressure). */
  readPauses: number;
  /** Bytes read from client sockets (counted per chunk, not per command). */
  bytesReceived: number;
  /** Reply bytes handed to client sockets. */
  bytesSent: number;
}

/** open -> closing (reads nothing more; answers what it received, then ends) -> closed. */
export type ConnectionPhase = 'open' | 'closing' | 'closed';

export interface RespConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly phase: ConnectionPhase;
  /** Commands received whose replies are not handed to the socket yet. */
  readonly inflight: number;
  /** True while the connection is not read (backpressure). */
  readonly paused: boolean;
  /** Reply bytes the socket has not sent yet. */
  readonly outputBytes: number;
  /** Request bytes read but not parsed yet (a partial command, input kept while paused). */
  readonly inputBytes: number;
}

/** The connections a limit closed, by the limit's metric label (one list for every role's metrics). */
export function limitCloses(stats: RespServerStats): [string, number][] {
  return [
    ['max_clients', stats.connectionsRejected],
    ['frame_timeout', stats.frameTimeouts],
    ['idle_timeout', stats.idleTimeouts],
    ['output_buffer', stats.outputLimitCloses],
  ];
}
