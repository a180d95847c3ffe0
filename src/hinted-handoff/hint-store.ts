/**
 * A fallback's hints (DESIGN.md section 5): writes it holds for replicas that were down, kept in
 * memory, one entry per (owner, key), merged with the one `merge` when a second hint for the same
 * key arrives, so a hot key written throughout an outage is one hint, not thousands.
 *
 *   owners --> n3: { "user:42" -> hint{vnode, versioned, bytes, storedAtMs, revision}, ... }  bytes <= bytesMax
 *              n5: { ... }
 *   insertion order = storage order: the oldest hint of an owner is its first, so expiry pops
 *   from the front, and a merge keeps the entry where it is (its age counts from the first store).
 *
 * Memory only, like the memory engine: a fallback that crashes loses its hints. That is the
 * model, not a gap: a write is acknowledged by W nodes, and it is those W copies (and anti-entropy
 * between the replicas) that keep it; a hint only shortens the time a returning replica is behind.
 */
import type { ServerId } from '../ring/index.js';
import { merge, truncateSiblings, versionedBytes } from '../version/index.js';
import type { Versioned } from '../version/index.js';

/** append only: values are metric labels (hints_dropped_total{reason}). */
export type HintDropReason =
  /** The owner's hints were at hints.bytesMax: the hint was refused, not acknowledged. */
  | 'full'
  /** One hint larger than hints.bytesMax: it could never be held. */
  | 'oversized'
  /** Older than hints.ageMsMax. */
  | 'expired'
  /** Its state did not decode within the limits. */
  | 'malformed'
  /** The owner is not a server of the table, or the vnode is not the key's. */
  | 'invalid'
  /** The owner left the table before the hint was replayed. */
  | 'owner-left'
  /** The owner refused the replayed MERGE for good (a state it cannot hold). */
  | 'refused';

export const HINT_DROP_REASONS: readonly HintDropReason[] = Object.freeze(['full', 'oversized', 'expired', 'malformed', 'invalid', 'owner-left', 'refused']);

/** The entry, its Map slot and the key's latin1 string, beside versionedBytes and the key bytes. */
export const HINT_OVERHEAD_BYTES = 160;

export interface Hint {
  readonly owner: ServerId;
  readonly key: Uint8Array;
  readonly vnode: number;
  readonly versioned: Versioned;
  readonly bytes: number;
  readonly storedAtMs: number;
  /** Bumped by every merge into the entry: a replay deletes the hint only if it replayed this revision. */
  readonly revision: number;
}

export interface HintStoreOptions {
  /** Bytes of hints per owner (hints.bytesMax). */
  readonly bytesMax: number;
  /** Siblings kept when two hints merge, as the owner would keep them (limits.siblingsMax). */
  readonly siblingsMax: number;
}

export type AddOutcome = 'stored' | 'merged' | 'full' | 'oversized';

interface OwnerHints {
  readonly entries: Map<string, Hint>;
  bytes: number;
}

export class HintStore {
  private readonly owners = new Map<ServerId, OwnerHints>();
  private totalBytes = 0;
  private totalKeys = 0;
  private readonly drops = new Map<HintDropReason, number>(HINT_DROP_REASONS.map((reason) => [reason, 0]));

  constructor(private readonly options: HintStoreOptions) {}

  get bytes(): number {
    return this.totalBytes;
  }

  get keys(): number {
    return this.totalKeys;
  }

  /** Hints dropped or refused so far, by reason. */
  dropped(): ReadonlyMap<HintDropReason, number> {
    return this.drops;
  }

