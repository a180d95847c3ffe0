/**
 * The collections' peer message: a hash or set operation sent to the coordinating replica, which
 * applies it under its typed actor and answers Redis's reply and the state it stored (the proxy
 * then MERGEs that state to the other replicas with the data kind 'merge'), as RC.INCRBY does.
 *
 *   RC.TYPEDOP <epoch> <requestId> <vnode> <key> <operation> <arg>...     operation: OPERATION_NAMES
 *   reply      [:epoch, :outcome, $integer, $versioned, $item...]          outcome: OUTCOMES index
 *              integer '' when the operation answers none; versioned '' unless ok
 */
import type { ReplyValue } from '../resp/index.js';
import { bulkReply, integerReply } from '../resp/index.js';
import { bulkItem, integerItem, keyArg, nameArg, protocolError, replyArray, vnodeArg } from '../transport/index.js';
import type { MessageCodec } from '../transport/index.js';
import { copyVersioned, decodeVersioned, encodeVersioned } from '../version/index.js';
import type { Versioned } from '../version/index.js';
import { parseInt64 } from './counter-op.js';
import { OPERATION_NAMES } from './collection-op.js';
import type { OperationAnswer, OperationName, OperationRefusal } from './collection-op.js';

export interface CollectionOpRequest {
  readonly kind: 'collection-op';
  /** Unique per operation: the node applies a resent one once. */
  readonly requestId: string;
  readonly vnode: number;
  readonly key: Uint8Array;
  readonly name: OperationName;
  /** The operation's arguments after the key, as the client gave them. */
  readonly args: readonly Uint8Array[];
}

export type CollectionOpReply =
  | { readonly kind: 'collection-result'; readonly outcome: 'ok'; readonly answer: OperationAnswer; readonly versioned: Versioned }
  | { readonly kind: 'collection-result'; readonly outcome: OperationRefusal };

declare module '../transport/peer-message.js' {
  interface PeerMessages {
    'collection-op': { request: CollectionOpRequest; reply: CollectionOpReply };
  }
}

/** append only: values are on the wire. */
const OUTCOMES = ['ok', 'wrong-type', 'hash-not-integer', 'hash-not-float', 'overflow', 'nan-or-infinity', 'too-many-elements', 'nan-score'] as const;
const EMPTY: ReplyValue = bulkReply('');
/** RC.TYPEDOP, epoch, request id, vnode, key, operation: then the operation's own arguments. */
const FIXED_ARGUMENTS = 6;

function operationName(bytes: Uint8Array): OperationName {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const name = OPERATION_NAMES.find((candidate) => candidate === text);
  if (name === undefined) throw protocolError(`collection operation '${text.slice(0, 32)}' is unknown (a peer running another release?)`);
  return name;
}

export const COLLECTION_OP_CODEC: MessageCodec<'collection-op'> = {
  kind: 'collection-op',
  command: 'RC.TYPEDOP',
  encodeRequest: (body) => [body.requestId, String(body.vnode), body.key, body.name, ...body.args],
  decodeRequest: (args, limits) => {
    const argumentsMax = FIXED_ARGUMENTS + 2 * limits.version.collectionElementsMax;
    if (args.length < FIXED_ARGUMENTS || args.length > argumentsMax) {
      throw protocolError(`RC.TYPEDOP has ${String(args.length)} arguments, outside ${String(FIXED_ARGUMENTS)}..${String(argumentsMax)}`);
    }
    return {
      kind: 'collection-op',
      requestId: nameArg(args[2] as Uint8Array, limits.nameBytesMax, 'request id'),
      vnode: vnodeArg(args[3] as Uint8Array, limits),
      key: keyArg(args[4] as Uint8Array, limits),
      name: operationName(args[5] as Uint8Array),
      args: args.slice(FIXED_ARGUMENTS),
    };
  },
  encodeReply: (epoch, body) => {
    const outcome = integerReply(OUTCOMES.indexOf(body.outcome));
    if (body.outcome !== 'ok') return replyArray(epoch, outcome, EMPTY, EMPTY);
    const { integer, items } = body.answer;
    return replyArray(epoch, outcome, integer === undefined ? EMPTY : bulkReply(integer.toString()), bulkReply(encodeVersioned(body.versioned)),
      ...(items ?? []).map((item) => bulkReply(Buffer.from(item))));
  },
  decodeReply: (items, limits) => {
    if (items.length < 4 || items.length > 4 + limits.version.collectionElementsMax) throw protocolError(`a 'collection-result' reply of ${String(items.length)} items`);
    const outcome = OUTCOMES[integerItem(items[1], 'outcome', 0)];
    if (outcome === undefined) throw protocolError(`collection outcome is not below ${String(OUTCOMES.length)}`);
    if (outcome !== 'ok') return { kind: 'collection-result', outcome };
    const integerBytes = bulkItem(items[2], 'integer');
    const integer = integerBytes.length === 0 ? undefined : parseInt64(integerBytes);
    if (integerBytes.length > 0 && integer === undefined) throw protocolError('collection answer is not a signed 64-bit decimal');
    const versioned = copyVersioned(decodeVersioned(bulkItem(items[3], 'versioned'), limits.version));
    const answerItems = items.slice(4).map((item, index) => Buffer.from(bulkItem(item, `item ${String(index)}`)));
    const answer: OperationAnswer = integer === undefined ? { items: answerItems } : { integer, items: answerItems };
    return { kind: 'collection-result', outcome, answer, versioned };
  },
  own: (body) => ({ ...body, key: new Uint8Array(body.key), args: body.args.map((arg) => new Uint8Array(arg)) }),
};
