/**
 * The compact form of a list of member updates, one bulk string inside RC.GOSSIP, RC.PROBE,
 * RC.PINGREQ and RC.VIEW. The membership service (not the RESP layer) decodes it, so the
 * simulator, which passes message bodies as objects, runs this decoder too, and every drop is
 * counted where the limits are known.
 *
 *   payload = count:varint  update{count}
 *   update  = member:name  flags:u8  incarnation:varint  epoch:varint  [accuser:name]
 *   name    = length:u8 (1..255)  UTF-8 bytes
 *   flags   = bits 0-1 status (0 up, 1 suspect, 2 down)   bit 2 recovering   bit 3 accuser follows
 *             other bits zero; an accuser follows exactly when the status is not up
 *
 * append only: the layout and the flag values are on the wire.
 */
import { AssertionError, RingcacheError } from '../runtime/index.js';
import type { PeerStatus } from '../node/index.js';
import { ByteReader, varintBytes, writeVarint } from '../version/index.js';
import type { MemberUpdate } from './member-state.js';

const STATUS_CODES: readonly PeerStatus[] = ['up', 'suspect', 'down'];
const STATUS_MASK = 0x03;
const FLAG_RECOVERING = 0x04;
const FLAG_ACCUSER = 0x08;
const FLAGS_KNOWN = STATUS_MASK | FLAG_RECOVERING | FLAG_ACCUSER;
export const NAME_BYTES_MAX = 255;

const encoder = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Server ids repeat in every message; their bytes are made once. */
const nameCache = new Map<string, Uint8Array>();
const NAME_CACHE_MAX = 4096;

function nameBytes(name: string): Uint8Array {
  let bytes = nameCache.get(name);
  if (bytes === undefined) {
    bytes = encoder.encode(name);
    if (bytes.length === 0 || bytes.length > NAME_BYTES_MAX) throw new AssertionError(`member name '${name.slice(0, 40)}' is 1..${NAME_BYTES_MAX} bytes`);
    if (nameCache.size >= NAME_CACHE_MAX) nameCache.clear();
    nameCache.set(name, bytes);
  }
  return bytes;
}

/** Bytes one update takes in a payload. */
export function updateBytes(update: MemberUpdate): number {
  const accuser = update.accuser === null ? 0 : 1 + nameBytes(update.accuser).length;
  return 1 + nameBytes(update.member).length + 1 + varintBytes(update.incarnation) + varintBytes(update.epoch) + accuser;
}

/** Bytes of the count prefix of a payload of `count` updates. */
export function payloadHeaderBytes(count: number): number {
  return varintBytes(count);
}

export function encodeUpdates(updates: readonly MemberUpdate[]): Uint8Array {
  let size = varintBytes(updates.length);
  for (const update of updates) size += updateBytes(update);
  const out = new Uint8Array(size);
  let at = writeVarint(out, 0, updates.length);
  for (const update of updates) {
    if ((update.status === 'up') !== (update.accuser === null)) {
      throw new AssertionError(`an update carries an accuser exactly when it is not 'up' (${update.member} ${update.status})`);
    }
    at = writeName(out, at, update.member);
    let flags = STATUS_CODES.indexOf(update.status);
    if (update.recovering) flags |= FLAG_RECOVERING;
    if (update.accuser !== null) flags |= FLAG_ACCUSER;
    out[at++] = flags;
    at = writeVarint(out, at, update.incarnation);
    at = writeVarint(out, at, update.epoch);
    if (update.accuser !== null) at = writeName(out, at, update.accuser);
  }
  if (at !== size) throw new AssertionError(`update payload sized ${size} bytes, wrote ${at}`);
  return out;
}

function writeName(out: Uint8Array, at: number, name: string): number {
  const bytes = nameBytes(name);
  out[at] = bytes.length;
  out.set(bytes, at + 1);
  return at + 1 + bytes.length;
}

/**
 * Decodes a payload of at most `countMax` updates; anything malformed (truncated, trailing
 * bytes, unknown flags, a bad name, too many updates) throws RC_ERR_PROTOCOL.
 */
export function decodeUpdates(bytes: Uint8Array, countMax: number): MemberUpdate[] {
  const reader = new ByteReader(bytes, 'RC_ERR_PROTOCOL', 'membership updates');
  const count = reader.varint('count');
  if (count > countMax) reader.fail(`${count} updates is above the limit of ${countMax}`);
  // Each update takes at least 5 bytes: a count the payload cannot hold is garbage, not an allocation.
  if (count * 5 > bytes.length) reader.fail(`${count} updates cannot fit in ${bytes.length} bytes`);
  const updates: MemberUpdate[] = [];
  for (let index = 0; index < count; index++) {
    reader.locate('update', index);
    const member = readName(reader, 'member');
    const flags = reader.byte('flags');
    const status = STATUS_CODES[flags & STATUS_MASK];
    if ((flags & ~FLAGS_KNOWN) !== 0 || status === undefined) return reader.fail(`update ${index} has unknown flags 0x${flags.toString(16)}`);
    const hasAccuser = (flags & FLAG_ACCUSER) !== 0;
    if (hasAccuser === (status === 'up')) reader.fail(`update ${index} (${status}) ${hasAccuser ? 'has' : 'lacks'} an accuser`);
    const incarnation = reader.varint('incarnation');
    const epoch = reader.varint('epoch');
    const accuser = hasAccuser ? readName(reader, 'accuser') : null;
    updates.push({ member, status, incarnation, recovering: (flags & FLAG_RECOVERING) !== 0, epoch, accuser });
  }
  reader.expectEnd();
  return updates;
}

function readName(reader: ByteReader, field: string): string {
  const length = reader.byte(`${field} length`);
  if (length === 0) reader.fail(`empty ${field} name`);
  const start = reader.skip(length, field);
  const bytes = reader.bytes;
  // Server ids are short ASCII ("n3"): every message carries dozens, so skip the UTF-8 decoder.
  let ascii = '';
  for (let at = start; at < start + length; at++) {
    const byte = bytes[at] as number;
    if (byte >= 0x80) return utf8Name(bytes, start, length, field);
    ascii += String.fromCharCode(byte);
  }
  return ascii;
}

function utf8Name(bytes: Uint8Array, start: number, length: number, field: string): string {
  try {
    return utf8Strict.decode(bytes.subarray(start, start + length));
  } catch {
    throw new RingcacheError('RC_ERR_PROTOCOL', `membership updates: ${field} name is not valid UTF-8`, { offset: start });
  }
}
