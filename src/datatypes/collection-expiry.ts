/**
 * Expiry of a whole hash, set or sorted set (EXPIRE, PEXPIREAT, PERSIST ... on a collection), as
 * Redis expires a key: at the expiry instant every element goes, and a write after it starts a
 * new, empty key without expiry.
 *
 *   hash  "a" -> {(n1.t, 4) @ t=100}   "b" -> {(n2.t, 9) @ t=700}
 *         expiry { floorMs 0, settings [ (n1.t, 6) set at 200: expires at 500 ] }
 *   at t >= 500 the cut is 500: "a" (added at 100) is dead, "b" (added at 700, a new key) lives
 *
 * - A setting is one EXPIRE (or PERSIST: expiresAtMs null) at the coordinating replica, under the
 *   operation's dot. Settings join by the DVV rule, as siblings do: a new setting supersedes the
 *   ones its coordinator held (their dots are in the context), concurrent ones are both kept.
 * - The newest setting (by setAtMs, then dot) governs; an older concurrent one counts as having
 *   fired when its expiry came before the newest was set. The cut is the latest expiry that has
 *   fired by now: every add whose timestampMs is below it is dead. Adds carry the coordinator's
 *   wall-clock time, so every replica computes the same cut and the same live elements.
 * - `floorMs` keeps a fired cut once the settings that made it are superseded (a new EXPIRE on
 *   the new key): the join is max, so an add of the old key held by a replica that missed the
 *   expiry stays dead through repair and anti-entropy. The coordinator folds a fired cut into the
 *   floor before it applies the next operation (`settleExpiry` in collection-op.ts), and resets
 *   the element counters then: lanes carry no time, so increments before the cut cannot be told
 *   from later ones otherwise.
 */
import type { Dot, VersionVector } from '../version/types.js';
import { compareDots, covers } from '../version/vector.js';

export interface ExpirySetting {
  readonly dot: Dot;
  /** Wall-clock ms at the coordinating replica when the setting was made: which setting governs. */
  readonly setAtMs: number;
  /** Absolute expiry (ms since the Unix epoch), or null for PERSIST. */
  readonly expiresAtMs: number | null;
}

export interface CollectionExpiry {
  /** Adds whose timestampMs is below this are dead (0: none); joined by max. */
  readonly floorMs: number;
  /** Sorted by dot; empty only when floorMs > 0. */
  readonly settings: readonly ExpirySetting[];
}

/** Newer first by (setAtMs, dot): a total order over distinct settings. */
function isNewer(a: ExpirySetting, b: ExpirySetting): boolean {
  if (a.setAtMs !== b.setAtMs) return a.setAtMs > b.setAtMs;
  return compareDots(a.dot, b.dot) > 0;
}

export function newestSetting(settings: readonly ExpirySetting[]): ExpirySetting | undefined {
  let newest: ExpirySetting | undefined;
  for (const setting of settings) if (newest === undefined || isNewer(setting, newest)) newest = setting;
  return newest;
}

/** The latest expiry that has fired by `nowMs` (or the floor): adds below it are dead. */
export function expiryCutMs(expiry: CollectionExpiry | undefined, nowMs: number): number {
  if (expiry === undefined) return 0;
  let cut = expiry.floorMs;
  const newest = newestSetting(expiry.settings);
  if (newest === undefined) return cut;
  for (const setting of expiry.settings) {
    const when = setting.expiresAtMs;
    if (when === null || when > nowMs || when <= cut) continue;
    // An older concurrent setting fired only if it came due before the newest was made.
    if (setting === newest || when <= newest.setAtMs) cut = when;
  }
  return cut;
}

/** The expiry TTL shows: the newest setting's, while it lies ahead; null when none. */
export function pendingExpiryMs(expiry: CollectionExpiry | undefined, nowMs: number): number | null {
  const newest = expiry === undefined ? undefined : newestSetting(expiry.settings);
  if (newest?.expiresAtMs === null || newest === undefined) return null;
  return newest.expiresAtMs > nowMs ? newest.expiresAtMs : null;
}

/** The expiry with only `settings`, or undefined when nothing is left to keep. */
export function expiryOf(floorMs: number, settings: readonly ExpirySetting[]): CollectionExpiry | undefined {
  return floorMs === 0 && settings.length === 0 ? undefined : { floorMs, settings };
}

/** The DVV rule on settings, the floor by max. */
export function joinExpiry(
  a: CollectionExpiry | undefined, aContext: VersionVector, b: CollectionExpiry | undefined, bContext: VersionVector,
): CollectionExpiry | undefined {
  if (a === undefined && b === undefined) return undefined;
  const left = a?.settings ?? [];
  const right = b?.settings ?? [];
  const settings: ExpirySetting[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    const x = left[i];
    const y = right[j];
    const order = x === undefined ? 1 : y === undefined ? -1 : compareDots(x.dot, y.dot);
    if (order < 0 && x !== undefined) {
      if (!covers(bContext, x.dot)) settings.push(x);
      i++;
    } else if (order > 0 && y !== undefined) {
      if (!covers(aContext, y.dot)) settings.push(y);
      j++;
    } else if (x !== undefined) {
      settings.push(x);
      i++;
      j++;
    }
  }
  const joined = expiryOf(Math.max(a?.floorMs ?? 0, b?.floorMs ?? 0), settings);
  return a !== undefined && joined !== undefined && expiriesEqual(a, joined) ? a : joined;
}

/** What a write that observed `observed` (null: all held) leaves: the settings it saw are gone. */
export function removeObservedSettings(expiry: CollectionExpiry | undefined, observed: VersionVector | null): CollectionExpiry | undefined {
  if (expiry === undefined) return undefined;
  const settings = observed === null ? [] : expiry.settings.filter((setting) => !covers(observed, setting.dot));
  return expiryOf(expiry.floorMs, settings);
}

export function expiriesEqual(a: CollectionExpiry | undefined, b: CollectionExpiry | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.floorMs !== b.floorMs || a.settings.length !== b.settings.length) return false;
  for (let i = 0; i < a.settings.length; i++) {
    if (compareDots((a.settings[i] as ExpirySetting).dot, (b.settings[i] as ExpirySetting).dot) !== 0) return false;
  }
  return true;
}

function isTime(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** The first way an expiry breaks its canonical form under `context`, or undefined. */
export function expiryProblem(expiry: CollectionExpiry, context: VersionVector): string | undefined {
  if (!isTime(expiry.floorMs)) return 'expiry floorMs is not an integer >= 0';
  if (expiry.floorMs === 0 && expiry.settings.length === 0) return 'an expiry with no floor and no setting';
  for (let s = 0; s < expiry.settings.length; s++) {
    const setting = expiry.settings[s] as ExpirySetting;
    if (s > 0 && compareDots((expiry.settings[s - 1] as ExpirySetting).dot, setting.dot) >= 0) return 'expiry settings are not sorted and distinct';
    if (!covers(context, setting.dot)) return `expiry setting (${setting.dot.actor}, ${String(setting.dot.counter)}) is not covered by the context`;
    if (!isTime(setting.setAtMs) || (setting.expiresAtMs !== null && !isTime(setting.expiresAtMs))) return 'expiry setting has a bad time';
  }
  return undefined;
}
