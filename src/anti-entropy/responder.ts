/**
 * The responder's side of an exchange (messages.ts): answers a replica that compares its tree
 * with ours. Every request is checked before anything is read or applied: the sender and this
 * node both keep the vnode in this node's table (else it is stale), the tree shape matches,
 * every list and state decodes within the limits and every key belongs to the vnode (else it
 * is malformed or oversized). A refused request is counted and answered with a coded error;
 * the store is untouched.
 *
 * Handlers are synchronous: decoded payloads are views of the frame, read before returning.
 */
import { RingcacheError, isRingcacheError } from '../runtime/index.js';
import type { PeerHandlers } from '../node/peer-service.js';
import type { ReplyOf, RequestOf } from '../transport/index.js';
import type { ServerId } from '../ring/index.js';
import { vnodeOf } from '../ring/index.js';
import { encodeVersioned, isDead, versionsEqual } from '../version/index.js';
import type { Versioned } from '../version/index.js';
import { childDigests, levelWidth } from './merkle-tree.js';
import type {
  LeafKeysReply, LeafKeysRequest, StateSyncReply, StateSyncRequest, TreeNodesReply, TreeNodesRequest, TreeRootReply, TreeRootRequest,
} from './messages.js';
import type { ExchangeParts } from './parts.js';
import { holds, leavesOf, refuse } from './parts.js';
import {
  decodeIndexList, decodeStates, decodeWanted, encodeListing, encodeStates, encodeWords, listingBytes, stateBytes,
} from './payload.js';
import type { KeyState, ListedKey } from './payload.js';
import { hashKey } from './payload.js';
import { replyWireBytes, requestWireBytes } from './wire-size.js';

type Addressed = { readonly from: ServerId; readonly vnode: number };
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

  private checkAddressed(request: Addressed): void {
    const { serverId, table, stats } = this.parts;
    if (request.from === serverId) refuse(stats, 'malformed', malformed(`a request from ${serverId} to itself`));
    const current = table.current();
    if (current === undefined) {
      refuse(stats, 'stale', new RingcacheError('RC_ERR_STALE_TABLE', `anti-entropy: ${serverId} has no table yet`, { counted: true }));
    }
    if (!holds(current, serverId, request.vnode) || !holds(current, request.from, request.vnode)) {
      refuse(stats, 'stale', new RingcacheError('RC_ERR_STALE_TABLE',
        `anti-entropy: vnode ${request.vnode} is not kept by both ${request.from} and ${serverId} at epoch ${current.epoch}`,
        { epoch: current.epoch, vnode: request.vnode, counted: true }));
    }
  }

  private root(request: TreeRootRequest): TreeRootReply {
    this.checkAddressed(request);
    const { trees, stats, recovery, engine } = this.parts;
    const shape = trees.shape;
    if (request.fanOut !== shape.fanOut || request.depth !== shape.depth) {
      refuse(stats, 'malformed', malformed(`tree shape ${request.fanOut}^${request.depth} is not this node's ${shape.fanOut}^${shape.depth}: every node needs the same antiEntropy.leavesPerNode and cluster.vnodeCount`));
    }
    const tree = trees.tree(request.vnode);
    return {
      kind: 'ae-root-reply',
      rootHi: tree?.hi(0, 0) ?? 0,
      rootLo: tree?.lo(0, 0) ?? 0,
      pending: recovery.isPending(request.vnode),
      keys: engine.vnodeStats(request.vnode).keys,
    };
  }

  private nodes(request: TreeNodesRequest): TreeNodesReply {
    this.checkAddressed(request);
    const { trees, limits, stats } = this.parts;
    if (request.level >= trees.shape.depth) refuse(stats, 'malformed', malformed(`level ${request.level} has no children in a tree of depth ${trees.shape.depth}`));
    if (request.width === 8 && request.salt !== 0) refuse(stats, 'malformed', malformed('full-width digests take no salt'));
    this.checkPayload(request.nodes.length, 'node list');
    const indexes = decodeIndexList(request.nodes, levelWidth(request.level), limits.nodesPerMessageMax[request.width], 'node list');
    const words = childDigests(trees.tree(request.vnode), request.level, indexes, request.width, request.salt);
    return { kind: 'ae-nodes-reply', digests: encodeWords(words) };
  }

  private keys(request: LeafKeysRequest): LeafKeysReply {
    this.checkAddressed(request);
    const { trees, limits } = this.parts;
    this.checkPayload(request.leaves.length, 'leaf list');
    const leaves = decodeIndexList(request.leaves, leavesOf(this.parts), limits.leavesPerMessageMax, 'leaf list');
    const byLeaf = new Map<number, ListedKey[]>(leaves.map((leaf) => [leaf, []]));
    for (const entry of trees.entriesIn(request.vnode, new Set(leaves))) byLeaf.get(entry.leaf)?.push(entry);
    const listed: ListedKey[][] = [];
    let bytes = 0;
    let keys = 0;
    for (const leaf of leaves) {
      const entries = byLeaf.get(leaf) ?? [];
      bytes += listingBytes(entries.length);
      keys += entries.length;
      if (bytes > limits.messageBytesMax || keys > limits.listingKeysMax) break;
      listed.push(entries);
    }
    return { kind: 'ae-keys-reply', listed: listed.length, listing: encodeListing(listed) };
  }

  private sync(request: StateSyncRequest): StateSyncReply {
    this.checkAddressed(request);
    const { limits, engine, stats, clock } = this.parts;
    const vnode = request.vnode;
    this.checkPayload(request.wanted.length, 'wanted list');
    if (request.states.length > limits.messageBytesMax && request.states[0] !== 1) {
      refuse(stats, 'oversized', malformed(`a states payload of ${request.states.length} bytes holds more than one state and is over antiEntropy.messageBytesMax (${limits.messageBytesMax})`));
    }
    const wanted = decodeWanted(request.wanted, leavesOf(this.parts), limits.wantedPerMessageMax);
    const pushed = decodeStates(request.states, { keyBytesMax: limits.keyBytesMax, countMax: limits.statesPerMessageMax, version: limits.version }, (key) => keyProblem(key, vnode, limits.vnodeCount));
    // Everything decoded: from here on the request is applied.
    const wantedKeys = this.resolve(vnode, wanted);
    const pushedByKey = new Map<string, Versioned>();
    for (const { key, versioned } of pushed) {
      const result = engine.merge(key, vnode, versioned);
      if (result.changed) stats.keysRepaired++;
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
  private resolve(vnode: number, wanted: readonly { leaf: number; hi: number; lo: number }[]): Uint8Array[] {
    if (wanted.length === 0) return [];
    const hashes = new Set(wanted.map((entry) => hashKey(entry.hi, entry.lo)));
    const keys: Uint8Array[] = [];
    for (const entry of this.parts.trees.entriesIn(vnode, new Set(wanted.map((w) => w.leaf)))) {
      if (hashes.delete(hashKey(entry.hi, entry.lo))) keys.push(entry.key);
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

export function keyProblem(key: Uint8Array, vnode: number, vnodeCount: number): string | undefined {
  const actual = vnodeOf(key, vnodeCount);
  return actual === vnode ? undefined : `a key of vnode ${actual} in an exchange of vnode ${vnode}`;
}

function malformed(problem: string): RingcacheError {
  return new RingcacheError('RC_ERR_PROTOCOL', `anti-entropy: ${problem}`, { counted: true });
}
