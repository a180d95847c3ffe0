/**
 * The wire form of a counter state (pn-counter.ts), inside a typed value:
 *
 *   +---------+-------------------------------+---------------------+--------------+-------------------------+
 *   | version | lanes: vector body (count,    | sums x count:       | offset count | offsets x count:        |
 *   | u8 = 1  | (len, actor, dot counter)...) | added, removed u64v | varint       | lane index, counter,    |
 *   |         |                               |                     |              | added, removed          |
 *   +---------+-------------------------------+---------------------+--------------+-------------------------+
 *
 * The lanes' (actor, dot counter) pairs are a version vector, so they reuse its body and its
 * checks (sorted, distinct, bounded actors). An offset names its lane by index (every offset has a
 * lane), strictly increasing, so one state has one encoding. u64v is LEB128 of an unsigned 64-bit
 * integer, at most 10 bytes. Decoding checks every limit and the invariant offset <= lane.
 */
import { assert } from '../runtime/index.js';
// The version modules themselves, not version/index.js: version/codec.ts embeds this codec.
import { ByteReader, varintBytes, writeVarint } from '../version/byte-reader.js';
import { readVectorBody, vectorBodyBytes, writeVectorBody } from '../version/context-token.js';
import type { VersionLimits } from '../version/options.js';
import { VERSION_DEFAULTS } from '../version/options.js';
import type { CounterLane, CounterState } from './pn-counter.js';
import { LANE_SUM_MAX, counterProblem } from './pn-counter.js';
import { forEachOffset, readOffsets } from './lane-codec.js';

/** append only: values are on the wire. */
export const COUNTER_FORMAT_VERSION = 1;
const BIG_VARINT_BYTES_MAX = 10;

function bigVarintBytes(value: bigint): number {
  let bytes = 1;
  for (let rest = value >> 7n; rest > 0n; rest >>= 7n) bytes++;
  return bytes;
}

function writeBigVarint(target: Uint8Array, offset: number, value: bigint): number {
  let at = offset;
  let rest = value;
  while (rest >= 0x80n) {
    target[at++] = Number(rest & 0x7fn) | 0x80;
    rest >>= 7n;
  }
  target[at++] = Number(rest);
  return at;
}

function readBigVarint(reader: ByteReader, field: string): bigint {
  let value = 0n;
  for (let index = 0; index < BIG_VARINT_BYTES_MAX; index++) {
    const byte = reader.byte(field);
    value |= BigInt(byte & 0x7f) << BigInt(7 * index);
    if ((byte & 0x80) === 0) {
      if (value > LANE_SUM_MAX) reader.fail(`${field} ${String(value)} is above 2^64 - 1`);
      if (byte === 0 && index > 0) reader.fail(`${field} has a redundant final byte (not the shortest form)`);
      return value;
    }
  }
  return reader.fail(`${field} is longer than ${String(BIG_VARINT_BYTES_MAX)} bytes`);
}

export function counterBytes(state: CounterState): number {
  let bytes = 1 + vectorBodyBytes(state.lanes) + varintBytes(state.offsets.length);
  for (const lane of state.lanes) bytes += bigVarintBytes(lane.added) + bigVarintBytes(lane.removed);
  forEachOffset(state.lanes, state.offsets, (offset, laneIndex) => {
    bytes += varintBytes(laneIndex) + varintBytes(offset.counter) + bigVarintBytes(offset.added) + bigVarintBytes(offset.removed);
  });
  return bytes;
}

export function encodeCounter(state: CounterState): Buffer {
  assert(counterProblem(state) === undefined, 'an encoded counter keeps its invariants');
  const target = Buffer.allocUnsafe(counterBytes(state));
  target[0] = COUNTER_FORMAT_VERSION;
  let at = writeVectorBody(target, 1, state.lanes);
  for (const lane of state.lanes) {
    at = writeBigVarint(target, at, lane.added);
    at = writeBigVarint(target, at, lane.removed);
  }
  at = writeVarint(target, at, state.offsets.length);
  forEachOffset(state.lanes, state.offsets, (offset, laneIndex) => {
    at = writeVarint(target, at, laneIndex);
    at = writeVarint(target, at, offset.counter);
    at = writeBigVarint(target, at, offset.added);
    at = writeBigVarint(target, at, offset.removed);
  });
  assert(at === target.length, 'size computed before writing matches what was written');
  return target;
}

/** Decodes and validates a counter from a peer; anything malformed throws RC_ERR_PROTOCOL. */
export function decodeCounter(bytes: Uint8Array, limits: VersionLimits = VERSION_DEFAULTS): CounterState {
  const reader = new ByteReader(bytes, 'RC_ERR_PROTOCOL', 'counter');
  const version = reader.byte('format version');
  if (version !== COUNTER_FORMAT_VERSION) reader.fail(`format version ${String(version)} is not ${String(COUNTER_FORMAT_VERSION)}`);
  const entries = readVectorBody(reader, limits);
  const lanes: CounterLane[] = entries.map((entry) => ({
    actor: entry.actor, counter: entry.counter, added: readBigVarint(reader, 'added'), removed: readBigVarint(reader, 'removed'),
  }));
  const offsets = readOffsets(reader, lanes, (lane, counter, index): CounterLane => {
    const offset: CounterLane = { actor: lane.actor, counter, added: readBigVarint(reader, 'added'), removed: readBigVarint(reader, 'removed') };
    if (offset.added > lane.added || offset.removed > lane.removed) reader.fail(`offset ${String(index)} of ${lane.actor} is above its lane`);
    return offset;
  });
  reader.expectEnd();
  return { lanes, offsets };
}
