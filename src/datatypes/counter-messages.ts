/**
 * The counter's peer message: an INCRBY sent to the coordinating replica, which applies it under
 * its own actor and answers the new value and the state it stored (the proxy then MERGEs that
 * state to the other replicas with the data kind 'merge').
 *
 *   RC.INCRBY <epoch> <requestId> <vnode> <key> <amount>      amount: a signed 64-bit decimal
 *   reply     [:epoch, :outcome, $value, $versioned]           outcome: 0 ok, 1 not-integer, 2 overflow, 3 wrong-type
 *                                                              value and versioned empty unless ok
 */
import type { ReplyValue } from '../resp/index.js';
import { bulkReply, integerReply } from '../resp/index.js';
import {
  arity, bulkItem, integerItem, keyArg, nameArg, protocolError, replyArray, replyLength, vnodeArg,
} from '../transport/index.js';
import type { AnyMessageCodec, MessageCodec } from '../transport/index.js';
import { copyVersioned, decodeVersioned, encodeVersioned } from '../version/index.js';
import type { Versioned } from '../version/index.js';
import { parseInt64 } from './counter-op.js';
import type { IncrementRefusal } from './counter-op.js';
import { COLLECTION_OP_CODEC } from './collection-messages.js';

export interface CounterAddRequest {
  readonly kind: 'counter-add';
  /** Unique per operation: the node applies a resent one once. */
  readonly requestId: string;
  readonly vnode: number;
  readonly key: Uint8Array;
  readonly amount: bigint;
}

export type CounterAddReply =
  | { readonly kind: 'counter-result'; readonly outcome: 'ok'; readonly value: bigint; readonly versioned: Versioned }
  | { readonly kind: 'counter-result'; readonly outcome: IncrementRefusal };

declare module '../transport/peer-message.js' {
  interface PeerMessages {
    'counter-add': { request: CounterAddRequest; reply: CounterAddReply };
  }
}

/** append only: values are on the wire. */
const OUTCOMES = ['ok', 'not-integer', 'overflow', 'wrong-type'] as const;
const EMPTY: ReplyValue = bulkReply('');

function amountArg(bytes: Uint8Array): bigint {
  const amount = parseInt64(bytes);
  if (amount === undefined) throw protocolError('amount is not a signed 64-bit decimal');
  return amount;
}

export const COUNTER_ADD_CODEC: MessageCodec<'counter-add'> = {
  kind: 'counter-add',
  command: 'RC.INCRBY',
  encodeRequest: (body) => [body.requestId, String(body.vnode), body.key, body.amount.toString()],
  decodeRequest: (args, limits) => {
    arity(args, 6, 'RC.INCRBY');
    return {
      kind: 'counter-add',
      requestId: nameArg(args[2] as Uint8Array, limits.nameBytesMax, 'request id'),
      vnode: vnodeArg(args[3] as Uint8Array, limits),
      key: keyArg(args[4] as Uint8Array, limits),
      amount: amountArg(args[5] as Uint8Array),
    };
  },
  encodeReply: (epoch, body) => {
    const outcome = integerReply(OUTCOMES.indexOf(body.outcome));
    if (body.outcome !== 'ok') return replyArray(epoch, outcome, EMPTY, EMPTY);
    return replyArray(epoch, outcome, bulkReply(body.value.toString()), bulkReply(encodeVersioned(body.versioned)));
  },
  decodeReply: (items, limits) => {
    replyLength(items, 4, 'counter-result');
    const outcome = OUTCOMES[integerItem(items[1], 'outcome', 0)];
    if (outcome === undefined) throw protocolError('counter outcome is not 0, 1, 2 or 3');
    if (outcome !== 'ok') return { kind: 'counter-result', outcome };
    const value = parseInt64(bulkItem(items[2], 'value'));
    if (value === undefined) throw protocolError('counter value is not a signed 64-bit decimal');
    return { kind: 'counter-result', outcome, value, versioned: copyVersioned(decodeVersioned(bulkItem(items[3], 'versioned'), limits.version)) };
  },
  own: (body) => ({ ...body, key: new Uint8Array(body.key) }),
};

/** The kinds src/datatypes owns (src/node/catalogue.ts lists them). */
export const DATATYPE_MESSAGES: readonly AnyMessageCodec[] = Object.freeze([COUNTER_ADD_CODEC, COLLECTION_OP_CODEC]);
