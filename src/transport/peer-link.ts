import { RingcacheError } from '../runtime/index.js';
import type { ConnectionOptions } from 'node:tls';
import type { Clock } from '../runtime/index.js';
import type { ReplyWriter, RespLimits, RespValue } from '../resp/index.js';

/**
 * One command sent on a link and the one who waits for its answer (TcpTransport's pending send).
 * A call object instead of a promise per call: no closures, no microtask hops, and the same
 * object is the timeout's entry (see tcp-transport.ts).
 */
export interface LinkCall {
  /** Appends the command (an array of bulk strings) to the link's batch: the lean client. */
  writeTo(batch: ReplyWriter): void;
  /** The command as arguments: clients that frame commands themselves (ioredis). */
  command(): (string | Buffer)[];
  /** The peer's answer, error replies included (kind 'error'). Must not throw. */
  onLinkReply(value: RespValue): void;
  /** The connection failed before the answer (RC_ERR_UNREACHABLE, RC_ERR_PROTOCOL). Must not throw. */
  onLinkError(error: RingcacheError): void;
}

/**
 * One connection from a coordinator to one storage node, as TcpTransport uses it. Two
 * implementations: ioredis (ioredis-link.ts) and a lean pipelined client over src/resp
 * (resp-link.ts). Both keep the same rules:
 *
 *   never connected / connecting  -> the call waits for the attempt (bounded by the send's deadline)
 *   connected                     -> written at once (batched with the calls of the same turn)
 *   attempt failed, backing off   -> rejected at once with RC_ERR_UNREACHABLE: no offline queue,
 *                                    so a coordinator tries the next replica instead of waiting
 *   connection lost mid-call      -> rejected with RC_ERR_UNREACHABLE (never resent: the caller
 *                                    decides; coord-put is deduplicated by requestId anyway)
 */
export interface PeerLink {
  /**
   * Sends one command; the call hears `onLinkReply` with the peer's reply (error replies
   * included), or `onLinkError` with a RingcacheError about the connection (RC_ERR_UNREACHABLE,
   * RC_ERR_PROTOCOL), exactly once and never synchronously inside submit().
   */
  submit(call: LinkCall): void;
  /**
   * Calls made and not answered yet, those whose sender gave up (timed out) included: they still
   * hold their place in the connection's reply order.
   */
  readonly unanswered: number;
  /** Drops the connection; calls not answered yet reject with RC_ERR_UNREACHABLE. Idempotent. */
  close(): void;
}

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export interface PeerLinkOptions {
  readonly clock: Clock;
  /** Sent with AUTH first on every connection when not empty (cluster.token). */
  readonly token: string;
  readonly connectTimeoutMs: number;
  readonly reconnectDelayMsMin: number;
  readonly reconnectDelayMsMax: number;
  /** Limits on replies (the lean client's parser): a peer is trusted no more than a client. */
  readonly replyLimits: RespLimits;
  /** Cluster TLS (src/tls tlsClientOptions): connect with TLS, verify the node against the CA. Absent: plain TCP. */
  readonly tls?: ConnectionOptions;
}

export type PeerLinkFactory = (server: string, address: PeerAddress, options: PeerLinkOptions) => PeerLink;

/** Capped exponential backoff: min * 2^(failures-1), at most max. */
export function reconnectDelayMs(failures: number, options: PeerLinkOptions): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(options.reconnectDelayMsMax, options.reconnectDelayMsMin * 2 ** exponent);
}

export function unreachable(server: string, address: PeerAddress, why: string): RingcacheError {
  return new RingcacheError('RC_ERR_UNREACHABLE', `${server} at ${address.host}:${address.port} is unreachable: ${why}`, { server });
}
