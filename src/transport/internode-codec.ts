/**
 * The internode protocol on the wire: envelopes of messages.ts as RESP2, so a node's port speaks
 * the same framing as Redis (redis-cli can PING it) and the codec of src/resp frames it.
 *
 * Requests are commands: arrays of bulk strings, the sender's epoch first. Integers are canonical
 * decimal text (no sign, no leading zero, at most 2^53-1), so one request has one encoding.
 *
 *   RC.PUT   <epoch> <requestId> <vnode> <key> <flags> <value> <context> <expiresAtMs>
 *   RC.MERGE <epoch> <vnode> <key> <versioned>
 *   RC.READ  <epoch> <vnode> <key>
 *   RC.PING  <epoch>
 *
 *   flags (RC.PUT): bit 0 DELETE   value is a tombstone; <value> must be empty
 *                   bit 1 CONTEXT  <context> is encodeContext bytes (an empty vector is 2 bytes);
 *                                  unset: null context (a blind write), <context> must be empty
 *                   bit 2 EXPIRES  <expiresAtMs> is decimal; unset: no expiry, must be empty
 *   <versioned> is encodeVersioned bytes (version/codec.ts).
 *
 * Replies are arrays whose first item is the replying node's epoch; the request says which shape
 * to expect (RESP answers in request order, so the client always knows what it asked):
 *
 *   put-result  *4 :epoch $actor :counter $versioned    the dot the node minted, what it stores
 *   versioned   *2 :epoch $versioned                     $-1 when the key is absent
 *               *3 :epoch $versioned :1                  the node is recovering (anti-entropy has
 *                                                        not synced it yet): its "absent" is no answer
 *   ack         *1 :epoch
 *   pong        *2 :epoch $serverId
 *   error       -RC_ERR_<CODE> <message>                 decodes to a RingcacheError with that code
 *
 * Decoding trusts nothing: every length, integer, flag and state is checked against the limits,
 * and anything malformed throws RingcacheError RC_ERR_PROTOCOL. Decoded keys and values are views
 * of the input; whoever keeps them copies them.
 */
import { ERROR_CATALOGUE, RingcacheError } from '../runtime/index.js';
import type { ErrorCode } from '../runtime/index.js';
import type { RingcacheConfig } from '../config/schema.js';
import { VNODE_COUNT_MAX } from '../ring/index.js';
import type { RespValue, ReplyValue } from '../resp/index.js';
import { arrayReply, bulkReply, errorReply, integerReply } from '../resp/index.js';
import { VERSION_DEFAULTS, decodeContext, decodeVersioned, encodeContext, encodeVersioned, vectorCounter } from '../version/index.js';
import type { VersionLimits, Versioned } from '../version/index.js';
import type { CoordinatedPutRequest, Envelope, InternodeReply, InternodeRequest } from './messages.js';
import { asBuffer, bulkItem, decimal, describe, integerItem, keyArg, nameArg, protocolError, vnodeArg } from './wire-fields.js';

export type InternodeKind = InternodeRequest['kind'];

/** append only: command names are on the wire. */
export const INTERNODE_COMMANDS: Readonly<Record<InternodeKind, string>> = Object.freeze({
  'coord-put': 'RC.PUT',
  merge: 'RC.MERGE',
  read: 'RC.READ',
  ping: 'RC.PING',
});

/** append only: bits are on the wire. */
const PUT_FLAG_DELETE = 0x01;
const PUT_FLAG_CONTEXT = 0x02;
const PUT_FLAG_EXPIRES = 0x04;
const PUT_FLAGS_KNOWN = PUT_FLAG_DELETE | PUT_FLAG_CONTEXT | PUT_FLAG_EXPIRES;

/** Arguments of each command, its name included. */
export const ARITY: Readonly<Record<InternodeKind, number>> = { 'coord-put': 9, merge: 5, read: 4, ping: 2 };

export interface InternodeLimits {
  /** Longest key (limits.keyBytesMax). */
  readonly keyBytesMax: number;
  /** V: vnodes are 0..V-1 (cluster.vnodeCount). */
  readonly vnodeCount: number;
  /** Longest request id or server id: names made by our own code, so anything longer is garbage. */
  readonly nameBytesMax: number;
  /** Siblings, context entries, actor and value lengths of versions. */
  readonly version: VersionLimits;
}

