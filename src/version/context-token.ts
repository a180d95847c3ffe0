/**
 * Causal contexts in binary (the internode codec's context part) and as the signed, opaque
 * `X-Ringcache-Context` header and RC.GETV/RC.SETV argument a client carries from a read to its
 * next write (DVV 2012; Riak's X-Riak-Vclock).
 *
 *   binary context (internode) =
 *   +---------+--------------+----------------------------------------------------+
 *   | version | entry count  | entry x count: actor length | actor UTF-8 | counter |
 *   | u8 = 1  | varint       |                varint         bytes         varint  |
 *   +---------+--------------+----------------------------------------------------+
 *
 *   client token = base64url (no padding) of
 *   +---------+----------------------------+------------------------------------------+
 *   | version | entry count, entries       | HMAC-SHA256(key, version + entries)[0:16] |
 *   | u8 = 2  | as above                   | key = SHA-256(label, cluster.token)       |
 *   +---------+----------------------------+------------------------------------------+
 *
 * Entries are strictly sorted by actor bytes and counters are 1..2^53-1, so each vector has
 * exactly one encoding and a decoded one re-encodes to itself.
 *
 * Why tokens are signed: a context decides which siblings a write supersedes. A forged context
 * claiming (n2.k3, 10^9) would be merged into the key's stored context, which would then cover
 * every write n2 coordinates for that key until its counter passes 10^9: acknowledged writes
 * silently dropped by the next merge. The coordinator can only check its own actor's counter
 * (dvv.ts), so tokens carry a MAC keyed by the cluster token, and only tokens a proxy or client
 * of this cluster issued are accepted. With no cluster.token the key is public: tokens are still
 * checked for damage (truncation, typos, tokens of another release) but can be forged.
 */
import { createHash, createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { assert } from '../runtime/index.js';
import type { Dot, VectorEntry, Versioned, VersionVector } from './types.js';
import type { VersionLimits } from './options.js';
import { VERSION_DEFAULTS } from './options.js';
import { ByteReader, varintBytes, writeVarint } from './byte-reader.js';
import { covers, joinDot, vectorProblem } from './vector.js';

/** append only: values are on the wire. */
export const CONTEXT_FORMAT_VERSION = 1;
/** The signed client token; 1 was the unsigned token of the first release (refused now). */
export const TOKEN_FORMAT_VERSION = 2;
/** Bytes of the truncated HMAC-SHA256 (128 bits, as NIST SP 800-107 allows for a MAC). */
export const TOKEN_MAC_BYTES = 16;
/** Entries of ContextTokens' memo of issued tokens (about 100 bytes each); cleared when full. */
const ISSUED_MEMO_MAX = 4096;
/** Domain separation: the cluster token also authenticates internode and admin requests. */
const TOKEN_KEY_LABEL = 'ringcache context token v2\0';

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VARINT_BYTES_MAX = 8;
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** A surrogate without its pair has no UTF-8 form: encoding would silently change the actor. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** UTF-8 length of an actor; a pure-ASCII actor (the usual "n1.k3f9") is its string length. */
export function actorByteLength(actor: string): number {
  for (let i = 0; i < actor.length; i++) {
    if (actor.charCodeAt(i) >= 0x80) {
      assert(!LONE_SURROGATE.test(actor), `actor ${JSON.stringify(actor)} is well-formed UTF-16`);
      return Buffer.byteLength(actor, 'utf8');
    }
  }
  return actor.length;
}

/** Bytes of the vector body: count, then (actor length, actor, counter) per entry. */
export function vectorBodyBytes(vector: VersionVector): number {
  let bytes = varintBytes(vector.length);
  for (const entry of vector) {
    const actorBytes = actorByteLength(entry.actor);
    bytes += varintBytes(actorBytes) + actorBytes + varintBytes(entry.counter);
  }
  return bytes;
}

export function writeVectorBody(target: Buffer, offset: number, vector: VersionVector): number {
  let at = writeVarint(target, offset, vector.length);
  for (const entry of vector) {
    const actorBytes = actorByteLength(entry.actor);
    at = writeVarint(target, at, actorBytes);
    if (actorBytes === entry.actor.length) {
      for (let i = 0; i < actorBytes; i++) target[at + i] = entry.actor.charCodeAt(i);
    } else {
      target.write(entry.actor, at, actorBytes, 'utf8');
    }
    at = writeVarint(target, at + actorBytes, entry.counter);
  }
  return at;
}

/**
 * Reads and validates a vector body: at most `contextEntriesMax` entries, non-empty strict-UTF-8
 * actors of at most `actorBytesMax` bytes, strictly sorted by bytes (so no duplicates), counters
 * >= 1.
 */
export function readVectorBody(reader: ByteReader, limits: VersionLimits): VectorEntry[] {
  const count = reader.varint('entry count');
  if (count > limits.contextEntriesMax) {
    reader.fail(`${count} entries, more than limits.contextEntriesMax (${limits.contextEntriesMax})`);
  }
  const bytes = reader.bytes;
  const entries: VectorEntry[] = [];
  let previousStart = 0;
  let previousEnd = 0;
  for (let index = 0; index < count; index++) {
    reader.locate('entry', index);
    const actorLength = reader.varint('actor length');
    if (actorLength === 0) reader.fail(`entry ${index} has an empty actor`);
    if (actorLength > limits.actorBytesMax) {
      reader.fail(`entry ${index} actor is ${actorLength} bytes, more than limits.actorBytesMax (${limits.actorBytesMax})`);
    }
    const start = reader.skip(actorLength, 'actor');
    const end = start + actorLength;
    if (index > 0 && compareByteRanges(bytes, previousStart, previousEnd, start, end) >= 0) {
      reader.fail(`entry ${index} actor is not after the previous one (actors must be sorted and distinct)`);
    }
    const actor = decodeActor(reader, bytes, start, end, index);
    const counter = reader.varint('counter');
    if (counter === 0) reader.fail(`entry ${index} (${actor}) has counter 0; counters start at 1`);
    entries.push({ actor, counter });
    previousStart = start;
    previousEnd = end;
  }
  reader.locate('', 0);
  return entries;
}

/**
 * Actors decoded lately, by a hash of their bytes: a cluster has a handful (one per server
 * incarnation) and every state on the wire names them, so a hit returns the same string instead
 * of building one. Why: building actor strings (char by char) was 11% of the bytes a proxy
 * allocated per read (sampling heap profile, -P 1).
 * A pure memo (a hit equals what decoding gives), so sharing it across the process is safe.
 */
const ACTOR_CACHE_SLOTS = 64;
const recentActors: (string | undefined)[] = new Array<string | undefined>(ACTOR_CACHE_SLOTS).fill(undefined);

function decodeActor(reader: ByteReader, bytes: Uint8Array, start: number, end: number, index: number): string {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    const byte = bytes[i] as number;
    if (byte >= 0x80) {
      try {
        return utf8Strict.decode(bytes.subarray(start, end));
      } catch {
        return reader.fail(`entry ${index} actor is not valid UTF-8`);
      }
    }
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  const slot = (hash >>> 0) % ACTOR_CACHE_SLOTS;
  const cached = recentActors[slot];
  if (cached !== undefined && asciiEquals(cached, bytes, start, end)) return cached;
  // Short ASCII: one string from the char codes, not a Buffer.toString call.
  const actor = String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  recentActors[slot] = actor;
  return actor;
}

function asciiEquals(text: string, bytes: Uint8Array, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== bytes[start + i]) return false;
  }
  return true;
}

