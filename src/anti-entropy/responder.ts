/**
 * The responder's side of an exchange (messages.ts): answers a replica that compares its trees
 * with ours. Every request is checked before anything is read or applied: the sender and this
 * node both keep every vnode it names, in this node's table (else it is stale), the tree shape
 * matches, every list and state decodes within the limits and every key belongs to a vnode the
 * request names (else it is malformed or oversized). A refused request is counted and answered
 * with a coded error; the store is untouched.
 *
 * Handlers are synchronous: decoded payloads are views of the frame, read before returning.
 */
import { RingcacheError, isRingcacheError } from '../runtime/index.js';
import type { PeerHandlers } from '../node/peer-service.js';
import type { ServerId } from '../ring/index.js';
import { vnodeOf } from '../ring/index.js';
import type { ReplyOf, RequestOf } from '../transport/index.js';
import { encodeVersioned, isDead, versionsEqual } from '../version/index.js';
import type { Versioned } from '../version/index.js';
import { FAN_OUT, childDigests, digestWords, levelWidth } from './merkle-tree.js';
import type { DigestWidth, LeafKeysReply, LeafKeysRequest, StateSyncReply, StateSyncRequest, TreeNodesReply, TreeNodesRequest, TreeRootReply, TreeRootRequest } from './messages.js';
import type { ExchangeParts } from './parts.js';
import { holdsAll, leavesOf, refuse } from './parts.js';
import {
  contextWeight, decodeRoots, decodeSections, decodeStates, decodeWanted, encodeDigests, encodeListing, encodeStates, encodeVerdicts, hashKey, listedHash,
  listedPosition, listingBytes, stateBytes,
} from './payload.js';
import type { KeyState, ListedKey, Verdict, WantedState } from './payload.js';
import { replyWireBytes, requestWireBytes } from './wire-size.js';

type AntiEntropyKind = 'ae-root' | 'ae-nodes' | 'ae-keys' | 'ae-sync';

export class Responder {
  constructor(private readonly parts: ExchangeParts) {}

  handlers(): PeerHandlers {
    return {
      'ae-root': (request, epoch) => this.counted('ae-root', request, epoch, (body) => this.root(body)),
      'ae-nodes': (request, epoch) => this.counted('ae-nodes', request, epoch, (body) => this.nodes(body)),
      'ae-keys': (request, epoch) => this.counted('ae-keys', request, epoch, (body) => this.keys(body)),
      'ae-sync': (request, epoch) => this.counted('ae-sync', request, epoch, (body) => this.sync(body)),
    };
  }

  /** Counts the request's and the reply's bytes, and a payload that did not decode. */
  private counted<K extends AntiEntropyKind>(kind: K, request: RequestOf<K>, epoch: number, answer: (body: RequestOf<K>) => ReplyOf<K>): ReplyOf<K> {
    const { stats, catalogue, table } = this.parts;
    stats.bytesReceived += requestWireBytes(catalogue, kind, epoch, request);
    let reply: ReplyOf<K>;
    try {
      reply = answer(request);
    } catch (error) {
      // The decoders throw RC_ERR_PROTOCOL before anything is applied; refuse() has counted the rest.
      if (isRingcacheError(error) && error.code === 'RC_ERR_PROTOCOL' && (error.details as { counted?: boolean } | undefined)?.counted !== true) {
        stats.dropped.malformed++;
      }
      throw error;
    }
    stats.bytesSent += replyWireBytes(catalogue, kind, table.epoch(), reply);
    return reply;
  }

  /** The sender and this node keep every vnode named, at this node's epoch. */
  private checkHeld(from: ServerId, vnodes: Iterable<number>): void {
    const { serverId, table, stats } = this.parts;
    if (from === serverId) refuse(stats, 'malformed', malformed(`a request from ${serverId} to itself`));
    const current = table.current();
    if (current === undefined) {
      refuse(stats, 'stale', new RingcacheError('RC_ERR_STALE_TABLE', `anti-entropy: ${serverId} has no table yet`, { counted: true }));
    }
    const list = [...vnodes];
    if (!holdsAll(current, serverId, list) || !holdsAll(current, from, list)) {
      refuse(stats, 'stale', new RingcacheError('RC_ERR_STALE_TABLE',
        `anti-entropy: not every vnode asked is kept by both ${from} and ${serverId} at epoch ${current.epoch}`,
        { epoch: current.epoch, counted: true }));
    }
  }

