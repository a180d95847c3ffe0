/**
 * Envelopes of any kind on the wire, through a MessageCatalogue (peer-message.ts):
 *
 *   request  <command> <epoch> <args of the kind...>      a RESP command
 *   reply    [:epoch, <items of the kind...>]             a RESP array; errors are -RC_ERR_<CODE> ...
 *
 * The data kinds keep their hand-written fast paths (internode-writer.ts for requests, the node's
 * encoded reads); every other kind goes through its codec.
 */
import { assert } from '../runtime/index.js';
import type { ReplyValue, ReplyWriter, RespValue } from '../resp/index.js';
import { arrayReply, integerReply } from '../resp/index.js';
import type { InternodeLimits } from './internode-codec.js';
import { errorFromLine } from './internode-codec.js';
import { isDataKind, writeInternodeRequest } from './internode-writer.js';
import type { Envelope, InternodeRequest } from './messages.js';
import type { MessageCatalogue, MessageCodec, PeerKind, PeerReply, PeerRequest, ReplyOf } from './peer-message.js';
import { asBuffer, decimal, describe, integerItem, protocolError } from './wire-fields.js';

/** A reply array: the epoch, then the kind's items. */
export function replyArray(epoch: number, ...items: ReplyValue[]): ReplyValue {
  return arrayReply([integerReply(epoch), ...items]);
}

/** The command of a request, its name first (ioredis sends arrays of arguments). */
export function encodePeerCommand(catalogue: MessageCatalogue, envelope: Envelope<PeerRequest>): (string | Buffer)[] {
  const codec = catalogue.ofKind(envelope.body.kind) as MessageCodec<PeerKind>;
  const args = codec.encodeRequest(envelope.body);
  return [codec.command, String(envelope.epoch), ...args.map((arg) => (typeof arg === 'string' ? arg : asBuffer(arg)))];
}

/** Writes a request into a link's batch: the data kinds without an argument array. */
export function writePeerRequest(batch: ReplyWriter, catalogue: MessageCatalogue, envelope: Envelope<PeerRequest>): void {
  if (isDataKind(envelope.body.kind)) {
    writeInternodeRequest(batch, envelope as Envelope<InternodeRequest>);
    return;
  }
  const codec = catalogue.ofKind(envelope.body.kind) as MessageCodec<PeerKind>;
  const args = codec.encodeRequest(envelope.body);
  batch.arrayHeader(2 + args.length);
  batch.bulkText(codec.command);
  batch.bulkDecimal(envelope.epoch);
  for (const arg of args) {
    if (typeof arg === 'string') batch.bulkText(arg);
    else batch.bulk(arg);
  }
}

/**
 * Decodes a received command of a kind the catalogue speaks; undefined when the name is none of
 * them (the caller may know other commands: AUTH, PING). Malformed: throws RC_ERR_PROTOCOL.
 */
export function decodePeerRequest(
  catalogue: MessageCatalogue, args: readonly Uint8Array[], limits: InternodeLimits,
): { readonly codec: MessageCodec<PeerKind>; readonly envelope: Envelope<PeerRequest> } | undefined {
  const name = args[0];
  const codec = (name === undefined ? undefined : catalogue.ofCommand(name)) as MessageCodec<PeerKind> | undefined;
  if (codec === undefined) return undefined;
  const epochBytes = args[1];
  if (epochBytes === undefined) throw protocolError(`'${codec.command.toLowerCase()}' command without an epoch`);
  const epoch = decimal(epochBytes, 'epoch');
  const body = codec.decodeRequest(args, limits);
  assert(body.kind === codec.kind, `codec ${codec.command} decodes its own kind`);
  return { codec, envelope: { epoch, body } };
}

/** The reply array of a kind. */
export function encodePeerReply<K extends PeerKind>(codec: MessageCodec<K>, envelope: Envelope<ReplyOf<K>>): ReplyValue {
  return codec.encodeReply(envelope.epoch, envelope.body);
}

/** Decodes the reply to a request of the codec's kind; an error reply throws its RingcacheError. */
export function decodePeerReply(codec: MessageCodec<PeerKind>, value: RespValue, limits: InternodeLimits): Envelope<PeerReply> {
  if (value.kind === 'error') throw errorFromLine(value.message);
  if (value.kind !== 'array' || value.items === null || value.items.length === 0) {
    throw protocolError(`a '${codec.kind}' reply is an array with the epoch first, got ${describe(value)}`);
  }
  const epoch = integerItem(value.items[0], 'epoch', 0);
  return { epoch, body: codec.decodeReply(value.items, limits) };
}
