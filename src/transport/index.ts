/**
 * transport/: how processes reach each other. The Transport contract, the peer message kinds
 * (peer-message.ts: each concept folder owns its kinds and their codecs, a MessageCatalogue
 * gathers them), the data kinds' wire codec (RESP), RESP over TCP (TcpTransport, with ioredis or
 * the lean client), and the simulator's network. One contract suite
 * (test/unit/transport-contract.ts) runs against both.
 */
export type {
  AckReply, CoordinatedPutRequest, Envelope, InternodeReply, InternodeRequest, MergeRequest, PingRequest, PongReply,
  PutResultReply, ReadRequest, VersionedReply,
} from './messages.js';
export type { Dispatch, EncodedRead, InternodeHandler, SendReceiver, Transport } from './transport.js';
export { MessageCatalogue } from './peer-message.js';
export type { AnyMessageCodec, MessageCodec, PeerKind, PeerMessages, PeerReply, PeerRequest, ReplyOf, RequestOf } from './peer-message.js';
export { decodePeerReply, decodePeerRequest, encodePeerCommand, encodePeerReply, replyArray, writePeerRequest } from './peer-codec.js';
export { DATA_MESSAGES } from './data-messages.js';
export { isDataKind } from './internode-writer.js';
export {
  arity, asBuffer, bulkItem, decimal, decimalIn, describe, integerItem, keyArg, nameArg, protocolError, replyLength, vnodeArg,
} from './wire-fields.js';
export { dispatcherOf } from './transport.js';
export {
  INTERNODE_COMMANDS, INTERNODE_LIMITS_DEFAULTS, REPLY_KIND_OF, decodeInternodeReply, decodeInternodeRequest, encodeEncodedReadReply,
  encodeInternodeError, encodeInternodeReply, encodeInternodeRequest, errorFromLine, internodeKindOf, internodeLimitsOf,
} from './internode-codec.js';
export type { InternodeKind, InternodeLimits } from './internode-codec.js';
export { TCP_TRANSPORT_DEFAULTS, TcpTransport } from './tcp-transport.js';
export type { TcpClientKind, TcpTransportDeps, TcpTransportOptions } from './tcp-transport.js';
export type { PeerAddress } from './peer-link.js';
export { SIM_NETWORK_DEFAULTS, SimNetwork } from './sim-network.js';
export type { SimNetworkOptions, SimNetworkStats } from './sim-network.js';