export const INTERNODE_LIMITS_DEFAULTS: InternodeLimits = Object.freeze({
  keyBytesMax: 1024,
  vnodeCount: VNODE_COUNT_MAX,
  nameBytesMax: 256,
  version: VERSION_DEFAULTS,
});

/** The limits a process of this cluster decodes with, from its configuration. */
export function internodeLimitsOf(config: RingcacheConfig): InternodeLimits {
  return Object.freeze({
    keyBytesMax: config.limits.keyBytesMax,
    vnodeCount: config.cluster.vnodeCount,
    nameBytesMax: INTERNODE_LIMITS_DEFAULTS.nameBytesMax,
    version: Object.freeze({
      siblingsMax: config.limits.siblingsMax,
      contextEntriesMax: config.limits.contextEntriesMax,
      actorBytesMax: VERSION_DEFAULTS.actorBytesMax,
      valueBytesMax: config.limits.valueBytesMax,
      collectionElementsMax: config.limits.collectionElementsMax,
      memberBytesMax: config.limits.memberBytesMax,
    }),
  });
}

const EMPTY = Buffer.alloc(0);

// ---------------------------------------------------------------------------------------------
// Requests

/** The command for a request: its name, then its arguments. */
export function encodeInternodeRequest(envelope: Envelope<InternodeRequest>): (string | Buffer)[] {
  const { epoch, body } = envelope;
  const name = INTERNODE_COMMANDS[body.kind];
  switch (body.kind) {
    case 'coord-put': {
      const flags = putFlagsOf(body);
      return [
        name, String(epoch), body.requestId, String(body.vnode), asBuffer(body.key), String(flags),
        body.value === null ? EMPTY : asBuffer(body.value),
        body.context === null ? EMPTY : encodeContext(body.context),
        body.expiresAtMs === null ? EMPTY : String(body.expiresAtMs),
      ];
    }
    case 'merge':
      return [name, String(epoch), String(body.vnode), asBuffer(body.key), encodeVersioned(body.versioned)];
    case 'read':
      return [name, String(epoch), String(body.vnode), asBuffer(body.key)];
    case 'ping':
      return [name, String(epoch)];
  }
}

/** The RC.PUT flags word of a request. */
export function putFlagsOf(body: CoordinatedPutRequest): number {
  return (body.value === null ? PUT_FLAG_DELETE : 0)
    | (body.context === null ? 0 : PUT_FLAG_CONTEXT)
    | (body.expiresAtMs === null ? 0 : PUT_FLAG_EXPIRES);
}

/** The command names as bytes, by length: RC.PUT (6), RC.READ and RC.PING (7), RC.MERGE (8). */
const EXACT_KINDS: readonly (readonly (readonly [Buffer, InternodeKind])[] | undefined)[] = (() => {
  const byLength: (readonly [Buffer, InternodeKind])[][] = [];
  for (const [kind, command] of Object.entries(INTERNODE_COMMANDS) as [InternodeKind, string][]) {
    (byLength[command.length] ??= []).push([Buffer.from(command, 'latin1'), kind]);
  }
  return byLength;
})();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The internode kind a command name stands for (case-insensitive, as Redis reads names). */
export function internodeKindOf(name: Uint8Array): InternodeKind | undefined {
  // Every name is "RC." + 3..5 letters: reject other commands without building a string.
  if (name.length < 6 || name.length > 8 || (name[0] !== 0x52 && name[0] !== 0x72)) return undefined;
  // Our own coordinators send the upper-case names: those match without a string per command.
  const exact = EXACT_KINDS[name.length];
  if (exact !== undefined) {
    for (const [bytes, kind] of exact) if (sameBytes(name, bytes)) return kind;
  }
  switch (asBuffer(name).toString('latin1').toUpperCase()) {
    case 'RC.PUT': return 'coord-put';
    case 'RC.MERGE': return 'merge';
    case 'RC.READ': return 'read';
    case 'RC.PING': return 'ping';
    default: return undefined;
  }
}

