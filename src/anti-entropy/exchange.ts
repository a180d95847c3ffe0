/**
 * The initiator's side of one exchange with one peer over a set of vnodes (messages.ts has the
 * protocol): compare roots, descend level by level into the children that differ only, list the
 * differing leaves' keys, then push the states the peer lacks and pull the ones this node lacks,
 * both merged with the one `merge` (engine.merge). The bytes spent are O(d log K) for d
 * differing keys among K, not O(K); each message covers every vnode of the exchange.
 *
 * Bounded: at most keysPerRoundMax keys and about bytesPerRoundMax bytes of listings and states
 * per exchange (the rest waits for the next visit), each message within messageBytesMax; the
 * first listing and repair message always go, so every round makes progress. The tree
 * comparison before them is bounded by the trees (at most 8 bytes a node). A vnode's exchange
 * is *complete* when it repaired every difference it found there without hitting a budget: then
 * this node holds everything the peer held in that vnode when it answered (what recovery waits for).
 */
import { RingcacheError, isRingcacheError } from '../runtime/index.js';
import type { ServerId } from '../ring/index.js';
import { vnodeOf } from '../ring/index.js';
import type { PeerKind, ReplyOf, RequestOf } from '../transport/index.js';
import { encodeVersioned, isDead, versionsEqual } from '../version/index.js';
import { differingChildren } from './merkle-tree.js';
import type { DigestWidth } from './messages.js';
import type { ExchangeParts } from './parts.js';
import { holdsAll } from './parts.js';
import {
  contextWeight, decodeDigests, decodeListing, decodeStates, decodeVerdicts, encodeRoots, encodeSections, encodeStates, encodeWanted, hashKey, listedHash,
  listedPosition, stateBytes,
} from './payload.js';
import type { KeyState, ListedKey, Section, WantedState } from './payload.js';
import { wordsPerNode } from './responder.js';
import type { RoundOutcome } from './stats.js';
import type { HashedEntry } from './vnode-trees.js';
import { replyWireBytes, requestWireBytes } from './wire-size.js';

export interface VnodeResult {
  readonly vnode: number;
  readonly outcome: RoundOutcome;
  /** Every difference found in this vnode was repaired and no budget was hit. */
  readonly complete: boolean;
  /** The peer said it has not synced this vnode since it started empty (undefined: no answer). */
  readonly peerPending: boolean | undefined;
}

/** One differing key: our state to push, the hash of theirs to pull, or both. */
interface Repair {
  readonly vnode: number;
  readonly push: HashedEntry | undefined;
  readonly want: WantedState | undefined;
  /** We pull first because the peer's copy looks ahead; if ours adds anything, the merge is pushed after. */
  readonly pushIfBehind: HashedEntry | undefined;
}

/** Stops an exchange at a budget; caught by run(), never escapes. */
class BudgetReached extends Error {}

export class Exchange {
  private bytes = 0;
  /** Bytes of listings and states, what bytesPerRoundMax bounds. */
  private repairBytes = 0;
  private syncsSent = 0;
  private keysLeft: number;
  /** Of digests and listed hashes, and their salt, for the whole exchange. */
  private width: DigestWidth = 3;
  private salt = 0;
  private readonly results = new Map<number, { outcome: RoundOutcome; incomplete: boolean; peerPending: boolean | undefined }>();

  constructor(
    private readonly parts: ExchangeParts,
    private readonly peer: ServerId,
    /** Ascending, each held by both (the caller checked against its table). */
    private readonly vnodes: readonly number[],
    /** Full 8-byte digests (recovering vnodes) instead of salted 3-byte ones. */
    private readonly fullDigests: boolean,
    private readonly stopped: () => boolean,
  ) {
    this.keysLeft = parts.limits.keysPerRoundMax;
    for (const vnode of vnodes) this.results.set(vnode, { outcome: 'repaired', incomplete: false, peerPending: undefined });
  }

