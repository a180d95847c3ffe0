/**
 * The initiator's side of one exchange of one vnode with one peer (messages.ts has the
 * protocol): compare roots, descend level by level into the children that differ only, list
 * the differing leaves' keys, then push the states the peer lacks and pull the ones this node
 * lacks, both merged with the one `merge` (engine.merge). The bytes spent are O(d log K) for d
 * differing keys among K, not O(K).
 *
 * Bounded: at most keysPerRoundMax keys and about bytesPerRoundMax bytes of listings and states
 * per exchange (the rest waits for the next visit), each message within messageBytesMax; the
 * first listing and repair message always go, so every round makes progress. The tree
 * comparison before them is bounded by the tree itself (at most 8 bytes a node, a few KiB with
 * the default shape). An exchange is *complete* when
 * it repaired every difference it found without hitting a budget: then this node holds
 * everything the peer held when it answered (what recovery waits for).
 */
import { RingcacheError, isRingcacheError } from '../runtime/index.js';
import type { ServerId } from '../ring/index.js';
import type { PeerKind, ReplyOf, RequestOf } from '../transport/index.js';
import { encodeVersioned, isDead } from '../version/index.js';
import { FAN_OUT, differingChildren } from './merkle-tree.js';
import type { MerkleTree } from './merkle-tree.js';
import type { DigestWidth } from './messages.js';
import type { ExchangeParts } from './parts.js';
import { holds } from './parts.js';
import {
  decodeListing, decodeStates, decodeWords, encodeIndexList, encodeStates, encodeWanted, hashKey, stateBytes,
} from './payload.js';
import type { KeyState, ListedKey, WantedState } from './payload.js';
import { keyProblem } from './responder.js';
import type { RoundOutcome } from './stats.js';
import type { HashedEntry } from './vnode-trees.js';
import { replyWireBytes, requestWireBytes } from './wire-size.js';

export interface ExchangeResult {
  readonly outcome: RoundOutcome;
  /** Every difference found was repaired and no budget was hit. */
  readonly complete: boolean;
  /** The peer said it has not synced this vnode since it started empty (undefined: no answer). */
  readonly peerPending: boolean | undefined;
  readonly keysPushed: number;
  readonly keysPulled: number;
  readonly bytes: number;
}

/** One differing key: our state to push, the hash of theirs to pull, or both. */
interface Repair {
  readonly push: HashedEntry | undefined;
  readonly want: WantedState | undefined;
}

/** Stops an exchange at a budget; caught by run(), never escapes. */
class BudgetReached extends Error {}

export class Exchange {
  private bytes = 0;
  /** Bytes of listings and states, what bytesPerRoundMax bounds. */
  private repairBytes = 0;
  private syncsSent = 0;
  private keysPushed = 0;
  private keysPulled = 0;
  private incomplete = false;
  private peerPending: boolean | undefined;

  constructor(
    private readonly parts: ExchangeParts,
    private readonly vnode: number,
    private readonly peer: ServerId,
    /** Full 8-byte digests (a recovering vnode) instead of salted 4-byte ones. */
    private readonly fullDigests: boolean,
    private readonly stopped: () => boolean,
  ) {}

  async run(): Promise<ExchangeResult> {
    try {
      const rootsEqual = await this.compareRoots();
      if (rootsEqual) return this.result('equal');
      const leaves = await this.descend();
      await this.repairLeaves(leaves);
      return this.result(this.incomplete ? 'partial' : 'repaired');
    } catch (error) {
      if (error instanceof BudgetReached) {
        this.incomplete = true;
        return this.result('partial');
      }
      if (isRingcacheError(error) && error.code === 'RC_ERR_PROTOCOL' && (error.details as { reply?: boolean } | undefined)?.reply === true) {
        this.parts.stats.dropped.malformed++;
      }
      this.incomplete = true;
      return this.result('failed');
    }
  }

  private result(outcome: RoundOutcome): ExchangeResult {
    return { outcome, complete: !this.incomplete && outcome !== 'failed', peerPending: this.peerPending, keysPushed: this.keysPushed, keysPulled: this.keysPulled, bytes: this.bytes };
  }

