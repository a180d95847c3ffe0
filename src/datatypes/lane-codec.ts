/**
 * What the wire forms of the two counters (counter-codec.ts, float-counter-codec.ts) share: the
 * offsets section, after the lanes.
 *
 *   offset count varint | per offset: lane index varint (strictly increasing), dot counter varint,
 *                                     then the counter's own sums
 *
 * Every offset has a lane of its actor, and both lists are sorted by actor, so one walk finds
 * every lane index; the decoder refuses an index out of order, a dot counter above its lane's,
 * and more offsets than lanes.
 */
// The version modules themselves, not version/index.js: version/codec.ts embeds these codecs.
import type { ByteReader } from '../version/byte-reader.js';
import type { Actor } from '../version/types.js';

interface Lane {
  readonly actor: Actor;
  readonly counter: number;
}

/** Calls `visit` with each offset and the index of its lane, in order. */
export function forEachOffset<L extends Lane>(lanes: readonly L[], offsets: readonly L[], visit: (offset: L, laneIndex: number) => void): void {
  let laneIndex = 0;
  for (const offset of offsets) {
    while ((lanes[laneIndex] as L).actor !== offset.actor) laneIndex++;
    visit(offset, laneIndex);
  }
}

/**
 * Reads the offsets section: `readSums` reads the rest of one offset of `lane` at dot counter
 * `counter` (and refuses sums above the lane's with `reader.fail`).
 */
export function readOffsets<L extends Lane>(reader: ByteReader, lanes: readonly L[], readSums: (lane: L, counter: number, index: number) => L): L[] {
  const count = reader.varint('offset count');
  if (count > lanes.length) reader.fail(`${String(count)} offsets for ${String(lanes.length)} lanes`);
  const offsets: L[] = [];
  let previous = -1;
  for (let index = 0; index < count; index++) {
    reader.locate('offset', index);
    const laneIndex = reader.varint('lane index');
    const lane = lanes[laneIndex];
    if (lane === undefined || laneIndex <= previous) return reader.fail(`offset ${String(index)} lane index ${String(laneIndex)} is not an increasing index below ${String(lanes.length)}`);
    const counter = reader.varint('counter');
    if (counter < 1 || counter > lane.counter) reader.fail(`offset ${String(index)} of ${lane.actor} is above its lane`);
    offsets.push(readSums(lane, counter, index));
    previous = laneIndex;
  }
  return offsets;
}