  async run(): Promise<VnodeResult[]> {
    try {
      const width: DigestWidth = this.fullDigests ? 8 : 3;
      const salt = this.fullDigests ? 0 : this.parts.random.int(0x100000000);
      this.width = width;
      this.salt = salt;
      let differing = await this.compareRoots(width, salt);
      for (let level = 1; level < this.parts.trees.shape.depth && differing.length > 0; level++) differing = await this.descend(level, differing, width, salt);
      await this.repairLeaves(differing.flatMap(({ vnode, indexes }) => indexes.map((leaf) => ({ vnode, leaf }))));
      return this.finish(undefined);
    } catch (error) {
      if (error instanceof BudgetReached) return this.finish(undefined);
      if (isRingcacheError(error) && error.code === 'RC_ERR_PROTOCOL' && (error.details as { reply?: boolean } | undefined)?.reply === true) {
        this.parts.stats.dropped.malformed++;
      }
      return this.finish('failed');
    }
  }

  private finish(failure: 'failed' | undefined): VnodeResult[] {
    return [...this.results].map(([vnode, state]) => {
      const outcome: RoundOutcome = failure ?? (state.outcome === 'equal' ? 'equal' : state.incomplete ? 'partial' : 'repaired');
      return { vnode, outcome, complete: outcome === 'equal' || outcome === 'repaired', peerPending: state.peerPending };
    });
  }

  private incomplete(vnode: number): void {
    const state = this.results.get(vnode);
    if (state !== undefined) state.incomplete = true;
  }

  /** Every vnode's root; the differing ones come back with their children's digests. */
  private async compareRoots(width: DigestWidth, salt: number): Promise<Section[]> {
    const { serverId, trees, limits, stats } = this.parts;
    const differing: Section[] = [];
    for (let start = 0; start < this.vnodes.length; start += limits.rootsPerMessageMax) {
      const batch = this.vnodes.slice(start, start + limits.rootsPerMessageMax);
      const roots = batch.map((vnode) => ({ vnode, hi: trees.tree(vnode)?.hi(0, 0) ?? 0, lo: trees.tree(vnode)?.lo(0, 0) ?? 0 }));
      const reply = await this.send('ae-root', {
        kind: 'ae-root', from: serverId, fanOut: trees.shape.fanOut, depth: trees.shape.depth, width, salt, roots: encodeRoots(roots),
      });
      const verdicts = fromReply(() => decodeVerdicts(reply.verdicts, batch.length, wordsPerNode(width), width));
      verdicts.forEach((verdict, index) => {
        const vnode = batch[index] as number;
        const state = this.results.get(vnode);
        stats.vnodesCompared++;
        if (state === undefined) return;
        state.peerPending = verdict.pending;
        if (verdict.children === undefined) {
          state.outcome = 'equal';
          return;
        }
        const children = differingChildren(trees.tree(vnode), 0, [0], verdict.children, width, salt);
        if (children.length > 0) differing.push({ vnode, indexes: children });
      });
    }
    return differing;
  }

  /** The children of the differing nodes of `level` that differ too, every vnode at once. */
  private async descend(level: number, differing: readonly Section[], width: DigestWidth, salt: number): Promise<Section[]> {
    const { trees, limits, serverId } = this.parts;
    const next: Section[] = [];
    for (const batch of chunks(differing, limits.nodesPerMessageMax[width])) {
      const reply = await this.send('ae-nodes', { kind: 'ae-nodes', from: serverId, level, width, salt, nodes: encodeSections(batch) });
      const nodes = batch.reduce((total, section) => total + section.indexes.length, 0);
      const words = fromReply(() => decodeDigests(reply.digests, nodes * wordsPerNode(width), width));
      let at = 0;
      for (const { vnode, indexes } of batch) {
        const size = indexes.length * wordsPerNode(width);
        const children = differingChildren(trees.tree(vnode), level, indexes, words.subarray(at, at + size), width, salt);
        at += size;
        if (children.length > 0) next.push({ vnode, indexes: children });
      }
    }
    return next;
  }

