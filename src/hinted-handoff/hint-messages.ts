/**
 * The hinted-handoff message kinds (DESIGN.md section 5, Dynamo 2007 section 4.6):
 *
 *   RC.HINT     <epoch> <owner> <vnode> <key> <state>   coordinator -> fallback: keep this for `owner`
 *               reply  *1 :epoch                         stored (it counts toward W)
 *   RC.HINTREAD <epoch> <vnode> <key>                    coordinator -> fallback: a sloppy read
 *               reply  *2 :epoch $state                  the merge of its hints for the key and what
 *                                                        it stores itself; $-1: nothing
 *                      *3 :epoch $state :1               the fallback is recovering (its hints are gone)
 *
 * <state> is encodeVersioned bytes. The codec checks the frame (arity, names, vnode and key
 * bounds, the state's length); the hint store decodes and validates the state and the owner
 * itself, so a malformed or invalid hint is counted by reason (hints_dropped_total) before it is
 * refused. A hint is stored, or refused with an error: never acknowledged and dropped.
 */
import type { ServerId } from '../ring/index.js';
import { bulkReply, integerReply } from '../resp/index.js';
// The transport's modules, not its index: the index brings the TCP transport and ioredis, which a
// coordinator that only sends hints (the client library, the simulator) does not need to load.
import type { InternodeLimits } from '../transport/internode-codec.js';
import type { AckReply, VersionedReply } from '../transport/messages.js';
import { replyArray } from '../transport/peer-codec.js';
import type { AnyMessageCodec, MessageCodec } from '../transport/peer-message.js';
import { arity, asBuffer, bulkItem, integerItem, keyArg, nameArg, protocolError, replyLength, vnodeArg } from '../transport/wire-fields.js';
import { decodeVersioned, encodeVersioned } from '../version/index.js';
import type { Versioned } from '../version/index.js';

export interface HintRequest {
  readonly kind: 'hint';
  /** The replica this write was meant for: the fallback replays it there. */
  readonly owner: ServerId;
  readonly key: Uint8Array;
  readonly vnode: number;
  /** The versions to keep, as encodeVersioned bytes (decoded and checked by the hint store). */
  readonly state: Uint8Array;
}

export interface HintReadRequest {
  readonly kind: 'hint-read';
  readonly key: Uint8Array;
  readonly vnode: number;
}

declare module '../transport/peer-message.js' {
  interface PeerMessages {
    hint: { request: HintRequest; reply: AckReply };
    'hint-read': { request: HintReadRequest; reply: VersionedReply };
  }
}

/** The encoded state of a hint: one encoding per hint, so the TCP path does not encode it twice. */
export function hintRequest(owner: ServerId, key: Uint8Array, vnode: number, versioned: Versioned): HintRequest {
  return { kind: 'hint', owner, key, vnode, state: encodeVersioned(versioned) };
}

/** Bytes of an encoded state: every value, its length and a few varints per sibling, plus the context. */
export function stateBytesMax(limits: InternodeLimits): number {
  const { siblingsMax, valueBytesMax, contextEntriesMax, actorBytesMax } = limits.version;
  return siblingsMax * (valueBytesMax + 64) + contextEntriesMax * (actorBytesMax + 16) + 16;
}

const HINT_COMMAND = 'RC.HINT';
const HINT_READ_COMMAND = 'RC.HINTREAD';

const hintCodec: MessageCodec<'hint'> = {
  kind: 'hint',
  command: HINT_COMMAND,
  encodeRequest: (body) => [body.owner, String(body.vnode), asBuffer(body.key), asBuffer(body.state)],
  decodeRequest: (args, limits) => {
    arity(args, 6, HINT_COMMAND);
    const owner = nameArg(args[2] as Uint8Array, limits.nameBytesMax, 'owner');
    const vnode = vnodeArg(args[3] as Uint8Array, limits);
    const key = keyArg(args[4] as Uint8Array, limits);
    const state = args[5] as Uint8Array;
    const max = stateBytesMax(limits);
    if (state.length === 0 || state.length > max) throw protocolError(`hint state of ${state.length} bytes is outside 1..${max}`);
    return { kind: 'hint', owner, vnode, key, state };
  },
  encodeReply: (epoch) => replyArray(epoch),
  decodeReply: (items) => {
    replyLength(items, 1, 'ack');
    return { kind: 'ack' };
  },
  // The store keeps the key and the decoded state (views of `state`): both get buffers of their own.
  own: (body) => ({ ...body, key: new Uint8Array(body.key), state: new Uint8Array(body.state) }),
};

const RECOVERING = 1;

const hintReadCodec: MessageCodec<'hint-read'> = {
  kind: 'hint-read',
  command: HINT_READ_COMMAND,
  encodeRequest: (body) => [String(body.vnode), asBuffer(body.key)],
  decodeRequest: (args, limits) => {
    arity(args, 4, HINT_READ_COMMAND);
    return { kind: 'hint-read', vnode: vnodeArg(args[2] as Uint8Array, limits), key: keyArg(args[3] as Uint8Array, limits) };
  },
  encodeReply: (epoch, body) => {
    const state = bulkReply(body.versioned === null ? null : encodeVersioned(body.versioned));
    return body.recovering === true ? replyArray(epoch, state, integerReply(RECOVERING)) : replyArray(epoch, state);
  },
  decodeReply: (items, limits) => {
    if (items.length !== 2 && items.length !== 3) throw protocolError(`a 'versioned' reply is an array of 2 or 3, got an array of ${items.length}`);
    const item = items[1];
    const versioned = item?.kind === 'bulk' && item.value === null ? null : decodeVersioned(bulkItem(item, 'versioned'), limits.version);
    if (items.length === 2) return { kind: 'versioned', versioned };
    if (integerItem(items[2], 'recovering', RECOVERING) !== RECOVERING) throw protocolError('recovering flag is not 1');
    return { kind: 'versioned', versioned, recovering: true };
  },
};

/** append only: command names are on the wire. */
export const HINT_MESSAGES: readonly AnyMessageCodec[] = Object.freeze([hintCodec, hintReadCodec]);
