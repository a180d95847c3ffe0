/**
 * The anti-entropy kinds on the wire (messages.ts has the protocol). Integers are canonical
 * decimal arguments, lists are one bulk payload each (payload.ts, decoded by the receiver).
 *
 *   RC.AE.ROOT  <epoch> <from> <fanOut> <depth> <width> <salt> $roots   *2 :epoch $verdicts
 *   RC.AE.NODES <epoch> <from> <level> <width> <salt> $nodes            *2 :epoch $digests
 *   RC.AE.KEYS  <epoch> <from> <width> <salt> $leaves                    *3 :epoch :listed $listing
 *   RC.AE.SYNC  <epoch> <from> <width> <salt> $wanted $states            *3 :epoch :truncated $states
 *
 * The codec checks shapes and ranges (arity, decimals, names, widths); what needs this node's
 * state or limits (vnodes held, the tree's depth, payload contents, key vnodes) is checked by
 * the responder (responder.ts), which sees the same bodies in the simulator.
 */
import type { RespValue } from '../resp/index.js';
import { bulkReply, integerReply } from '../resp/index.js';
import { arity, bulkItem, decimalIn, integerItem, nameArg, protocolError, replyArray, replyLength } from '../transport/index.js';
import type { AnyMessageCodec, InternodeLimits, MessageCodec } from '../transport/index.js';
import { TREE_DEPTH_MAX } from './merkle-tree.js';
import type { DigestWidth } from './messages.js';

const WORD_MAX = 0xffffffff;

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

function widthArg(bytes: Uint8Array): DigestWidth {
  const width = decimalIn(bytes, 'width', 3, 8);
  if (width !== 3 && width !== 8) throw protocolError(`digest width ${width} is neither 3 nor 8`);
  return width;
}

const treeRoot: MessageCodec<'ae-root'> = {
  kind: 'ae-root',
  command: 'RC.AE.ROOT',
  encodeRequest: (body) => [body.from, String(body.fanOut), String(body.depth), String(body.width), String(body.salt), body.roots],
  decodeRequest: (args, limits: InternodeLimits) => {
    arity(args, 8, 'RC.AE.ROOT');
    return {
      kind: 'ae-root',
      from: nameArg(arg(args, 2), limits.nameBytesMax, 'from'),
      fanOut: decimalIn(arg(args, 3), 'fanOut', 2, 16),
      depth: decimalIn(arg(args, 4), 'depth', 1, TREE_DEPTH_MAX),
      width: widthArg(arg(args, 5)),
      salt: decimalIn(arg(args, 6), 'salt', 0, WORD_MAX),
      roots: arg(args, 7),
    };
  },
  encodeReply: (epoch, body) => replyArray(epoch, bulkReply(body.verdicts)),
  decodeReply: (items) => {
    replyLength(items, 2, 'ae-root');
    return { kind: 'ae-root-reply', verdicts: bulkItem(items[1], 'verdicts') };
  },
};

const treeNodes: MessageCodec<'ae-nodes'> = {
  kind: 'ae-nodes',
  command: 'RC.AE.NODES',
  encodeRequest: (body) => [body.from, String(body.level), String(body.width), String(body.salt), body.nodes],
  decodeRequest: (args, limits) => {
    arity(args, 7, 'RC.AE.NODES');
    return {
      kind: 'ae-nodes',
      from: nameArg(arg(args, 2), limits.nameBytesMax, 'from'),
      level: decimalIn(arg(args, 3), 'level', 0, TREE_DEPTH_MAX - 1),
      width: widthArg(arg(args, 4)),
      salt: decimalIn(arg(args, 5), 'salt', 0, WORD_MAX),
      nodes: arg(args, 6),
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
  encodeRequest: (body) => [body.from, String(body.width), String(body.salt), body.leaves],
  decodeRequest: (args, limits) => {
    arity(args, 6, 'RC.AE.KEYS');
    return {
      kind: 'ae-keys',
      from: nameArg(arg(args, 2), limits.nameBytesMax, 'from'),
      width: widthArg(arg(args, 3)),
      salt: decimalIn(arg(args, 4), 'salt', 0, WORD_MAX),
      leaves: arg(args, 5),
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
  encodeRequest: (body) => [body.from, String(body.width), String(body.salt), body.wanted, body.states],
  decodeRequest: (args, limits) => {
    arity(args, 7, 'RC.AE.SYNC');
    return {
      kind: 'ae-sync',
      from: nameArg(arg(args, 2), limits.nameBytesMax, 'from'),
      width: widthArg(arg(args, 3)),
      salt: decimalIn(arg(args, 4), 'salt', 0, WORD_MAX),
      wanted: arg(args, 5),
      states: arg(args, 6),
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