/** Decodes a whole command (name first); anything malformed throws RC_ERR_PROTOCOL. */
export function decodeInternodeRequest(args: readonly Uint8Array[], limits: InternodeLimits): Envelope<InternodeRequest> {
  const name = args[0];
  const kind = name === undefined ? undefined : internodeKindOf(name);
  if (kind === undefined) throw protocolError('not an internode command');
  if (args.length !== ARITY[kind]) {
    throw protocolError(`wrong number of arguments for '${INTERNODE_COMMANDS[kind].toLowerCase()}' command (got ${args.length - 1}, expected ${ARITY[kind] - 1})`);
  }
  const arg = (index: number): Uint8Array => args[index] as Uint8Array;
  const epoch = decimal(arg(1), 'epoch');
  switch (kind) {
    case 'coord-put': return { epoch, body: decodePut(arg, limits) };
    case 'merge': {
      const vnode = vnodeArg(arg(2), limits);
      const key = keyArg(arg(3), limits);
      return { epoch, body: { kind, key, vnode, versioned: decodeVersioned(arg(4), limits.version) } };
    }
    case 'read': return { epoch, body: { kind, vnode: vnodeArg(arg(2), limits), key: keyArg(arg(3), limits) } };
    case 'ping': return { epoch, body: { kind } };
  }
}

function decodePut(arg: (index: number) => Uint8Array, limits: InternodeLimits): InternodeRequest {
  const requestId = nameArg(arg(2), limits.nameBytesMax, 'requestId');
  const vnode = vnodeArg(arg(3), limits);
  const key = keyArg(arg(4), limits);
  const flags = decimal(arg(5), 'flags');
  if ((flags & ~PUT_FLAGS_KNOWN) !== 0) throw protocolError(`RC.PUT flags ${flags} has unknown bits`);
  const valueBytes = arg(6);
  const contextBytes = arg(7);
  const expiresBytes = arg(8);
  let value: Uint8Array | null = valueBytes;
  if ((flags & PUT_FLAG_DELETE) !== 0) {
    if (valueBytes.length !== 0) throw protocolError('RC.PUT of a delete carries a value');
    value = null;
  } else if (valueBytes.length > limits.version.valueBytesMax) {
    throw protocolError(`RC.PUT value is ${valueBytes.length} bytes, more than limits.valueBytesMax (${limits.version.valueBytesMax})`);
  }
  const context = (flags & PUT_FLAG_CONTEXT) === 0 ? absent(contextBytes, 'context') : contextArg(contextBytes, limits);
  const expiresAtMs = (flags & PUT_FLAG_EXPIRES) === 0 ? absent(expiresBytes, 'expiresAtMs') : decimal(expiresBytes, 'expiresAtMs');
  return { kind: 'coord-put', requestId, key, vnode, value, context, expiresAtMs };
}

function absent(bytes: Uint8Array, field: string): null {
  if (bytes.length !== 0) throw protocolError(`RC.PUT ${field} is present but its flag is not set`);
  return null;
}

