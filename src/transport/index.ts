/**
 * transport/: how coordinators reach storage nodes. The Transport contract and its messages, the
 * internode wire codec (RESP), RESP over TCP (TcpTransport, with ioredis or the lean client), and
 * the simulator's network. One contract suite (test/unit/transport-contract.ts) runs against both.
 */
export type {
  AckReply, CoordinatedPutRequest, Envelope, InternodeReply, InternodeRequest, MergeRequest, PingRequest, PongReply,
  PutResultReply, ReadRequest, VersionedReply,
} from './messages.js';
export type { Dispatch, InternodeHandler, SendReceiver, Transport } from './transport.js';
export { dispatcherOf } from './transport.js';
export {
  INTERNODE_COMMANDS, INTERNODE_LIMITS_DEFAULTS, REPLY_KIND_OF, decodeInternodeReply, decodeInternodeRequest, encodeInternodeError, encodeInternodeReply,
  encodeInternodeRequest, errorFromLine, internodeKindOf, internodeLimitsOf,
} from './internode-codec.js';
export type { InternodeKind, InternodeLimits } from './internode-codec.js';
export { TCP_TRANSPORT_DEFAULTS, TcpTransport } from './tcp-transport.js';
export type { TcpClientKind, TcpTransportDeps, TcpTransportOptions } from './tcp-transport.js';
export type { PeerAddress } from './peer-link.js';
export { SIM_NETWORK_DEFAULTS, SimNetwork } from './sim-network.js';
export type { SimNetworkOptions, SimNetworkStats } from './sim-network.js';