function compareByteRanges(bytes: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const length = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < length; i++) {
    const difference = (bytes[aStart + i] as number) - (bytes[bStart + i] as number);
    if (difference !== 0) return difference;
  }
  return (aEnd - aStart) - (bEnd - bStart);
}

/** The binary token of a vector (one allocation, sized first). */
export function encodeContext(vector: VersionVector): Buffer {
  assert(vectorProblem(vector) === undefined, 'an encoded context is canonical');
  const target = Buffer.allocUnsafe(1 + vectorBodyBytes(vector));
  target[0] = CONTEXT_FORMAT_VERSION;
  const end = writeVectorBody(target, 1, vector);
  assert(end === target.length, 'context size computed before writing matches what was written');
  return target;
}

/** Decodes a binary token; any malformation throws RC_ERR_BAD_CONTEXT saying what is wrong. */
export function decodeContext(bytes: Uint8Array, limits: VersionLimits = VERSION_DEFAULTS): VersionVector {
  const reader = new ByteReader(bytes, 'RC_ERR_BAD_CONTEXT', 'context token');
  const version = reader.byte('format version');
  if (version !== CONTEXT_FORMAT_VERSION) {
    reader.fail(`format version ${version} is not ${CONTEXT_FORMAT_VERSION} (a token from another cluster or release?)`);
  }
  const vector = readVectorBody(reader, limits);
  reader.expectEnd();
  return vector;
}

/**
 * Client context tokens of one cluster: signs what proxies and clients hand out, and accepts only
 * tokens signed with the same cluster token. Also says which context a client has seen after a
 * read or a write, so the proxy and the client library issue the same tokens.
 */
export class ContextTokens {
  private readonly key: KeyObject;
  private readonly charsMax: number;
  /**
   * Tokens issued lately, by their signed bytes. Why: every HTTP GET answers a token, the HMAC
   * costs about 2 us, and under Zipf keys most reads return a context issued moments before.
   */
  private readonly issued = new Map<string, string>();

  constructor(clusterToken: string, readonly limits: VersionLimits = VERSION_DEFAULTS) {
    this.key = createSecretKey(createHash('sha256').update(TOKEN_KEY_LABEL).update(clusterToken, 'utf8').digest());
    this.charsMax = Math.ceil(((contextBytesMax(limits) + TOKEN_MAC_BYTES) * 4) / 3);
  }

