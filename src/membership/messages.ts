/**
 * Membership's peer message kinds (transport/peer-message.ts). Updates travel as one bulk in the
 * compact form of update-codec.ts; the service decodes and counts what it drops, these codecs
 * only check the framing and cap the bulk.
 *
 *   RC.GOSSIP  <epoch> <from> <updates>                          *2 :epoch $updates
 *   RC.PROBE   <epoch> <from> <to> <updates>                     *3 :epoch $from $updates
 *   RC.PINGREQ <epoch> <from> <target> <timeoutMs> <updates>     *3 :epoch :acked $updates
 *   RC.VIEW    <epoch>                                           *3 :epoch $from $members
 *
 * RC.GOSSIP pushes updates and pulls the receiver's in the reply. RC.PROBE is SWIM's ping (the
 * ack is its reply); `to` names the member meant, so a port reused by another server is not
 * taken for the one probed. RC.PINGREQ asks a member to probe `target` within timeoutMs and
 * answer acked 1, or 0: Lifeguard's nack, "I am alive but could not reach it". RC.VIEW answers
 * the whole view, for proxies, client libraries and the shard-master.
 *
 * append only: command names and reply shapes are on the wire.
 */
import type { ServerId } from '../ring/index.js';
import { bulkReply, integerReply } from '../resp/index.js';
import type { RespValue } from '../resp/index.js';
import {
  arity, bulkItem, decimalIn, integerItem, nameArg, protocolError, replyArray, replyLength,
} from '../transport/index.js';
import type { AnyMessageCodec, InternodeLimits, MessageCodec } from '../transport/index.js';

export interface GossipRequest { readonly kind: 'gossip'; readonly from: ServerId; readonly updates: Uint8Array }
export interface GossipReply { readonly kind: 'gossip-reply'; readonly updates: Uint8Array }
export interface ProbeRequest { readonly kind: 'probe'; readonly from: ServerId; readonly to: ServerId; readonly updates: Uint8Array }
export interface ProbeAck { readonly kind: 'probe-ack'; readonly from: ServerId; readonly updates: Uint8Array }
export interface PingReqRequest {
  readonly kind: 'ping-req';
  readonly from: ServerId;
  readonly target: ServerId;
  /** How long the relay may wait for the target's ack before it answers a nack. */
  readonly timeoutMs: number;
  readonly updates: Uint8Array;
}
export interface PingReqReply { readonly kind: 'ping-req-result'; readonly acked: boolean; readonly updates: Uint8Array }
export interface MemberViewRequest { readonly kind: 'member-view' }
export interface MemberViewReply { readonly kind: 'member-view-reply'; readonly from: ServerId; readonly members: Uint8Array }

declare module '../transport/peer-message.js' {
  interface PeerMessages {
    gossip: { request: GossipRequest; reply: GossipReply };
    probe: { request: ProbeRequest; reply: ProbeAck };
    'ping-req': { request: PingReqRequest; reply: PingReqReply };
    'member-view': { request: MemberViewRequest; reply: MemberViewReply };
  }
}

/**
 * Caps of a bulk whatever the config says: membership.messageBytesMax tops out at 1 MiB, and a
 * whole view of 4096 members at ~530 bytes each stays under 4 MiB. The service applies the
 * configured limit (and counts what it drops).
 */
export const UPDATES_BYTES_CAP = 1024 * 1024;
export const VIEW_BYTES_CAP = 4 * 1024 * 1024;
/** A relay's wait is part of one probe interval (membership.probeIntervalMs is at most 60 s). */
export const PING_REQ_TIMEOUT_MS_MAX = 60_000;

function payloadArg(bytes: Uint8Array | undefined, field: string, cap: number): Uint8Array {
  if (bytes === undefined || bytes.length > cap) throw protocolError(`${field} of ${bytes?.length ?? 0} bytes is above ${cap}`);
  return bytes;
}

function payloadItem(item: RespValue | undefined, field: string, cap: number): Uint8Array {
  const bytes = bulkItem(item, field);
  if (bytes.length > cap) throw protocolError(`${field} of ${bytes.length} bytes is above ${cap}`);
  // Reply bulks are views of a socket chunk; the caller decodes them after a promise turn.
  return new Uint8Array(bytes);
}