  private tree(): MerkleTree | undefined {
    return this.parts.trees.tree(this.vnode);
  }

  private async compareRoots(): Promise<boolean> {
    const { serverId, trees, stats } = this.parts;
    const tree = this.tree();
    const rootHi = tree?.hi(0, 0) ?? 0;
    const rootLo = tree?.lo(0, 0) ?? 0;
    const reply = await this.send('ae-root', {
      kind: 'ae-root', from: serverId, vnode: this.vnode, fanOut: trees.shape.fanOut, depth: trees.shape.depth, rootHi, rootLo,
    });
    stats.vnodesCompared++;
    this.peerPending = reply.pending;
    return reply.rootHi === rootHi && reply.rootLo === rootLo;
  }

  /** The leaves whose hashes differ, level by level from the root's children. */
  private async descend(): Promise<number[]> {
    const { trees, limits, random, serverId } = this.parts;
    const width: DigestWidth = this.fullDigests ? 8 : 4;
    const salt = this.fullDigests ? 0 : random.int(0x100000000);
    const perMessage = limits.nodesPerMessageMax[width];
    let differing = [0];
    for (let level = 0; level < trees.shape.depth && differing.length > 0; level++) {
      const next: number[] = [];
      for (let start = 0; start < differing.length; start += perMessage) {
        const batch = differing.slice(start, start + perMessage);
        const reply = await this.send('ae-nodes', {
          kind: 'ae-nodes', from: serverId, vnode: this.vnode, level, width, salt, nodes: encodeIndexList(batch),
        });
        const words = fromReply(() => decodeWords(reply.digests, batch.length * FAN_OUT * (width / 4), 'digests'));
        for (const child of differingChildren(this.tree(), level, batch, words, width, salt)) next.push(child);
      }
      differing = next;
    }
    return differing;
  }

  /**
   * Lists the differing leaves a batch at a time and repairs each batch before listing more, so
   * a round that hits its key budget has listed little more than it repaired (a leaf that
   * differs holds at least one differing key, so a batch is at most the keys still allowed).
   */
  private async repairLeaves(leaves: readonly number[]): Promise<void> {
    const { limits, serverId } = this.parts;
    let at = 0;
    let keysLeft = limits.keysPerRoundMax;
    while (at < leaves.length) {
      if (keysLeft <= 0) {
        this.incomplete = true;
        return;
      }
      const batch = leaves.slice(at, at + Math.min(limits.leavesPerMessageMax, keysLeft));
      const reply = await this.send('ae-keys', { kind: 'ae-keys', from: serverId, vnode: this.vnode, leaves: encodeIndexList(batch) });
      if (reply.listed > batch.length) throw replyProblem(`${reply.listed} leaves listed of ${batch.length} asked`);
      const listing = fromReply(() => decodeListing(reply.listing, reply.listed, limits.listingKeysMax));
      if (reply.listed === 0) {
        // One leaf holds more keys than a message can list: skipped, and the exchange is not complete.
        this.incomplete = true;
        at++;
        continue;
      }
      at += reply.listed;
      const theirs = new Map<number, readonly ListedKey[]>();
      listing.forEach((keys, index) => { theirs.set(batch[index] as number, keys); });
      const repairs = this.repairsOf(theirs);
      if (repairs.length > keysLeft) this.incomplete = true;
      const kept = repairs.slice(0, keysLeft);
      keysLeft -= kept.length;
      await this.syncStates(kept);
    }
  }

