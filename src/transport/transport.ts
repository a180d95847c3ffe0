import type { ServerId } from '../ring/table.js';
import type { Envelope, InternodeReply, InternodeRequest } from './messages.js';

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
  send(to: ServerId, request: Envelope<InternodeRequest>, timeoutMs: number): Promise<Envelope<InternodeReply>>;
  /** Closes connections; idempotent. Pending sends reject with RC_ERR_UNREACHABLE. */
  close(): Promise<void>;
}

/** The node side: answers one request. Throwing a RingcacheError sends that error back. */
export interface InternodeHandler {
  handle(request: Envelope<InternodeRequest>): Envelope<InternodeReply> | Promise<Envelope<InternodeReply>>;
}
