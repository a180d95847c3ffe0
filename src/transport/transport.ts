import type { ServerId } from '../ring/table.js';
import type { Envelope, ReadRequest } from './messages.js';
import type { PeerReply, PeerRequest } from './peer-message.js';

/**
 * How a coordinator reaches storage nodes. Two implementations pass one contract suite
 * (test/unit/transport-contract.ts): RESP over TCP with ioredis, and the simulator's network.
 *
 * `send` resolves with the node's reply or rejects with a RingcacheError:
 *   RC_ERR_TIMEOUT     no reply within timeoutMs (the request may or may not have been applied)
 *   RC_ERR_UNREACHABLE the node refused or dropped the connection
 *   any code the node's handler threw (RC_ERR_STORAGE_FULL, RC_ERR_PROTOCOL, ...), passed through
 */
export interface Transport {
  send(to: ServerId, request: Envelope<PeerRequest>, timeoutMs: number): Promise<Envelope<PeerReply>>;
  /**
   * `send` without a promise: the receiver hears exactly one of onSendReply / onSendFailure (same
   * outcomes and codes as send), never synchronously inside dispatch(). The coordinator's hot
   * path: a promise, its closures and microtask hops per request were a large share of the
   * proxy's CPU. Optional: `dispatcherOf` adapts a transport that only has `send`.
   */
  dispatch?<T>(to: ServerId, request: Envelope<PeerRequest>, timeoutMs: number, receiver: SendReceiver<T>, tag: T): void;
  /** Closes connections; idempotent. Pending sends reject with RC_ERR_UNREACHABLE. */
  close(): Promise<void>;
}

/** Who hears the outcome of a dispatched request; `tag` says which of its requests it was. */
export interface SendReceiver<T> {
  onSendReply(tag: T, from: ServerId, reply: Envelope<PeerReply>): void;
  onSendFailure(tag: T, from: ServerId, error: unknown): void;
}

export type Dispatch = <T>(to: ServerId, request: Envelope<PeerRequest>, timeoutMs: number, receiver: SendReceiver<T>, tag: T) => void;

/** The transport's own dispatch, or one made of its `send` (the simulator's network, test doubles). */
export function dispatcherOf(transport: Transport): Dispatch {
  if (transport.dispatch !== undefined) return transport.dispatch.bind(transport);
  return (to, request, timeoutMs, receiver, tag) => {
    transport.send(to, request, timeoutMs).then(
      (reply) => { receiver.onSendReply(tag, to, reply); },
      (error: unknown) => { receiver.onSendFailure(tag, to, error); },
    );
  };
}

/** The node side: answers one request. Throwing a RingcacheError sends that error back. */
export interface InternodeHandler {
  handle(request: Envelope<PeerRequest>): Envelope<PeerReply> | Promise<Envelope<PeerReply>>;
  /**
   * Optional fast path of a read for the TCP server: the reply's state already in its wire form
   * (version/codec.ts; null when the key is absent), so the node copies bytes instead of encoding.
   */
  handleEncodedRead?(request: Envelope<ReadRequest>): EncodedRead;
}

/** A read answered in wire form; `recovering` as VersionedReply's. */
export interface EncodedRead extends Envelope<Uint8Array | null> {
  readonly recovering: boolean;
}