  /**
   * Lists the differing leaves a batch at a time and repairs each batch before listing more, so
   * a round that hits its key budget has listed little more than it repaired (a leaf that
   * differs holds at least one differing key, so a batch is at most the keys still allowed).
   */
  private async repairLeaves(leaves: readonly { vnode: number; leaf: number }[]): Promise<void> {
    const { limits, serverId } = this.parts;
    let at = 0;
    while (at < leaves.length) {
      if (this.keysLeft <= 0) {
        for (const { vnode } of leaves.slice(at)) this.incomplete(vnode);
        return;
      }
      const batch = leaves.slice(at, at + Math.min(limits.leavesPerMessageMax, this.keysLeft));
      const { width, salt } = this;
      const reply = await this.send('ae-keys', { kind: 'ae-keys', from: serverId, width, salt, leaves: encodeSections(sectionsOf(batch)) });
      if (reply.listed > batch.length) throw replyProblem(`${reply.listed} leaves listed of ${batch.length} asked`);
      const listing = fromReply(() => decodeListing(reply.listing, reply.listed, limits.listingKeysMax, width));
      if (reply.listed === 0) {
        // One leaf holds more keys than a message can list: skipped, and its vnode is not complete.
        this.incomplete((batch[0] as { vnode: number }).vnode);
        at++;
        continue;
      }
      at += reply.listed;
      const repairs: Repair[] = [];
      const listedByVnode = new Map<number, Map<number, readonly ListedKey[]>>();
      listing.forEach((keys, index) => {
        const { vnode, leaf } = batch[index] as { vnode: number; leaf: number };
        let byLeaf = listedByVnode.get(vnode);
        if (byLeaf === undefined) listedByVnode.set(vnode, byLeaf = new Map<number, readonly ListedKey[]>());
        byLeaf.set(leaf, keys);
      });
      for (const [vnode, theirs] of listedByVnode) for (const repair of this.repairsOf(vnode, theirs)) repairs.push(repair);
      const kept = repairs.slice(0, this.keysLeft);
      for (const { vnode } of repairs.slice(this.keysLeft)) this.incomplete(vnode);
      this.keysLeft -= kept.length;
      await this.syncStates(kept);
    }
  }

  /**
   * One repair per differing key of the listed leaves. A key both sides hold (the same position)
   * is one repair: if the peer's copy is not lighter (payload.ts contextWeight), we send ours with
   * the wish for theirs, and the responder answers only if it holds something ours lacks; if
   * theirs is heavier we only pull, then push the merge if ours added to it. Either way the key
   * ends equal on both sides, so a round cut short by the budget still makes progress.
   */
  private repairsOf(vnode: number, theirs: ReadonlyMap<number, readonly ListedKey[]>): Repair[] {
    const { trees, clock, limits } = this.parts;
    const nowMs = clock.nowMs();
    const mineByLeaf = new Map<number, HashedEntry[]>();
    for (const entry of trees.entriesIn(vnode, new Set(theirs.keys()))) {
      const entries = mineByLeaf.get(entry.leaf);
      if (entries === undefined) mineByLeaf.set(entry.leaf, [entry]);
      else entries.push(entry);
    }
    const repairs: Repair[] = [];
    const { width, salt } = this;
    const listedKeyOf = (entry: HashedEntry): string => {
      const hash = listedHash(entry.hi, entry.lo, width, salt);
      return hashKey(hash.hi, hash.lo);
    };
    for (const [leaf, listed] of theirs) {
      const mine = mineByLeaf.get(leaf) ?? [];
      const myHashes = new Set(mine.map(listedKeyOf));
      const theirHashes = new Set(listed.map((key) => hashKey(key.hi, key.lo)));
      const wantedByPosition = new Map<number, ListedKey>();
      for (const key of listed) if (!myHashes.has(hashKey(key.hi, key.lo))) wantedByPosition.set(key.position, key);
      for (const entry of mine) {
        if (theirHashes.has(listedKeyOf(entry))) continue;
        const position = listedPosition(entry.position);
        const theirCopy = wantedByPosition.get(position);
        if (theirCopy !== undefined) wantedByPosition.delete(position);
        const dead = isDead(entry.versioned, nowMs, limits.tombstoneGraceMs);
        if (theirCopy === undefined) {
          if (!dead) repairs.push({ vnode, push: entry, want: undefined, pushIfBehind: undefined });
          continue;
        }
        const want = { vnode, leaf, hi: theirCopy.hi, lo: theirCopy.lo };
        if (dead || theirCopy.weight > contextWeight(entry.versioned)) {
          repairs.push({ vnode, push: undefined, want, pushIfBehind: dead ? undefined : entry });
        } else {
          repairs.push({ vnode, push: entry, want, pushIfBehind: undefined });
        }
      }
      for (const key of wantedByPosition.values()) repairs.push({ vnode, push: undefined, want: { vnode, leaf, hi: key.hi, lo: key.lo }, pushIfBehind: undefined });
    }
    return repairs;
  }

