/**
 * The anti-entropy kinds on the wire (messages.ts has the protocol). Integers are canonical
 * decimal arguments, lists are one bulk payload each (payload.ts, decoded by the receiver).
 *
 *   RC.AE.ROOT  <epoch> <from> <vnode> <fanOut> <depth> <rootHi> <rootLo>   *5 :epoch :rootHi :rootLo :pending :keys
 *   RC.AE.NODES <epoch> <from> <vnode> <level> <width> <salt> $nodes        *2 :epoch $digests
 *   RC.AE.KEYS  <epoch> <from> <vnode> $leaves                               *3 :epoch :listed $listing
 *   RC.AE.SYNC  <epoch> <from> <vnode> $wanted $states                       *3 :epoch :truncated $states
 *
 * The codec checks shapes and ranges (arity, decimals, names, vnode < V, widths); what needs this
 * node's state or limits (the tree's depth, payload contents, key vnodes) is checked by the
 * responder (responder.ts), which sees the same bodies in the simulator.
 */
import type { RespValue } from '../resp/index.js';
import { bulkReply, integerReply } from '../resp/index.js';
import { arity, bulkItem, decimalIn, integerItem, nameArg, protocolError, replyArray, replyLength, vnodeArg } from '../transport/index.js';
import type { AnyMessageCodec, InternodeLimits, MessageCodec } from '../transport/index.js';
import { TREE_DEPTH_MAX } from './merkle-tree.js';
import type { DigestWidth } from './messages.js';

const WORD_MAX = 0xffffffff;

function wordItem(item: RespValue | undefined, field: string): number {
  const value = integerItem(item, field, 0);
  if (value > WORD_MAX) throw protocolError(`${field} ${value} is above 2^32-1`);
  return value;
}

function flagItem(item: RespValue | undefined, field: string): boolean {
  const value = integerItem(item, field, 0);
  if (value > 1) throw protocolError(`${field} is ${value}, not 0 or 1`);
  return value === 1;
}

function arg(args: readonly Uint8Array[], index: number): Uint8Array {
  const value = args[index];
  // arity() ran first: a missing argument is our own mistake.
  if (value === undefined) throw protocolError(`argument ${index} is missing`);
  return value;
}

const treeRoot: MessageCodec<'ae-root'> = {
  kind: 'ae-root',
  command: 'RC.AE.ROOT',
  encodeRequest: (body) => [body.from, String(body.vnode), String(body.fanOut), String(body.depth), String(body.rootHi), String(body.rootLo)],
  decodeRequest: (args, limits: InternodeLimits) => {
    arity(args, 8, 'RC.AE.ROOT');
    return {
      kind: 'ae-root',
      from: nameArg(arg(args, 2), limits.nameBytesMax, 'from'),
      vnode: vnodeArg(arg(args, 3), limits),
      fanOut: decimalIn(arg(args, 4), 'fanOut', 2, 16),
      depth: decimalIn(arg(args, 5), 'depth', 1, TREE_DEPTH_MAX),
      rootHi: decimalIn(arg(args, 6), 'rootHi', 0, WORD_MAX),
      rootLo: decimalIn(arg(args, 7), 'rootLo', 0, WORD_MAX),
    };
  },
  encodeReply: (epoch, body) => replyArray(epoch,
    integerReply(body.rootHi), integerReply(body.rootLo), integerReply(body.pending ? 1 : 0), integerReply(body.keys)),
  decodeReply: (items) => {
    replyLength(items, 5, 'ae-root');
    return {
      kind: 'ae-root-reply',
      rootHi: wordItem(items[1], 'rootHi'),
      rootLo: wordItem(items[2], 'rootLo'),
      pending: flagItem(items[3], 'pending'),
      keys: integerItem(items[4], 'keys', 0),
    };
  },
};

const treeNodes: MessageCodec<'ae-nodes'> = {
  kind: 'ae-nodes',
  command: 'RC.AE.NODES',
  encodeRequest: (body) => [body.from, String(body.vnode), String(body.level), String(body.width), String(body.salt), body.nodes],
  decodeRequest: (args, limits) => {
    arity(args, 8, 'RC.AE.NODES');
    const width = decimalIn(arg(args, 5), 'width', 4, 8);
    if (width !== 4 && width !== 8) throw protocolError(`digest width ${width} is neither 4 nor 8`);
    return {
      kind: 'ae-nodes',
      from: nameArg(arg(args, 2), limits.nameBytesMax, 'from'),
      vnode: vnodeArg(arg(args, 3), limits),
      level: decimalIn(arg(args, 4), 'level', 0, TREE_DEPTH_MAX - 1),
      width: width satisfies DigestWidth,
      salt: decimalIn(arg(args, 6), 'salt', 0, WORD_MAX),
      nodes: arg(args, 7),
    };
  },
  encodeReply: (epoch, body) => replyArray(epoch, bulkReply(body.digests)),
  decodeReply: (items) => {
    replyLength(items, 2, 'ae-nodes');
    return { kind: 'ae-nodes-reply', digests: bulkItem(items[1], 'digests') };
  },
};

const leafKeys: MessageCodec<'ae-keys'> = {
  kind: 'ae-keys',
  command: 'RC.AE.KEYS',
  encodeRequest: (body) => [body.from, String(body.vnode), body.leaves],
  decodeRequest: (args, limits) => {
    arity(args, 5, 'RC.AE.KEYS');
    return {
      kind: 'ae-keys',
      from: nameArg(arg(args, 2), limits.nameBytesMax, 'from'),
      vnode: vnodeArg(arg(args, 3), limits),
      leaves: arg(args, 4),
    };
  },
  encodeReply: (epoch, body) => replyArray(epoch, integerReply(body.listed), bulkReply(body.listing)),
  decodeReply: (items) => {
    replyLength(items, 3, 'ae-keys');
    return { kind: 'ae-keys-reply', listed: integerItem(items[1], 'listed', 0), listing: bulkItem(items[2], 'listing') };
  },
};

const stateSync: MessageCodec<'ae-sync'> = {
  kind: 'ae-sync',
  command: 'RC.AE.SYNC',
  encodeRequest: (body) => [body.from, String(body.vnode), body.wanted, body.states],
  decodeRequest: (args, limits) => {
    arity(args, 6, 'RC.AE.SYNC');
    return {
      kind: 'ae-sync',
      from: nameArg(arg(args, 2), limits.nameBytesMax, 'from'),
      vnode: vnodeArg(arg(args, 3), limits),
      wanted: arg(args, 4),
      states: arg(args, 5),
    };
  },
  encodeReply: (epoch, body) => replyArray(epoch, integerReply(body.truncated ? 1 : 0), bulkReply(body.states)),
  decodeReply: (items) => {
    replyLength(items, 3, 'ae-sync');
    return { kind: 'ae-sync-reply', truncated: flagItem(items[1], 'truncated'), states: bulkItem(items[2], 'states') };
  },
};

/** append only: command names are on the wire. */
export const ANTI_ENTROPY_MESSAGES: readonly AnyMessageCodec[] = Object.freeze([treeRoot, treeNodes, leafKeys, stateSync]);
