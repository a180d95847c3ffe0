/**
 * EXPIRE and PERSIST on a hash, set or sorted set, as the coordinating replica applies them
 * (collection-expiry.ts has the state and its join). The proxy turns EXPIRE, PEXPIRE, EXPIREAT
 * and PEXPIREAT into one absolute time; an expiry already due is a DEL there, as in Redis.
 *
 *   pexpireat <unix ms> [NX|XX|GT|LT]    1 when set, 0 when the key is absent or the flag refuses
 *   persist                              1 when an expiry was removed, 0 otherwise
 *
 * The flags are checked here, on the state the coordinator holds, against the expiry it shows.
 */
import type { Dot } from '../version/types.js';
import type { CollectionExpiry } from './collection-expiry.js';
import { expiryCutMs, expiryOf, newestSetting, pendingExpiryMs } from './collection-expiry.js';
import type { Collection, Element } from './or-map.js';
import { elementOf, resetElementCounters } from './or-map.js';
import { parseInt64 } from './counter-op.js';

/** append only: the bits travel as tokens, not numbers, but the names are Redis's. */
export const EXPIRE_NX = 1;
export const EXPIRE_XX = 2;
export const EXPIRE_GT = 4;
export const EXPIRE_LT = 8;

export type ExpiryOperation =
  | { readonly name: 'pexpireat'; readonly expiresAtMs: number; readonly flags: number }
  | { readonly name: 'persist' };

const FLAG_TOKENS: readonly (readonly [string, number])[] = [['nx', EXPIRE_NX], ['xx', EXPIRE_XX], ['gt', EXPIRE_GT], ['lt', EXPIRE_LT]];

/** Redis's NX/XX/GT/LT set, or undefined when a token is unknown or the set is not allowed. */
export function parseExpireFlags(tokens: readonly Uint8Array[]): number | undefined {
  let flags = 0;
  for (const bytes of tokens) {
    const token = Buffer.from(bytes).toString('latin1').toLowerCase();
    const flag = FLAG_TOKENS.find(([name]) => name === token);
    if (flag === undefined) return undefined;
    flags |= flag[1];
  }
  if ((flags & EXPIRE_NX) !== 0 && (flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) !== 0) return undefined;
  if ((flags & EXPIRE_GT) !== 0 && (flags & EXPIRE_LT) !== 0) return undefined;
  return flags;
}

/** Redis's checks on the current expiry (null = none = infinite), expire.c's expireGenericCommand. */
export function expireConditionHolds(flags: number, current: number | null, when: number): boolean {
  if ((flags & EXPIRE_NX) !== 0 && current !== null) return false;
  if ((flags & EXPIRE_XX) !== 0 && current === null) return false;
  if ((flags & EXPIRE_GT) !== 0 && (current === null || when <= current)) return false;
  if ((flags & EXPIRE_LT) !== 0 && current !== null && when >= current) return false;
  return true;
}

export function parseExpiryOperation(name: 'pexpireat' | 'persist', args: readonly Uint8Array[]): ExpiryOperation | 'syntax' | 'arity' {
  if (name === 'persist') return args.length === 0 ? { name } : 'arity';
  if (args.length < 1) return 'arity';
  const when = parseInt64(args[0] as Uint8Array);
  if (when === undefined || when < 0n || when > BigInt(Number.MAX_SAFE_INTEGER)) return 'syntax';
  const flags = parseExpireFlags(args.slice(1));
  return flags === undefined ? 'syntax' : { name, expiresAtMs: Number(when), flags };
}

export interface SettledCollection {
  readonly elements: readonly Element[];
  readonly expiry: CollectionExpiry | undefined;
  /** No add may be older than this: the coordinator's clock may lag the one that set the floor. */
  readonly floorMs: number;
}

/**
 * The collection with every expiry that has fired by `nowMs` folded into the floor: adds below
 * it dropped, counters reset (lanes carry no time, so what they hold is from before the cut),
 * spent settings dropped (their dots stay in the context, so replicas drop them too).
 */
export function settleExpiry(collection: Collection | undefined, nowMs: number): SettledCollection {
  const elements = collection?.elements ?? [];
  const expiry = collection?.expiry;
  if (expiry === undefined) return { elements, expiry, floorMs: 0 };
  const cut = expiryCutMs(expiry, nowMs);
  const newest = newestSetting(expiry.settings);
  const pending = newest !== undefined && newest.expiresAtMs !== null && newest.expiresAtMs > nowMs ? [newest] : [];
  if (cut === expiry.floorMs && pending.length === expiry.settings.length) return { elements, expiry, floorMs: cut };
  let settled = elements;
  if (cut > expiry.floorMs) {
    const kept: Element[] = [];
    for (const element of elements) {
      const { counter, floats } = resetElementCounters(element, null);
      const next = elementOf(element.member, element.dots.filter((entry) => entry.timestampMs >= cut), counter, floats);
      if (next !== undefined) kept.push(next);
    }
    settled = kept;
  }
  return { elements: settled, expiry: expiryOf(cut, pending), floorMs: cut };
}

export interface ExpiryOutcome {
  readonly answer: 0n | 1n;
  readonly expiry: CollectionExpiry | undefined;
  readonly usedDot: boolean;
}

/** PEXPIREAT or PERSIST on a settled collection the key shows. */
export function applyExpiryOperation(operation: ExpiryOperation, settled: SettledCollection, dot: Dot, nowMs: number): ExpiryOutcome {
  const pending = pendingExpiryMs(settled.expiry, nowMs);
  const unchanged: ExpiryOutcome = { answer: 0n, expiry: settled.expiry, usedDot: false };
  if (operation.name === 'persist') {
    if (pending === null) return unchanged;
    return { answer: 1n, expiry: expiryOf(settled.floorMs, []), usedDot: false };
  }
  if (!expireConditionHolds(operation.flags, pending, operation.expiresAtMs)) return unchanged;
  // One setting supersedes every one this replica holds; their dots are in the context.
  const setting = { dot, setAtMs: Math.max(nowMs, settled.floorMs), expiresAtMs: operation.expiresAtMs };
  return { answer: 1n, expiry: { floorMs: settled.floorMs, settings: [setting] }, usedDot: true };
}
