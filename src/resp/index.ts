/**
 * RESP2: the codec (request and reply parsers, encoder) and a server, shared by the proxy's client
 * port and the storage nodes' internode port. Command semantics live in the handlers, not here.
 */
export { RESP_DEFAULTS, resolveRespLimits } from './options.js';
export type { RespLimits } from './options.js';
export { RequestParser, parseRequests, PROTOCOL_ERRORS } from './request-parser.js';
export type { CommandCallback } from './request-parser.js';
export { ReplyParser, parseReplies, REPLY_NESTING_MAX, REPLY_PROTOCOL_ERRORS } from './reply-parser.js';
export type { RespValue, ReplyCallback } from './reply-parser.js';
export { ReplyWriter, encodeReply, encodeCommand, SLAB_BYTES_DEFAULT } from './encoder.js';
export {
  REPLIES,
  RESP_OK,
  RESP_PONG,
  RESP_NULL_BULK,
  RESP_NULL_ARRAY,
  RESP_EMPTY_ARRAY,
  RESP_ZERO,
  RESP_ONE,
  simpleReply,
  errorReply,
  integerReply,
  bulkReply,
  arrayReply,
  rawReply,
} from './reply.js';
export type { Reply, ReplyValue, CloseReply } from './reply.js';
export { RespServer, RESP_SERVER_DEFAULTS } from './server.js';
export { PendingReply } from './pending-reply.js';
export type { PendingReplyWaiter } from './pending-reply.js';
export type { RespServerComponents, RespServerOptions } from './server.js';
export type { CrossProtocolPolicy } from './cross-protocol.js';
export type { RespConnection, RespHandler, RespServerStats, RespConnectionInfo, ConnectionPhase } from './handler.js';
export { limitCloses } from './handler.js';