  private checkDigests(width: DigestWidth, salt: number): void {
    if (width === 8 && salt !== 0) refuse(this.parts.stats, 'malformed', malformed('full-width digests take no salt'));
  }

  private root(request: TreeRootRequest): TreeRootReply {
    const { trees, stats, recovery, limits } = this.parts;
    const shape = trees.shape;
    if (request.fanOut !== shape.fanOut || request.depth !== shape.depth) {
      refuse(stats, 'malformed', malformed(`tree shape ${request.fanOut}^${request.depth} is not this node's ${shape.fanOut}^${shape.depth}: every node needs the same antiEntropy.leavesPerNode and cluster.vnodeCount`));
    }
    this.checkDigests(request.width, request.salt);
    this.checkPayload(request.roots.length, 'roots');
    const roots = decodeRoots(request.roots, limits.vnodeCount, limits.rootsPerMessageMax);
    this.checkHeld(request.from, roots.map((root) => root.vnode));
    const verdicts: Verdict[] = roots.map((root) => {
      const tree = trees.tree(root.vnode);
      const equal = (tree?.hi(0, 0) ?? 0) === root.hi && (tree?.lo(0, 0) ?? 0) === root.lo;
      return { pending: recovery.isPending(root.vnode), children: equal ? undefined : childDigests(tree, 0, [0], request.width, request.salt) };
    });
    return { kind: 'ae-root-reply', verdicts: encodeVerdicts(verdicts, request.width) };
  }

  private nodes(request: TreeNodesRequest): TreeNodesReply {
    const { trees, limits, stats } = this.parts;
    if (request.level >= trees.shape.depth) refuse(stats, 'malformed', malformed(`level ${request.level} has no children in a tree of depth ${trees.shape.depth}`));
    this.checkDigests(request.width, request.salt);
    this.checkPayload(request.nodes.length, 'node list');
    const sections = decodeSections(request.nodes, limits.vnodeCount, levelWidth(request.level), limits.nodesPerMessageMax[request.width], 'node list');
    this.checkHeld(request.from, sections.map((section) => section.vnode));
    const words: number[] = [];
    for (const { vnode, indexes } of sections) {
      for (const word of childDigests(trees.tree(vnode), request.level, indexes, request.width, request.salt)) words.push(word);
    }
    return { kind: 'ae-nodes-reply', digests: encodeDigests(words, request.width) };
  }

  private keys(request: LeafKeysRequest): LeafKeysReply {
    const { trees, limits } = this.parts;
    const { width, salt } = request;
    this.checkDigests(width, salt);
    this.checkPayload(request.leaves.length, 'leaf list');
    const sections = decodeSections(request.leaves, limits.vnodeCount, leavesOf(this.parts), limits.leavesPerMessageMax, 'leaf list');
    this.checkHeld(request.from, sections.map((section) => section.vnode));
    const listed: ListedKey[][] = [];
    let bytes = 0;
    let keys = 0;
    for (const { vnode, indexes } of sections) {
      const byLeaf = new Map<number, ListedKey[]>(indexes.map((leaf) => [leaf, []]));
      for (const entry of trees.entriesIn(vnode, new Set(indexes))) {
        byLeaf.get(entry.leaf)?.push({ position: listedPosition(entry.position), ...listedHash(entry.hi, entry.lo, width, salt), weight: contextWeight(entry.versioned) });
      }
      for (const leaf of indexes) {
        const entries = byLeaf.get(leaf) ?? [];
        bytes += listingBytes(entries, width);
        keys += entries.length;
        if (bytes > limits.messageBytesMax || keys > limits.listingKeysMax) return { kind: 'ae-keys-reply', listed: listed.length, listing: encodeListing(listed, width) };
        listed.push(entries);
      }
    }
    return { kind: 'ae-keys-reply', listed: listed.length, listing: encodeListing(listed, width) };
  }

