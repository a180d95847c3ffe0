import { DeadlineQueue, RingcacheError, assert } from '../runtime/index.js';
import type { Clock, Logger } from '../runtime/index.js';
import { RESP_DEFAULTS } from '../resp/index.js';
import type { RespLimits } from '../resp/index.js';
import type { ServerId } from '../ring/index.js';
import { tlsClientOptions } from '../tls/index.js';
import type { ClusterTls } from '../tls/index.js';
import { INTERNODE_LIMITS_DEFAULTS } from './internode-codec.js';
import type { InternodeLimits } from './internode-codec.js';
import { IoredisLink } from './ioredis-link.js';
import { PendingSend } from './pending-send.js';
import { RespLink } from './resp-link.js';
import type { PeerAddress, PeerLink, PeerLinkFactory, PeerLinkOptions } from './peer-link.js';
import type { Envelope } from './messages.js';
import { DATA_MESSAGES } from './data-messages.js';
import { MessageCatalogue } from './peer-message.js';
import type { PeerReply, PeerRequest } from './peer-message.js';
import type { SendReceiver, Transport } from './transport.js';

/** append only: values are config and option values. */
export type TcpClientKind = 'ioredis' | 'lean';

export interface TcpTransportOptions {
  /**
   * Which client speaks RESP: 'lean' (resp-link.ts, our pipelined client over src/resp) or
   * 'ioredis'. Both pass the same contract suite; see the benchmark numbers in resp-link.ts.
   * @default 'lean'
   */
  readonly client: TcpClientKind;
  /** How long one connection attempt may take before it counts as failed. @default 1000 */
  readonly connectTimeoutMs: number;
  /**
   * First delay before reconnecting after a failure; doubles per failure up to the max.
   * Sends during the delay fail at once with RC_ERR_UNREACHABLE. @default 50
   */
  readonly reconnectDelayMsMin: number;
  /**
   * Cap of the reconnect delay: how stale "down" can be. The coordinator's own failure backoff
   * (replication.failureBackoffMs, 1 s) keeps traffic off a down node anyway. @default 1000
   */
  readonly reconnectDelayMsMax: number;
  /**
   * Unanswered requests on one node's connection before more are refused with RC_ERR_OVERLOADED,
   * timed-out ones included (their replies still hold a place in RESP's order). Why: a node that
   * stalls with its connection open must not make a coordinator buffer without bound; 16 Ki
   * covers a proxy's inflight limits with room to spare. @default 16384
   */
  readonly pendingMax: number;
  /** Limits replies are decoded with (keys, values, versions): pass internodeLimitsOf(config). */
  readonly limits: InternodeLimits;
  /** Framing limits of replies (the lean client's parser). */
  readonly replyLimits: RespLimits;
}

export const TCP_TRANSPORT_DEFAULTS: TcpTransportOptions = Object.freeze({
  client: 'lean',
  connectTimeoutMs: 1000,
  reconnectDelayMsMin: 50,
  reconnectDelayMsMax: 1000,
  pendingMax: 16_384,
  limits: INTERNODE_LIMITS_DEFAULTS,
  // A put-result or read reply holds a whole state: up to siblingsMax values in one bulk.
  replyLimits: Object.freeze({ ...RESP_DEFAULTS, bulkBytesMax: RESP_DEFAULTS.frameBytesMax }),
});

export interface TcpTransportDeps {
  /** Where a node listens, asked at every send so connections follow table changes; undefined: unknown server. */
  readonly resolve: (server: ServerId) => PeerAddress | undefined;
  readonly clock: Clock;
  /** The cluster token (cluster.token); empty or absent: none. */
  readonly token?: string;
  /** Cluster TLS (src/tls): every connection is TLS, the node verified against the cluster CA. Absent: plain TCP. */
  readonly tls?: ClusterTls;
  readonly logger?: Logger;
  /** The kinds this process sends and how to decode their replies; the data kinds when absent. */
  readonly catalogue?: MessageCatalogue;
  readonly options?: Partial<TcpTransportOptions>;
}

interface Peer {
  readonly address: PeerAddress;
  readonly link: PeerLink;
}

interface Settle {
  readonly resolve: (reply: Envelope<PeerReply>) => void;
  readonly reject: (error: unknown) => void;
}

/** send() is dispatch() with a promise as the receiver. */
const PROMISE_RECEIVER: SendReceiver<Settle> = {
  onSendReply: (settle, _from, reply) => { settle.resolve(reply); },
  onSendFailure: (settle, _from, error) => { settle.reject(error); },
};

const LINK_FACTORIES: Readonly<Record<TcpClientKind, PeerLinkFactory>> = {
  ioredis: (server, address, options) => new IoredisLink(server, address, options),
  lean: (server, address, options) => new RespLink(server, address, options),
};

/**
 * The Transport of real processes: the internode protocol (internode-codec.ts) as RESP over TCP,
 * one connection per node, concurrent sends pipelined on it.
 *
 *   dispatch(n3, req) --resolve(n3)--> peer n3 (address changed? new connection)
 *        |                                     `--> PendingSend --submit--> link batch --> node
 *        `-- deadline queue of timeoutMs: RC_ERR_TIMEOUT      decodeInternodeReply <-- reply --'
 *
 * A reply that comes after its deadline is read and dropped (RESP answers in order, so the
 * connection stays usable). Deadlines are one DeadlineQueue per distinct timeoutMs (the
 * coordinator uses one), so a request costs no timer of its own.
 *
 * Why dispatch() and PendingSend instead of a promise per send: the promise, its closures, a
 * timer and an argument array per request were most of the proxy's per-request work and garbage.
 * Measured together (2 cores, `ringcache load` -P 16, 50 connections, N=1): proxy CPU 12-17 ->
 * ~7 us per op, 36k -> 65k ops/s; load/internode-bench.ts: 120k -> 165k reads/s at 64 in flight.
 */