  private async syncStates(repairs: readonly Repair[]): Promise<void> {
    const { limits, serverId, engine, stats } = this.parts;
    const pushAfter = new Map<string, HashedEntry>();
    for (const repair of repairs) if (repair.pushIfBehind !== undefined) pushAfter.set(Buffer.from(repair.pushIfBehind.key).toString('latin1'), repair.pushIfBehind);
    const followUps: Repair[] = [];
    let at = 0;
    while (at < repairs.length) {
      const pushBatch: (KeyState & { encoded: Uint8Array })[] = [];
      const wantBatch: WantedState[] = [];
      let bytes = 0;
      while (at < repairs.length && pushBatch.length < limits.statesPerMessageMax && wantBatch.length < limits.wantedPerMessageMax) {
        const { push, want } = repairs[at] as Repair;
        if (push !== undefined) {
          const encoded = encodeVersioned(push.versioned);
          bytes += stateBytes(push.key.length, encoded.length);
          if (pushBatch.length > 0 && bytes > limits.messageBytesMax) break;
          pushBatch.push({ key: push.key, versioned: push.versioned, encoded });
        }
        if (want !== undefined) wantBatch.push(want);
        at++;
      }
      wantBatch.sort((a, b) => a.vnode - b.vnode || a.leaf - b.leaf);
      const { width, salt } = this;
      const reply = await this.send('ae-sync', { kind: 'ae-sync', from: serverId, width, salt, wanted: encodeWanted(wantBatch, width), states: encodeStates(pushBatch) });
      stats.keysSent += pushBatch.length;
      const asked = new Set(wantBatch.map((entry) => entry.vnode));
      const received = fromReply(() => decodeStates(reply.states,
        { keyBytesMax: limits.keyBytesMax, countMax: Math.max(1, wantBatch.length), version: limits.version },
        (key) => (asked.has(vnodeOf(key, limits.vnodeCount)) ? undefined : 'a state of a vnode this message did not ask for')));
      if (reply.truncated) for (const vnode of asked) this.incomplete(vnode);
      // Every state checked before the first is merged: a refused reply applies nothing.
      fromReply(() => { for (const { versioned } of received) this.parts.peerInput.state(versioned, 'RC.AE.SYNC reply state'); });
      for (const { key, versioned } of received) {
        const vnode = vnodeOf(key, limits.vnodeCount);
        const merged = engine.merge(key, vnode, versioned);
        if (merged.changed) stats.keysRepaired++;
        const ours = pushAfter.get(Buffer.from(key).toString('latin1'));
        // Ours added to theirs (they were concurrent): the merge goes back.
        if (ours !== undefined && !versionsEqual(merged.stored, versioned)) {
          followUps.push({ vnode, push: { ...ours, versioned: merged.stored }, want: undefined, pushIfBehind: undefined });
        }
      }
    }
    if (followUps.length > 0) await this.syncStates(followUps);
  }