  private sync(request: StateSyncRequest): StateSyncReply {
    const { limits, engine, stats, clock, table } = this.parts;
    this.checkDigests(request.width, request.salt);
    this.checkPayload(request.wanted.length, 'wanted list');
    if (request.states.length > limits.messageBytesMax && request.states[0] !== 1) {
      refuse(stats, 'oversized', malformed(`a states payload of ${request.states.length} bytes holds more than one state and is over antiEntropy.messageBytesMax (${limits.messageBytesMax})`));
    }
    const wanted = decodeWanted(request.wanted, limits.vnodeCount, leavesOf(this.parts), limits.wantedPerMessageMax, request.width);
    const current = table.current();
    const pushed = decodeStates(request.states, { keyBytesMax: limits.keyBytesMax, countMax: limits.statesPerMessageMax, version: limits.version },
      (key) => (current === undefined ? undefined : keyProblem(key, current.vnodeCount)));
    this.checkHeld(request.from, new Set([...wanted.map((entry) => entry.vnode), ...pushed.map(({ key }) => vnodeOf(key, limits.vnodeCount))]));
    for (const { versioned } of pushed) {
      try {
        this.parts.peerInput.state(versioned, 'RC.AE.SYNC state');
      } catch (error) {
        if (!isRingcacheError(error)) throw error;
        refuse(stats, 'malformed', error);
      }
    }
    // Everything decoded and checked: from here on the request is applied.
    const wantedKeys = this.resolve(wanted, request.width, request.salt);
    const pushedByKey = new Map<string, Versioned>();
    for (const { key, versioned } of pushed) {
      if (engine.merge(key, vnodeOf(key, limits.vnodeCount), versioned).changed) stats.keysRepaired++;
      pushedByKey.set(Buffer.from(key).toString('latin1'), versioned);
    }
    const nowMs = clock.nowMs();
    const states: (KeyState & { encoded: Uint8Array })[] = [];
    let bytes = 0;
    let truncated = false;
    for (const key of wantedKeys) {
      const stored = engine.get(key);
      if (stored === undefined || isDead(stored, nowMs, limits.tombstoneGraceMs)) continue;
      const sent = pushedByKey.get(Buffer.from(key).toString('latin1'));
      if (sent !== undefined && versionsEqual(stored, sent)) continue;
      const encoded = encodeVersioned(stored);
      bytes += stateBytes(key.length, encoded.length);
      if (states.length > 0 && bytes > limits.messageBytesMax) {
        truncated = true;
        break;
      }
      states.push({ key, versioned: stored, encoded });
    }
    stats.keysSent += states.length;
    return { kind: 'ae-sync-reply', truncated, states: encodeStates(states) };
  }

  /** The keys whose current state hashes are the wanted ones (at most one key per hash). */
  private resolve(wanted: readonly WantedState[], width: DigestWidth, salt: number): Uint8Array[] {
    const byVnode = new Map<number, WantedState[]>();
    for (const entry of wanted) {
      const list = byVnode.get(entry.vnode);
      if (list === undefined) byVnode.set(entry.vnode, [entry]);
      else list.push(entry);
    }
    const keys: Uint8Array[] = [];
    for (const [vnode, entries] of byVnode) {
      const hashes = new Set(entries.map((entry) => hashKey(entry.hi, entry.lo)));
      for (const entry of this.parts.trees.entriesIn(vnode, new Set(entries.map((w) => w.leaf)))) {
        const listed = listedHash(entry.hi, entry.lo, width, salt);
        if (hashes.delete(hashKey(listed.hi, listed.lo))) keys.push(entry.key);
      }
    }
    return keys;
  }

  private checkPayload(length: number, what: string): void {
    const { limits, stats } = this.parts;
    if (length > limits.messageBytesMax) {
      refuse(stats, 'oversized', malformed(`a ${what} of ${length} bytes is over antiEntropy.messageBytesMax (${limits.messageBytesMax})`));
    }
  }
}

/** Keys must hash to a vnode of the cluster (always true) and be non-empty: the vnode itself is checked as held. */
export function keyProblem(key: Uint8Array, vnodeCount: number, vnodes?: ReadonlySet<number>): string | undefined {
  if (vnodes === undefined) return undefined;
  const vnode = vnodeOf(key, vnodeCount);
  return vnodes.has(vnode) ? undefined : `a key of vnode ${vnode}, which this exchange does not cover`;
}

function malformed(problem: string): RingcacheError {
  return new RingcacheError('RC_ERR_PROTOCOL', `anti-entropy: ${problem}`, { counted: true });
}

/** Digest words per node: fanOut children, digestWords(width) each. */
export function wordsPerNode(width: DigestWidth): number {
  return FAN_OUT * digestWords(width);
}