function contextArg(bytes: Uint8Array, limits: InternodeLimits): ReturnType<typeof decodeContext> {
  try {
    return decodeContext(bytes, limits.version);
  } catch (error) {
    // A bad token from a client is RC_ERR_BAD_CONTEXT; between our own processes it is garbage.
    if (error instanceof RingcacheError) throw protocolError(error.message);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Replies

/** The reply kind that answers each request kind. */
export const REPLY_KIND_OF: Readonly<Record<InternodeKind, InternodeReply['kind']>> = Object.freeze({
  'coord-put': 'put-result',
  merge: 'ack',
  read: 'versioned',
  ping: 'pong',
});

export function encodeInternodeReply(envelope: Envelope<InternodeReply>): ReplyValue {
  const epoch = integerReply(envelope.epoch);
  const body = envelope.body;
  switch (body.kind) {
    case 'put-result':
      return arrayReply([epoch, bulkReply(body.dot.actor), integerReply(body.dot.counter), bulkReply(encodeVersioned(body.versioned))]);
    case 'versioned': {
      const state = bulkReply(body.versioned === null ? null : encodeVersioned(body.versioned));
      return arrayReply(body.recovering === true ? [epoch, state, RECOVERING_ITEM] : [epoch, state]);
    }
    case 'ack':
      return arrayReply([epoch]);
    case 'pong':
      return arrayReply([epoch, bulkReply(body.serverId)]);
  }
}

/** The `versioned` reply of a state already in its wire form: the bytes encodeInternodeReply writes. */
export function encodeEncodedReadReply(envelope: Envelope<Uint8Array | null>, recovering = false): ReplyValue {
  const epoch = integerReply(envelope.epoch);
  return arrayReply(recovering ? [epoch, bulkReply(envelope.body), RECOVERING_ITEM] : [epoch, bulkReply(envelope.body)]);
}

const RECOVERING_ITEM: ReplyValue = Object.freeze(integerReply(1));

/**
 * Decodes the reply to a request of kind `asked`. An error reply throws the RingcacheError it
 * carries; a malformed reply throws RC_ERR_PROTOCOL.
 */
export function decodeInternodeReply(asked: InternodeKind, value: RespValue, limits: InternodeLimits): Envelope<InternodeReply> {
  if (value.kind === 'error') throw errorFromLine(value.message);
  if (value.kind !== 'array' || value.items === null) {
    throw protocolError(`a '${REPLY_KIND_OF[asked]}' reply is an array, got ${describe(value)}`);
  }
  const items = value.items;
  return { epoch: integerItem(items[0], 'epoch', 0), body: decodeDataReply(asked, items, limits) };
}

/** The body of a data kind's reply array; items[0] is the epoch. */
export function decodeDataReply(asked: InternodeKind, items: readonly RespValue[], limits: InternodeLimits): InternodeReply {
  const expected = REPLY_KIND_OF[asked];
  const length = expected === 'put-result' ? 4 : expected === 'ack' ? 1 : 2;
  const flagged = expected === 'versioned' && items.length === 3;
  if (items.length !== length && !flagged) throw protocolError(`a '${expected}' reply is an array of ${length}, got an array of ${items.length}`);
  switch (expected) {
    case 'put-result': {
      const actor = nameArg(bulkItem(items[1], 'actor'), limits.version.actorBytesMax, 'actor');
      const counter = integerItem(items[2], 'counter', 1);
      const versioned = decodeVersioned(bulkItem(items[3], 'versioned'), limits.version);
      if (vectorCounter(versioned.context, actor) < counter) {
        throw protocolError(`put-result dot (${actor}, ${counter}) is not covered by the stored context`);
      }
      return { kind: 'put-result', dot: { actor, counter }, versioned };
    }
    case 'versioned': {
      const item = items[1];
      const versioned: Versioned | null = item?.kind === 'bulk' && item.value === null ? null : decodeVersioned(bulkItem(item, 'versioned'), limits.version);
      if (!flagged) return { kind: 'versioned', versioned };
      integerItem(items[2], 'recovering', 1);
      return { kind: 'versioned', versioned, recovering: true };
    }
    case 'ack': return { kind: 'ack' };
    case 'pong': return { kind: 'pong', serverId: nameArg(bulkItem(items[1], 'serverId'), limits.nameBytesMax, 'serverId') };
  }
}

// ---------------------------------------------------------------------------------------------
// Errors

/** `-RC_ERR_<CODE> <message>`: the code survives the hop, so callers branch on it as if local. */
export function encodeInternodeError(error: RingcacheError): ReplyValue {
  return errorReply(`${error.code} ${error.message}`);
}

/**
 * The RingcacheError an error line stands for: our own codes pass through; what a RESP server
 * says on its own (authentication, unknown command, framing) maps onto the catalogue.
 */
export function errorFromLine(line: string): RingcacheError {
  const space = line.indexOf(' ');
  const prefix = space === -1 ? line : line.slice(0, space);
  const message = space === -1 ? '' : line.slice(space + 1);
  if (prefix.startsWith('RC_ERR_') && Object.hasOwn(ERROR_CATALOGUE, prefix)) {
    return new RingcacheError(prefix as ErrorCode, message);
  }
  if (prefix === 'NOAUTH' || prefix === 'WRONGPASS') {
    return new RingcacheError('RC_ERR_UNAUTHORIZED', `node refused the cluster token (${line}); see cluster.token`);
  }
  if (message.startsWith('unknown command')) return new RingcacheError('RC_ERR_UNKNOWN_COMMAND', `node: ${line}`);
  if (message.startsWith('Protocol error')) return new RingcacheError('RC_ERR_PROTOCOL', `node: ${line}`);
  if (message === 'internal error') return new RingcacheError('RC_ERR_INTERNAL', `node: ${line}`);
  return protocolError(`error reply of no known code: ${line.slice(0, 200)}`);
}
