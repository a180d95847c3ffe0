/**
 * The data kinds, coordinator -> storage node (messages.ts, internode-codec.ts): the codec
 * entries every process that reads or writes keys speaks. Their wire grammar and its fast paths
 * (internode-writer.ts, the node's encoded reads) stay in internode-codec.ts.
 */
import { copyVersioned } from '../version/index.js';
import type { InternodeKind } from './internode-codec.js';
import { INTERNODE_COMMANDS, decodeDataReply, decodeInternodeRequest, encodeInternodeReply, encodeInternodeRequest } from './internode-codec.js';
import type { Envelope, InternodeReply } from './messages.js';
import type { AnyMessageCodec, MessageCodec, RequestOf } from './peer-message.js';

function dataCodec<K extends InternodeKind>(kind: K, own?: (body: RequestOf<K>) => RequestOf<K>): MessageCodec<K> {
  return {
    kind,
    command: INTERNODE_COMMANDS[kind],
    encodeRequest: (body) => encodeInternodeRequest({ epoch: 0, body: body }).slice(2),
    decodeRequest: (args, limits) => decodeInternodeRequest(args, limits).body,
    encodeReply: (epoch, body) => encodeInternodeReply({ epoch, body: body } satisfies Envelope<InternodeReply>),
    decodeReply: (items, limits) => decodeDataReply(kind, items, limits),
    ...(own === undefined ? {} : { own }),
  };
}

/** A copy in an ArrayBuffer of its own (Buffer#slice would return a view). */
function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** append only: command names are on the wire (INTERNODE_COMMANDS). */
export const DATA_MESSAGES: readonly AnyMessageCodec[] = Object.freeze([
  // RESP arguments are views of socket buffers: what a node stores is copied into buffers of its
  // own, sized exactly, so a stored value neither pins a socket chunk nor is copied again by an
  // engine that owns its values (storage/memory-engine.ts `ownedValues`).
  dataCodec('coord-put', (body) => ({ ...body, key: copy(body.key), value: body.value === null ? null : copy(body.value) })),
  dataCodec('merge', (body) => ({ ...body, key: copy(body.key), versioned: copyVersioned(body.versioned) })),
  dataCodec('read'),
  dataCodec('ping'),
]);
