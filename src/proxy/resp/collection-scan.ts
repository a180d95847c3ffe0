/**
 * The cursor of HSCAN, SSCAN and ZSCAN: a position in a fixed order of members, never an index,
 * so elements added or removed between calls move nothing else.
 *
 *   order   (orderHash(member), member bytes)        orderHash: low 32 bits of xxHash64
 *   cursor  0 = the start; c > 0 = the first member whose order hash is >= c - 1
 *   page    COUNT members from the cursor, then every further member sharing the last one's hash
 *           (so a page never splits a hash), and the cursor of the member after it (0: the end)
 *
 * Redis's guarantee follows: a member present for the whole scan has a fixed hash, the cursor
 * only moves forward past hashes already returned, so it is returned at least once; one added
 * or removed meanwhile may or may not be. Pages are disjoint ranges of hashes, so no member
 * comes back twice within one scan. Collections of at most
 * SCAN_WHOLE_ELEMENTS_MAX come back whole with cursor 0, as Redis does for its small
 * (listpack) encodings, so small replies stay as Redis gives them.
 */
import { orderHash } from '../../keyspace/index.js';
import type { Element } from '../../datatypes/index.js';
import { compareMembers } from '../../datatypes/index.js';

/** Redis's hash-max-listpack-entries / zset-max-listpack-entries / set-max-listpack-entries default. */
export const SCAN_WHOLE_ELEMENTS_MAX = 128;
/** Redis's default COUNT. */
export const SCAN_COUNT_DEFAULT = 10;
/** Cursors are order hashes plus one: 2^32 is the last. */
const CURSOR_MAX = 2 ** 32;

export interface ScanPage {
  readonly elements: readonly Element[];
  /** The cursor to send next, as Redis prints it ("0": done). */
  readonly cursor: string;
}

/** The page of `elements` (present ones, sorted by member) at `cursor`, COUNT at a time. */
export function scanPage(elements: readonly Element[], cursor: bigint, count: number): ScanPage {
  if (elements.length <= SCAN_WHOLE_ELEMENTS_MAX) return { elements: cursor === 0n ? elements : [], cursor: '0' };
  // A cursor this scan never hands out (past 2^32) starts past the end, as Redis's does past its table.
  if (cursor > BigInt(CURSOR_MAX)) return { elements: [], cursor: '0' };
  const from = cursor === 0n ? 0 : Number(cursor) - 1;
  const ordered = elements
    .map((element) => ({ element, hash: orderHash(element.member) }))
    .filter((entry) => entry.hash >= from)
    .sort((a, b) => (a.hash !== b.hash ? a.hash - b.hash : compareMembers(a.element.member, b.element.member)));
  let end = Math.min(count, ordered.length);
  while (end < ordered.length && (ordered[end] as { hash: number }).hash === (ordered[end - 1] as { hash: number }).hash) end++;
  const next = ordered[end];
  return { elements: ordered.slice(0, end).map((entry) => entry.element), cursor: next === undefined ? '0' : String(next.hash + 1) };
}
