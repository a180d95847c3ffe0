/**
 * The keyspace's peer messages: a page of one vnode's live keys (SCAN, KEYS), and a node's count
 * of live keys per vnode with its bytes (DBSIZE, INFO keyspace and memory).
 *
 *   RC.KEYSCAN <epoch> <vnode> <fromHash> <count>   keys of the vnode whose order hash >= fromHash
 *   reply      [:epoch, :nextHash, $page]            nextHash -1: the vnode is done
 *              page: (type u8, key length varint, key bytes) x n, in (order hash, key) order
 *   RC.KEYCOUNT <epoch>
 *   reply      [:epoch, :bytes, $counts]             counts: (vnode varint, live keys varint) x n
 *
 * A key's order hash is the low 32 bits of its xxHash64 (the vnode is the top bits): a fixed
 * position, so a cursor made of (vnode, order hash) never skips a key that stayed present
 * through the whole scan, whatever else is written or the table changes.
 */
import { bulkReply, integerReply } from '../resp/index.js';
import { arity, bulkItem, decimalIn, integerItem, protocolError, replyArray, replyLength, vnodeArg } from '../transport/index.js';
import type { AnyMessageCodec, MessageCodec } from '../transport/index.js';
import { ByteReader, varintBytes, writeVarint } from '../version/index.js';
import { COLLECTION_TYPES } from '../datatypes/index.js';
import type { KeyType } from '../datatypes/index.js';

/** Keys one page may hold: a page is one reply, bounded like any peer message. */
export const KEYS_PER_PAGE_MAX = 1000;
/** append only: values are on the wire. */
const TYPE_CODES: readonly KeyType[] = ['string', ...COLLECTION_TYPES];

export interface KeyScanRequest {
  readonly kind: 'key-scan';
  readonly vnode: number;
  readonly fromHash: number;
  readonly count: number;
}

export interface ScannedKey {
  readonly key: Uint8Array;
  readonly type: KeyType;
}

export interface KeyPageReply {
  readonly kind: 'key-page';
  readonly keys: readonly ScannedKey[];
  /** Where the next page of this vnode starts, or null when the vnode is done. */
  readonly nextHash: number | null;
}

export interface KeyCountRequest {
  readonly kind: 'key-count';
}

export interface KeyCountReply {
  readonly kind: 'key-counts';
  /** Live keys per vnode this node holds (vnodes with none left out). */
  readonly counts: ReadonlyMap<number, number>;
  /** The node's storage bytes by its own accounting (storage.bytesMax's measure). */
  readonly bytes: number;
}

declare module '../transport/peer-message.js' {
  interface PeerMessages {
    'key-scan': { request: KeyScanRequest; reply: KeyPageReply };
    'key-count': { request: KeyCountRequest; reply: KeyCountReply };
  }
}

const HASH_MAX = 0xffffffff;

function encodePage(keys: readonly ScannedKey[]): Buffer {
  let size = 0;
  for (const { key } of keys) size += 1 + varintBytes(key.length) + key.length;
  const target = Buffer.allocUnsafe(size);
  let at = 0;
  for (const { key, type } of keys) {
    target[at++] = TYPE_CODES.indexOf(type);
    at = writeVarint(target, at, key.length);
    target.set(key, at);
    at += key.length;
  }
  return target;
}

function decodePage(bytes: Uint8Array, keyBytesMax: number): ScannedKey[] {
  const reader = new ByteReader(bytes, 'RC_ERR_PROTOCOL', 'key page');
  const keys: ScannedKey[] = [];
  while (reader.offset < bytes.length) {
    if (keys.length >= KEYS_PER_PAGE_MAX) reader.fail(`more than ${String(KEYS_PER_PAGE_MAX)} keys`);
    const type = TYPE_CODES[reader.byte('type')];
    if (type === undefined) return reader.fail('unknown key type');
    const length = reader.varint('key length');
    if (length === 0 || length > keyBytesMax) reader.fail(`key of ${String(length)} bytes is outside 1..limits.keyBytesMax`);
    const start = reader.skip(length, 'key');
    keys.push({ key: new Uint8Array(bytes.subarray(start, start + length)), type });
  }
  return keys;
}

const KEY_SCAN_CODEC: MessageCodec<'key-scan'> = {
  kind: 'key-scan',
  command: 'RC.KEYSCAN',
  encodeRequest: (body) => [String(body.vnode), String(body.fromHash), String(body.count)],
  decodeRequest: (args, limits) => {
    arity(args, 5, 'RC.KEYSCAN');
    return {
      kind: 'key-scan',
      vnode: vnodeArg(args[2] as Uint8Array, limits),
      fromHash: decimalIn(args[3] as Uint8Array, 'fromHash', 0, HASH_MAX),
      count: decimalIn(args[4] as Uint8Array, 'count', 1, KEYS_PER_PAGE_MAX),
    };
  },
  encodeReply: (epoch, body) => replyArray(epoch, integerReply(body.nextHash ?? -1), bulkReply(encodePage(body.keys))),
  decodeReply: (items, limits) => {
    replyLength(items, 3, 'key-page');
    const next = integerItem(items[1], 'nextHash', -1);
    if (next > HASH_MAX) throw protocolError(`nextHash ${String(next)} is above 2^32 - 1`);
    return { kind: 'key-page', nextHash: next < 0 ? null : next, keys: decodePage(bulkItem(items[2], 'page'), limits.keyBytesMax) };
  },
};

function encodeCounts(counts: ReadonlyMap<number, number>): Buffer {
  let size = 0;
  for (const [vnode, count] of counts) size += varintBytes(vnode) + varintBytes(count);
  const target = Buffer.allocUnsafe(size);
  let at = 0;
  for (const [vnode, count] of counts) {
    at = writeVarint(target, at, vnode);
    at = writeVarint(target, at, count);
  }
  return target;
}

const KEY_COUNT_CODEC: MessageCodec<'key-count'> = {
  kind: 'key-count',
  command: 'RC.KEYCOUNT',
  encodeRequest: () => [],
  decodeRequest: (args) => {
    arity(args, 2, 'RC.KEYCOUNT');
    return { kind: 'key-count' };
  },
  encodeReply: (epoch, body) => replyArray(epoch, integerReply(body.bytes), bulkReply(encodeCounts(body.counts))),
  decodeReply: (items, limits) => {
    replyLength(items, 3, 'key-counts');
    const bytes = integerItem(items[1], 'bytes', 0);
    const blob = bulkItem(items[2], 'counts');
    const reader = new ByteReader(blob, 'RC_ERR_PROTOCOL', 'key counts');
    const counts = new Map<number, number>();
    while (reader.offset < blob.length) {
      const vnode = reader.varint('vnode');
      if (vnode >= limits.vnodeCount || counts.has(vnode)) reader.fail(`vnode ${String(vnode)} is out of range or repeated`);
      counts.set(vnode, reader.varint('count'));
    }
    return { kind: 'key-counts', counts, bytes };
  },
};

/** The kinds src/keyspace owns (src/node/catalogue.ts lists them). */
export const KEYSPACE_MESSAGES: readonly AnyMessageCodec[] = Object.freeze([KEY_SCAN_CODEC, KEY_COUNT_CODEC]);
