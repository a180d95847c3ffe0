/**
 * The wire form of a counter of doubles (float-counter.ts), inside a collection element:
 *
 *   +---------+-------------------------------+------------------+--------------+----------------------+
 *   | version | lanes: vector body (count,    | sums x count:    | offset count | offsets x count:     |
 *   | u8 = 1  | (len, actor, dot counter)...) | f64 big-endian   | varint       | lane index, counter, |
 *   |         |                               |                  |              | sum f64              |
 *   +---------+-------------------------------+------------------+--------------+----------------------+
 *
 * As counter-codec.ts: the lanes' (actor, dot counter) pairs are a version vector body, an offset
 * names its lane by a strictly increasing index. Decoding refuses sums that are not finite or are
 * -0, and offsets above their lane, so a peer cannot make a node hold a state no join makes.
 */
import { assert } from '../runtime/index.js';
// The version modules themselves, not version/index.js: version/codec.ts embeds this codec.
import { ByteReader, varintBytes, writeVarint } from '../version/byte-reader.js';
import { readVectorBody, vectorBodyBytes, writeVectorBody } from '../version/context-token.js';
import type { VersionLimits } from '../version/options.js';
import type { FloatCounterState, FloatLane } from './float-counter.js';
import { floatCounterProblem } from './float-counter.js';
import { forEachOffset, readOffsets } from './lane-codec.js';

/** append only: values are on the wire. */
export const FLOAT_COUNTER_FORMAT_VERSION = 1;
const SUM_BYTES = 8;

export function floatCounterBytes(state: FloatCounterState): number {
  let bytes = 1 + vectorBodyBytes(state.lanes) + SUM_BYTES * state.lanes.length + varintBytes(state.offsets.length);
  forEachOffset(state.lanes, state.offsets, (offset, laneIndex) => {
    bytes += varintBytes(laneIndex) + varintBytes(offset.counter) + SUM_BYTES;
  });
  return bytes;
}

export function encodeFloatCounter(state: FloatCounterState): Buffer {
  assert(floatCounterProblem(state) === undefined, 'an encoded float counter keeps its invariants');
  const target = Buffer.allocUnsafe(floatCounterBytes(state));
  target[0] = FLOAT_COUNTER_FORMAT_VERSION;
  let at = writeVectorBody(target, 1, state.lanes);
  for (const lane of state.lanes) at = target.writeDoubleBE(lane.sum, at);
  at = writeVarint(target, at, state.offsets.length);
  forEachOffset(state.lanes, state.offsets, (offset, laneIndex) => {
    at = writeVarint(target, at, laneIndex);
    at = writeVarint(target, at, offset.counter);
    at = target.writeDoubleBE(offset.sum, at);
  });
  assert(at === target.length, 'size computed before writing matches what was written');
  return target;
}

function readSum(reader: ByteReader, field: string): number {
  const start = reader.skip(SUM_BYTES, field);
  const sum = Buffer.from(reader.bytes.buffer, reader.bytes.byteOffset + start, SUM_BYTES).readDoubleBE(0);
  if (!Number.isFinite(sum) || Object.is(sum, -0)) reader.fail(`${field} ${String(sum)} is not a finite sum (or is -0)`);
  return sum;
}

/** Decodes and validates a float counter from a peer; anything malformed throws RC_ERR_PROTOCOL. */
export function decodeFloatCounter(bytes: Uint8Array, limits: VersionLimits): FloatCounterState {
  const reader = new ByteReader(bytes, 'RC_ERR_PROTOCOL', 'float counter');
  const version = reader.byte('format version');
  if (version !== FLOAT_COUNTER_FORMAT_VERSION) reader.fail(`format version ${String(version)} is not ${String(FLOAT_COUNTER_FORMAT_VERSION)}`);
  const entries = readVectorBody(reader, limits);
  const lanes: FloatLane[] = entries.map((entry) => ({ actor: entry.actor, counter: entry.counter, sum: readSum(reader, 'sum') }));
  if (lanes.length === 0) reader.fail('a float counter with no lane');
  const offsets = readOffsets(reader, lanes, (lane, counter): FloatLane => ({ actor: lane.actor, counter, sum: readSum(reader, 'offset sum') }));
  reader.expectEnd();
  return { lanes, offsets };
}