  /** One request within the round's byte budget; its bytes and the reply's are counted. */
  private async send<K extends PeerKind>(kind: K, body: RequestOf<K>): Promise<ReplyOf<K>> {
    const { catalogue, transport, table, limits, stats, serverId } = this.parts;
    if (this.stopped()) throw new RingcacheError('RC_ERR_SHUTTING_DOWN', `anti-entropy with ${this.peer}: the node is stopping`);
    const current = table.current();
    if (current === undefined || !holdsAll(current, serverId, this.vnodes)) {
      stats.dropped.stale++;
      throw new RingcacheError('RC_ERR_STALE_TABLE', `anti-entropy with ${this.peer}: the table moved a vnode of the exchange away`);
    }
    const epoch = table.epoch();
    const requestBytes = requestWireBytes(catalogue, kind, epoch, body);
    const budgeted = kind === 'ae-keys' || kind === 'ae-sync';
    if (budgeted && this.syncsSent > 0 && this.repairBytes + requestBytes > limits.bytesPerRoundMax) {
      for (const vnode of this.vnodes) if (this.results.get(vnode)?.outcome !== 'equal') this.incomplete(vnode);
      throw new BudgetReached();
    }
    if (kind === 'ae-sync') this.syncsSent++;
    this.bytes += requestBytes;
    stats.bytesSent += requestBytes;
    const reply = await transport.send(this.peer, { epoch, body }, limits.requestTimeoutMs);
    if (reply.epoch > table.epoch()) table.observeEpoch(reply.epoch);
    if (reply.body.kind !== `${kind}-reply`) throw replyProblem(`a '${reply.body.kind}' reply to '${kind}'`);
    const replyBytes = replyWireBytes(catalogue, kind, reply.epoch, reply.body as ReplyOf<K>);
    this.bytes += replyBytes;
    if (budgeted) this.repairBytes += requestBytes + replyBytes;
    const counted = kind as keyof typeof stats.bytesByKind;
    stats.bytesByKind[counted] += requestBytes + replyBytes;
    stats.requestsByKind[counted]++;
    stats.bytesReceived += replyBytes;
    return reply.body;
  }
}

/** Consecutive (vnode, leaf) pairs as sections. */
function sectionsOf(pairs: readonly { vnode: number; leaf: number }[]): Section[] {
  const sections: { vnode: number; indexes: number[] }[] = [];
  for (const { vnode, leaf } of pairs) {
    const last = sections[sections.length - 1];
    if (last?.vnode === vnode) last.indexes.push(leaf);
    else sections.push({ vnode, indexes: [leaf] });
  }
  return sections;
}

/** Sections cut so that each chunk lists at most `nodesMax` indexes (a section may be split). */
function chunks(sections: readonly Section[], nodesMax: number): Section[][] {
  const result: Section[][] = [];
  let current: Section[] = [];
  let size = 0;
  for (const section of sections) {
    let rest = section.indexes;
    while (rest.length > 0) {
      const room = nodesMax - size;
      current.push({ vnode: section.vnode, indexes: rest.slice(0, room) });
      size += Math.min(room, rest.length);
      rest = rest.slice(room);
      if (size === nodesMax) {
        result.push(current);
        current = [];
        size = 0;
      }
    }
  }
  if (current.length > 0) result.push(current);
  return result;
}

/** Decodes a reply's payload; what does not decode is the peer's fault, counted as a malformed reply. */
function fromReply<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (isRingcacheError(error) && error.code === 'RC_ERR_PROTOCOL') throw replyProblem(error.message);
    throw error;
  }
}

function replyProblem(problem: string): RingcacheError {
  return new RingcacheError('RC_ERR_PROTOCOL', `anti-entropy reply: ${problem}`, { reply: true });
}