  /** The token of a vector. */
  encode(vector: VersionVector): string {
    assert(vectorProblem(vector) === undefined, 'a context token holds a canonical vector');
    const signedEnd = 1 + vectorBodyBytes(vector);
    const bytes = Buffer.allocUnsafe(signedEnd + TOKEN_MAC_BYTES);
    bytes[0] = TOKEN_FORMAT_VERSION;
    const end = writeVectorBody(bytes, 1, vector);
    assert(end === signedEnd, 'token size computed before writing matches what was written');
    const signed = bytes.toString('latin1', 0, signedEnd);
    const known = this.issued.get(signed);
    if (known !== undefined) return known;
    this.mac(bytes.subarray(0, signedEnd)).copy(bytes, signedEnd, 0, TOKEN_MAC_BYTES);
    const token = bytes.toString('base64url');
    if (this.issued.size >= ISSUED_MEMO_MAX) this.issued.clear();
    this.issued.set(signed, token);
    return token;
  }

  /**
   * Decodes a token this cluster signed. Only the exact text `encode` produces is accepted (one
   * spelling per token); its length is bounded before anything is decoded and its MAC checked
   * before its body is read. Anything else throws RC_ERR_BAD_CONTEXT saying what is wrong.
   */
  decode(token: string): VersionVector {
    const empty = new ByteReader(new Uint8Array(0), 'RC_ERR_BAD_CONTEXT', 'context token');
    if (token.length > this.charsMax) {
      empty.fail(`${token.length} characters, more than the ${this.charsMax} that limits.contextEntriesMax and limits.actorBytesMax allow`);
    }
    if (!BASE64URL.test(token) || token.length % 4 === 1) {
      empty.fail('not base64url (only A-Z a-z 0-9 - _ without padding)');
    }
    if (!hasZeroPaddingBits(token)) empty.fail('not canonical base64url (non-zero padding bits)');
    const bytes = Buffer.from(token, 'base64url');
    const reader = new ByteReader(bytes, 'RC_ERR_BAD_CONTEXT', 'context token');
    const version = reader.byte('format version');
    if (version !== TOKEN_FORMAT_VERSION) {
      reader.fail(`format version ${version} is not ${TOKEN_FORMAT_VERSION} (a token from another release? read the key again for a new one)`);
    }
    const signedEnd = bytes.length - TOKEN_MAC_BYTES;
    if (signedEnd < 2) reader.fail(`truncated: ${bytes.length} bytes, a token has at least ${2 + TOKEN_MAC_BYTES}`);
    const expected = this.mac(bytes.subarray(0, signedEnd)).subarray(0, TOKEN_MAC_BYTES);
    if (!timingSafeEqual(expected, bytes.subarray(signedEnd))) {
      reader.fail('signature does not match: not a token this cluster issued (another cluster.token, or altered)');
    }
    const body = new ByteReader(bytes.subarray(0, signedEnd), 'RC_ERR_BAD_CONTEXT', 'context token');
    body.offset = 1;
    const vector = readVectorBody(body, this.limits);
    body.expectEnd();
    return vector;
  }

  /** The token of a read: covers every sibling read (an absent key reads as the empty vector). */
  forRead(versioned: Versioned | null): string {
    return this.encode(versioned === null ? [] : versioned.context);
  }

  /**
   * The token after a write. A blind write superseded everything its coordinating replica held,
   * so that replica's context is what the client has now seen. A write with a context superseded
   * only what that context covers: the client has seen its context and its own new dot, not the
   * concurrent siblings the replica may hold from other writers, and its next write must not
   * silently drop those (DVV 2012: the client's knowledge). A vector cannot always say "my
   * context plus this dot": joining the dot also covers the actor's counters below it, which may
   * be a concurrent sibling this client never read (two writers through one coordinator). Then
   * the token is the client's context alone: its own write becomes a sibling of its next one,
   * which a careful client merges, instead of a lost write.
   */
  forWrite(stored: Versioned, dot: Dot, context: VersionVector | null): string {
    if (context === null) return this.encode(stored.context);
    const seen = joinDot(context, dot);
    for (const sibling of stored.siblings) {
      const other = sibling.dot;
      const own = other.actor === dot.actor && other.counter === dot.counter;
      if (!own && covers(seen, other) && !covers(context, other)) return this.encode(context);
    }
    return this.encode(seen);
  }

  private mac(signed: Uint8Array): Buffer {
    return createHmac('sha256', this.key).update(signed).digest();
  }
}

/**
 * The last character of a token whose length is 2 or 3 mod 4 carries 4 or 2 unused bits; a
 * decoder ignores them, so only zero bits keep one spelling per token.
 */
function hasZeroPaddingBits(token: string): boolean {
  const rest = token.length % 4;
  if (rest === 0) return true;
  const sextet = BASE64URL_ALPHABET.indexOf(token.charAt(token.length - 1));
  return (sextet & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/** The longest binary token the limits admit. */
export function contextBytesMax(limits: VersionLimits): number {
  const entryBytesMax = varintBytes(limits.actorBytesMax) + limits.actorBytesMax + VARINT_BYTES_MAX;
  return 1 + varintBytes(limits.contextEntriesMax) + limits.contextEntriesMax * entryBytesMax;
}