export class TcpTransport implements Transport {
  readonly options: TcpTransportOptions;
  private readonly linkOptions: PeerLinkOptions;
  private readonly peers = new Map<ServerId, Peer>();
  /** timeoutMs -> the deadlines of the sends in flight with that timeout. */
  private readonly deadlines = new Map<number, DeadlineQueue<PendingSend>>();
  private closed = false;
  private readonly catalogue: MessageCatalogue;

  constructor(private readonly deps: TcpTransportDeps) {
    this.options = { ...TCP_TRANSPORT_DEFAULTS, ...deps.options };
    this.catalogue = deps.catalogue ?? new MessageCatalogue(DATA_MESSAGES);
    const { connectTimeoutMs, reconnectDelayMsMin, reconnectDelayMsMax, pendingMax } = this.options;
    for (const [name, value] of Object.entries({ connectTimeoutMs, reconnectDelayMsMin, reconnectDelayMsMax, pendingMax })) {
      assert(Number.isSafeInteger(value) && value >= 1, `TcpTransport option ${name} is a positive integer, got ${value}`);
    }
    this.linkOptions = {
      clock: deps.clock,
      token: deps.token ?? '',
      connectTimeoutMs,
      reconnectDelayMsMin,
      reconnectDelayMsMax: Math.max(reconnectDelayMsMin, reconnectDelayMsMax),
      replyLimits: this.options.replyLimits,
      ...(deps.tls === undefined ? {} : { tls: tlsClientOptions(deps.tls) }),
    };
  }

  send(to: ServerId, request: Envelope<PeerRequest>, timeoutMs: number): Promise<Envelope<PeerReply>> {
    return new Promise((resolve, reject) => { this.dispatch(to, request, timeoutMs, PROMISE_RECEIVER, { resolve, reject }); });
  }

  dispatch<T>(to: ServerId, request: Envelope<PeerRequest>, timeoutMs: number, receiver: SendReceiver<T>, tag: T): void {
    if (this.closed) {
      failLater(receiver, tag, to, new RingcacheError('RC_ERR_UNREACHABLE', `transport closed; no send to ${to}`, { server: to }));
      return;
    }
    const peer = this.peerOf(to);
    if (peer instanceof RingcacheError) {
      failLater(receiver, tag, to, peer);
      return;
    }
    const unanswered = peer.link.unanswered;
    if (unanswered >= this.options.pendingMax) {
      failLater(receiver, tag, to, new RingcacheError('RC_ERR_OVERLOADED',
        `${unanswered} sends to ${to} are unanswered (timed-out ones included), the most allowed; see TcpTransport pendingMax`, { server: to }));
      return;
    }
    const deadlines = this.deadlinesOf(timeoutMs);
    const send = new PendingSend(to, request, this.catalogue, this.options.limits, deadlines, receiver, tag);
    // Submitted first: a command that throws while encoding leaves no deadline behind. Its
    // outcome cannot come before the ticket is set: links never answer inside submit().
    peer.link.submit(send);
    send.ticket = deadlines.add(send);
  }

  /** Closes every connection; sends not settled yet reject with RC_ERR_UNREACHABLE. Idempotent. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const error = new RingcacheError('RC_ERR_UNREACHABLE', 'transport closed before the reply');
    for (const deadlines of this.deadlines.values()) {
      for (const send of deadlines.clear()) send.abort(error);
    }
    for (const peer of this.peers.values()) peer.link.close();
    this.peers.clear();
    return Promise.resolve();
  }

  private deadlinesOf(timeoutMs: number): DeadlineQueue<PendingSend> {
    let deadlines = this.deadlines.get(timeoutMs);
    if (deadlines === undefined) {
      deadlines = new DeadlineQueue<PendingSend>(this.deps.clock, timeoutMs, expire);
      this.deadlines.set(timeoutMs, deadlines);
    }
    return deadlines;
  }

  /** The peer of a server at its current address; a moved server gets a new connection. */
  private peerOf(server: ServerId): Peer | RingcacheError {
    const address = this.deps.resolve(server);
    let peer = this.peers.get(server);
    if (peer !== undefined && (address === undefined || address.host !== peer.address.host || address.port !== peer.address.port)) {
      this.deps.logger?.info({ server, from: peer.address, to: address }, 'internode address changed; reconnecting');
      peer.link.close();
      this.peers.delete(server);
      peer = undefined;
    }
    if (address === undefined) {
      return new RingcacheError('RC_ERR_UNREACHABLE', `${server} is not a server of the current table`, { server });
    }
    if (peer === undefined) {
      peer = { address: { host: address.host, port: address.port }, link: LINK_FACTORIES[this.options.client](server, address, this.linkOptions) };
      this.peers.set(server, peer);
    }
    return peer;
  }
}

function expire(send: PendingSend): void {
  send.expire();
}

/** Refusals are heard after dispatch() returns, as a rejected promise was. */
function failLater<T>(receiver: SendReceiver<T>, tag: T, to: ServerId, error: RingcacheError): void {
  queueMicrotask(() => { receiver.onSendFailure(tag, to, error); });
}