  /**
   * Pushes what the peer lacks and pulls what this node lacks, one repair per differing key,
   * within the round's key budget. A key both sides hold (the same position in the listing) goes
   * as one repair: our state and the wish for theirs in the same message, so the responder
   * merges ours and answers with the result only when it differs from what we sent. Each repair
   * leaves its key equal on both sides, so a round cut short by the budget still makes progress.
   */
  private repairsOf(theirs: ReadonlyMap<number, readonly ListedKey[]>): Repair[] {
    const { trees, clock, limits } = this.parts;
    const nowMs = clock.nowMs();
    const mineByLeaf = new Map<number, HashedEntry[]>();
    for (const entry of trees.entriesIn(this.vnode, new Set(theirs.keys()))) {
      const entries = mineByLeaf.get(entry.leaf);
      if (entries === undefined) mineByLeaf.set(entry.leaf, [entry]);
      else entries.push(entry);
    }
    const repairs: Repair[] = [];
    for (const [leaf, listed] of theirs) {
      const mine = mineByLeaf.get(leaf) ?? [];
      const myHashes = new Set(mine.map((entry) => hashKey(entry.hi, entry.lo)));
      const theirHashes = new Set(listed.map((key) => hashKey(key.hi, key.lo)));
      const wantedByPosition = new Map<number, ListedKey>();
      for (const key of listed) if (!myHashes.has(hashKey(key.hi, key.lo))) wantedByPosition.set(key.position, key);
      for (const entry of mine) {
        if (theirHashes.has(hashKey(entry.hi, entry.lo))) continue;
        const theirCopy = wantedByPosition.get(entry.position);
        if (theirCopy !== undefined) wantedByPosition.delete(entry.position);
        const dead = isDead(entry.versioned, nowMs, limits.tombstoneGraceMs);
        if (dead && theirCopy === undefined) continue;
        repairs.push({ push: dead ? undefined : entry, want: theirCopy === undefined ? undefined : { leaf, hi: theirCopy.hi, lo: theirCopy.lo } });
      }
      for (const key of wantedByPosition.values()) repairs.push({ push: undefined, want: { leaf, hi: key.hi, lo: key.lo } });
    }
    return repairs;
  }

  private async syncStates(repairs: readonly Repair[]): Promise<void> {
    const { limits, serverId, engine, stats } = this.parts;
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
      wantBatch.sort((a, b) => a.leaf - b.leaf);
      const reply = await this.send('ae-sync', {
        kind: 'ae-sync', from: serverId, vnode: this.vnode, wanted: encodeWanted(wantBatch), states: encodeStates(pushBatch),
      });
      stats.keysSent += pushBatch.length;
      this.keysPushed += pushBatch.length;
      const received = fromReply(() => decodeStates(reply.states,
        { keyBytesMax: limits.keyBytesMax, countMax: Math.max(1, wantBatch.length), version: limits.version },
        (key) => keyProblem(key, this.vnode, limits.vnodeCount)));
      if (reply.truncated) this.incomplete = true;
      for (const { key, versioned } of received) {
        this.keysPulled++;
        if (engine.merge(key, this.vnode, versioned).changed) stats.keysRepaired++;
      }
    }
  }

  /** One request within the round's byte budget; its bytes and the reply's are counted. */
  private async send<K extends PeerKind>(kind: K, body: RequestOf<K>): Promise<ReplyOf<K>> {
    const { catalogue, transport, table, limits, stats, serverId } = this.parts;
    const current = table.current();
    if (this.stopped() || current === undefined || !holds(current, serverId, this.vnode)) {
      stats.dropped.stale++;
      throw new RingcacheError('RC_ERR_STALE_TABLE', `anti-entropy of vnode ${this.vnode}: stopped, or the table moved it away`);
    }
    const epoch = table.epoch();
    const requestBytes = requestWireBytes(catalogue, kind, epoch, body);
    const budgeted = kind === 'ae-keys' || kind === 'ae-sync';
    if (budgeted && this.syncsSent > 0 && this.repairBytes + requestBytes > limits.bytesPerRoundMax) throw new BudgetReached();
    if (kind === 'ae-sync') this.syncsSent++;
    this.bytes += requestBytes;
    stats.bytesSent += requestBytes;
    const reply = await transport.send(this.peer, { epoch, body }, limits.requestTimeoutMs);
    if (reply.epoch > table.epoch()) table.observeEpoch(reply.epoch);
    const expected = `${kind}-reply`;
    if (reply.body.kind !== expected) throw replyProblem(`a '${reply.body.kind}' reply to '${kind}'`);
    const replyBytes = replyWireBytes(catalogue, kind, reply.epoch, reply.body as ReplyOf<K>);
    this.bytes += replyBytes;
    if (budgeted) this.repairBytes += requestBytes + replyBytes;
    stats.bytesReceived += replyBytes;
    return reply.body;
  }
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

