/**
 * The peer protocol's message kinds, owned by the concept folders that use them (memberlist keeps
 * one message type per file). A kind is a request body, its reply body and a MessageCodec that puts
 * both on the wire; a process speaks the kinds of the MessageCatalogue its composition root builds.
 * Adding a kind is one file in its folder: the types (by module augmentation of PeerMessages, as
 * fastify's decorators are typed) and the codec, listed in the folder's `..._MESSAGES`.
 *
 *   declare module '../transport/index.js' {
 *     interface PeerMessages { 'gossip': { request: GossipRequest; reply: GossipReply } }
 *   }
 *
 * On the wire every request is a RESP command `<command> <epoch> <args...>` and every reply an
 * array `[:epoch, <items...>]` (internode-codec.ts has the data kinds' grammar); an error reply is
 * `-RC_ERR_<CODE> <message>` for every kind.
 */
import { AssertionError, assert } from '../runtime/index.js';
import type { ReplyValue, RespValue } from '../resp/index.js';
import type { InternodeLimits } from './internode-codec.js';
import type {
  AckReply, CoordinatedPutRequest, MergeRequest, PingRequest, PongReply, PutResultReply, ReadRequest, VersionedReply,
} from './messages.js';

/** Request and reply bodies by kind. Concept folders add theirs by module augmentation. */
export interface PeerMessages {
  'coord-put': { request: CoordinatedPutRequest; reply: PutResultReply };
  merge: { request: MergeRequest; reply: AckReply };
  read: { request: ReadRequest; reply: VersionedReply };
  ping: { request: PingRequest; reply: PongReply };
}

export type PeerKind = keyof PeerMessages;
export type RequestOf<K extends PeerKind> = PeerMessages[K]['request'];
export type ReplyOf<K extends PeerKind> = PeerMessages[K]['reply'];
/** Any request body of any kind: `kind` tells which. */
export type PeerRequest = { [K in PeerKind]: RequestOf<K> }[PeerKind];
export type PeerReply = { [K in PeerKind]: ReplyOf<K> }[PeerKind];

/**
 * One kind on the wire. Decoders trust nothing: every count, length and integer is checked
 * against limits (a limit on everything read from a peer), and anything malformed throws
 * RingcacheError RC_ERR_PROTOCOL (wire-fields.ts has the field readers).
 */
export interface MessageCodec<K extends PeerKind> {
  readonly kind: K;
  /** append only: the command name is on the wire. Upper case, "RC." and 3..12 letters. */
  readonly command: string;
  /** The arguments after the command name and the epoch. */
  encodeRequest(body: RequestOf<K>): (string | Uint8Array)[];
  /** Decodes a whole command: args[0] is the name, args[1] the epoch (already checked). */
  decodeRequest(args: readonly Uint8Array[], limits: InternodeLimits): RequestOf<K>;
  /** The whole reply: an array whose first item is the epoch (`replyArray(epoch, ...)`). */
  encodeReply(epoch: number, body: ReplyOf<K>): ReplyValue;
  /** Decodes a reply array: items[0] is the epoch (already checked). */
  decodeReply(items: readonly RespValue[], limits: InternodeLimits): ReplyOf<K>;
  /**
   * Copies what a handler may keep out of socket buffers (decoded fields are views of them).
   * Absent: the body holds nothing worth copying, or the handler copies what it keeps.
   */
  own?(body: RequestOf<K>): RequestOf<K>;
}

/** A codec of some kind; the catalogue's entries. */
export type AnyMessageCodec = { [K in PeerKind]: MessageCodec<K> }[PeerKind];

const COMMAND_SHAPE = /^RC\.[A-Z][A-Z.-]{2,15}$/;

/**
 * The kinds one process speaks, looked up by kind (sending) and by command name (receiving).
 * Built once by a composition root from the folders' lists; immutable after.
 */
export class MessageCatalogue {
  private readonly byKind = new Map<PeerKind, AnyMessageCodec>();
  /** Command names by length, as bytes: our own senders' upper-case names match without a string. */
  private readonly exact: (readonly (readonly [Buffer, AnyMessageCodec])[] | undefined)[] = [];
  private readonly byUpperName = new Map<string, AnyMessageCodec>();
  private readonly lengthMin: number;
  private readonly lengthMax: number;

  constructor(codecs: readonly AnyMessageCodec[]) {
    for (const codec of codecs) {
      assert(COMMAND_SHAPE.test(codec.command), `peer command ${codec.command} has the shape RC.<NAME>`);
      assert(!this.byKind.has(codec.kind), `peer message kind ${codec.kind} is listed once`);
      assert(!this.byUpperName.has(codec.command), `peer command ${codec.command} is listed once`);
      this.byKind.set(codec.kind, codec);
      this.byUpperName.set(codec.command, codec);
      const bytes = Buffer.from(codec.command, 'latin1');
      const bucket = (this.exact[bytes.length] ?? []) as (readonly [Buffer, AnyMessageCodec])[];
      bucket.push([bytes, codec]);
      this.exact[bytes.length] = bucket;
    }
    const lengths = [...this.byUpperName.keys()].map((name) => name.length);
    this.lengthMin = Math.min(...lengths);
    this.lengthMax = Math.max(...lengths);
  }

  /** Joins catalogues (a node speaks every folder's kinds; a proxy only some). */
  static of(...lists: readonly (readonly AnyMessageCodec[])[]): MessageCatalogue {
    return new MessageCatalogue(lists.flat());
  }

  has(kind: PeerKind): boolean {
    return this.byKind.has(kind);
  }

  kinds(): PeerKind[] {
    return [...this.byKind.keys()];
  }

  /** The codec of a kind this process sends; sending a kind it does not speak is a bug. */
  ofKind<K extends PeerKind>(kind: K): MessageCodec<K> {
    const codec = this.byKind.get(kind);
    if (codec === undefined) throw new AssertionError(`peer message kind '${kind}' is not in this process's catalogue`);
    return codec as unknown as MessageCodec<K>;
  }

  /** The codec a received command name stands for (case-insensitive, as Redis reads names). */
  ofCommand(name: Uint8Array): AnyMessageCodec | undefined {
    if (name.length < this.lengthMin || name.length > this.lengthMax || (name[0] !== 0x52 && name[0] !== 0x72)) return undefined;
    const exact = this.exact[name.length];
    if (exact !== undefined) {
      for (const [bytes, codec] of exact) if (sameBytes(name, bytes)) return codec;
    }
    return this.byUpperName.get(Buffer.from(name.buffer, name.byteOffset, name.byteLength).toString('latin1').toUpperCase());
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