  countDrop(reason: HintDropReason, count = 1): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + count);
  }

  /** Keeps `versioned` for `owner`, merged into what it holds for the key; refuses past bytesMax. */
  add(owner: ServerId, key: Uint8Array, vnode: number, versioned: Versioned, nowMs: number): AddOutcome {
    const name = keyName(key);
    const hints = this.owners.get(owner);
    const existing = hints?.entries.get(name);
    const next = existing === undefined ? versioned : this.truncated(merge(existing.versioned, versioned));
    const bytes = HINT_OVERHEAD_BYTES + 2 * key.length + versionedBytes(next);
    if (bytes > this.options.bytesMax) {
      this.countDrop('oversized');
      return 'oversized';
    }
    const growth = bytes - (existing?.bytes ?? 0);
    if ((hints?.bytes ?? 0) + growth > this.options.bytesMax) {
      this.countDrop('full');
      return 'full';
    }
    const owned = hints ?? this.ownerHints(owner);
    owned.entries.set(name, {
      owner, key: existing?.key ?? key, vnode, versioned: next, bytes,
      storedAtMs: existing?.storedAtMs ?? nowMs,
      revision: (existing?.revision ?? 0) + 1,
    });
    owned.bytes += growth;
    this.totalBytes += growth;
    if (existing !== undefined) return 'merged';
    this.totalKeys++;
    return 'stored';
  }

  /** The merge of every owner's hint for the key (a sloppy read); null when none holds it. */
  get(key: Uint8Array): Versioned | null {
    if (this.owners.size === 0) return null;
    const name = keyName(key);
    let merged: Versioned | null = null;
    for (const hints of this.owners.values()) {
      const hint = hints.entries.get(name);
      if (hint !== undefined) merged = merged === null ? hint.versioned : merge(merged, hint.versioned);
    }
    return merged === null ? null : this.truncated(merged);
  }

  /** The hint held for `owner` and `key`, if any. */
  find(owner: ServerId, key: Uint8Array): Hint | undefined {
    return this.owners.get(owner)?.entries.get(keyName(key));
  }

  /** Owners with hints, in the order they first got one. */
  ownersWithHints(): ServerId[] {
    return [...this.owners.keys()];
  }

  /** Hints of `owner` (oldest first); the iterator sees deletions and later additions. */
  hintsOf(owner: ServerId): IterableIterator<Hint> {
    return (this.owners.get(owner)?.entries ?? EMPTY).values();
  }

  countOf(owner: ServerId): number {
    return this.owners.get(owner)?.entries.size ?? 0;
  }

  /**
   * Deletes a hint its owner acknowledged, unless a newer hint merged into it since it was sent
   * (then the merged hint stays for the next replay). Returns whether it was deleted.
   */
  acknowledge(hint: Hint): boolean {
    const hints = this.owners.get(hint.owner);
    const name = keyName(hint.key);
    const current = hints?.entries.get(name);
    if (hints === undefined || current === undefined || current.revision !== hint.revision) return false;
    this.remove(hints, hint.owner, name, current);
    return true;
  }

  /** Drops one hint (the owner refused it for good). */
  drop(hint: Hint, reason: HintDropReason): void {
    const hints = this.owners.get(hint.owner);
    const name = keyName(hint.key);
    const current = hints?.entries.get(name);
    if (hints === undefined || current === undefined) return;
    this.remove(hints, hint.owner, name, current);
    this.countDrop(reason);
  }

  /** Drops hints first stored at or before `nowMs - ageMsMax`; returns how many. */
  expire(nowMs: number, ageMsMax: number): number {
    let expired = 0;
    for (const [owner, hints] of [...this.owners]) {
      for (const [name, hint] of hints.entries) {
        if (hint.storedAtMs > nowMs - ageMsMax) break;
        this.remove(hints, owner, name, hint);
        expired++;
      }
    }
    if (expired > 0) this.countDrop('expired', expired);
    return expired;
  }

  /** Drops every hint of an owner that left the table; returns how many. */
  dropOwner(owner: ServerId, reason: HintDropReason): number {
    const hints = this.owners.get(owner);
    if (hints === undefined) return 0;
    const count = hints.entries.size;
    this.owners.delete(owner);
    this.totalBytes -= hints.bytes;
    this.totalKeys -= count;
    this.countDrop(reason, count);
    return count;
  }

  private remove(hints: OwnerHints, owner: ServerId, name: string, hint: Hint): void {
    hints.entries.delete(name);
    hints.bytes -= hint.bytes;
    this.totalBytes -= hint.bytes;
    this.totalKeys--;
    if (hints.entries.size === 0) this.owners.delete(owner);
  }

  private ownerHints(owner: ServerId): OwnerHints {
    const hints: OwnerHints = { entries: new Map(), bytes: 0 };
    this.owners.set(owner, hints);
    return hints;
  }

  private truncated(versioned: Versioned): Versioned {
    return versioned.siblings.length <= this.options.siblingsMax ? versioned : truncateSiblings(versioned, this.options.siblingsMax).versioned;
  }
}

const EMPTY: ReadonlyMap<string, Hint> = new Map();

/** Keys are bytes; latin1 maps each byte to one char, so distinct keys stay distinct. */
function keyName(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}