function server(bytes: Uint8Array | undefined, limits: InternodeLimits, field: string): ServerId {
  return nameArg(bytes ?? new Uint8Array(), limits.nameBytesMax, field);
}

const gossip: MessageCodec<'gossip'> = {
  kind: 'gossip',
  command: 'RC.GOSSIP',
  encodeRequest: (body) => [body.from, body.updates],
  decodeRequest: (args, limits) => {
    arity(args, 4, 'RC.GOSSIP');
    return { kind: 'gossip', from: server(args[2], limits, 'from'), updates: payloadArg(args[3], 'updates', UPDATES_BYTES_CAP) };
  },
  encodeReply: (epoch, body) => replyArray(epoch, bulkReply(body.updates)),
  decodeReply: (items) => {
    replyLength(items, 2, 'gossip');
    return { kind: 'gossip-reply', updates: payloadItem(items[1], 'updates', UPDATES_BYTES_CAP) };
  },
};

const probe: MessageCodec<'probe'> = {
  kind: 'probe',
  command: 'RC.PROBE',
  encodeRequest: (body) => [body.from, body.to, body.updates],
  decodeRequest: (args, limits) => {
    arity(args, 5, 'RC.PROBE');
    return {
      kind: 'probe', from: server(args[2], limits, 'from'), to: server(args[3], limits, 'to'),
      updates: payloadArg(args[4], 'updates', UPDATES_BYTES_CAP),
    };
  },
  encodeReply: (epoch, body) => replyArray(epoch, bulkReply(body.from), bulkReply(body.updates)),
  decodeReply: (items, limits) => {
    replyLength(items, 3, 'probe');
    return {
      kind: 'probe-ack', from: server(bulkItem(items[1], 'from'), limits, 'from'),
      updates: payloadItem(items[2], 'updates', UPDATES_BYTES_CAP),
    };
  },
};

const pingReq: MessageCodec<'ping-req'> = {
  kind: 'ping-req',
  command: 'RC.PINGREQ',
  encodeRequest: (body) => [body.from, body.target, String(body.timeoutMs), body.updates],
  decodeRequest: (args, limits) => {
    arity(args, 6, 'RC.PINGREQ');
    return {
      kind: 'ping-req', from: server(args[2], limits, 'from'), target: server(args[3], limits, 'target'),
      timeoutMs: decimalIn(args[4] ?? new Uint8Array(), 'timeoutMs', 1, PING_REQ_TIMEOUT_MS_MAX),
      updates: payloadArg(args[5], 'updates', UPDATES_BYTES_CAP),
    };
  },
  encodeReply: (epoch, body) => replyArray(epoch, integerReply(body.acked ? 1 : 0), bulkReply(body.updates)),
  decodeReply: (items) => {
    replyLength(items, 3, 'ping-req');
    const acked = integerItem(items[1], 'acked', 0);
    if (acked > 1) throw protocolError(`acked is 0 or 1, got ${acked}`);
    return { kind: 'ping-req-result', acked: acked === 1, updates: payloadItem(items[2], 'updates', UPDATES_BYTES_CAP) };
  },
};

const memberView: MessageCodec<'member-view'> = {
  kind: 'member-view',
  command: 'RC.VIEW',
  encodeRequest: () => [],
  decodeRequest: (args) => {
    arity(args, 2, 'RC.VIEW');
    return { kind: 'member-view' };
  },
  encodeReply: (epoch, body) => replyArray(epoch, bulkReply(body.from), bulkReply(body.members)),
  decodeReply: (items, limits) => {
    replyLength(items, 3, 'member-view');
    return {
      kind: 'member-view-reply', from: server(bulkItem(items[1], 'from'), limits, 'from'),
      members: payloadItem(items[2], 'members', VIEW_BYTES_CAP),
    };
  },
};

/** Every kind a storage node speaks for membership. */
export const MEMBERSHIP_MESSAGES: readonly AnyMessageCodec[] = Object.freeze([gossip, probe, pingReq, memberView]);

/** What a proxy, client library or shard-master needs: pulling the view. */
export const VIEW_MESSAGES: readonly AnyMessageCodec[] = Object.freeze([memberView]);
