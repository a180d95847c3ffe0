/**
 * The anti-entropy exchange (Dynamo 2007 section 4.7, Riak's active anti-entropy), initiator A
 * and responder B, both replicas of one vnode:
 *
 *   A --RC.AE.ROOT  vnode, shape, A's root-------------------> B   equal roots: done
 *     <-------------B's root, B pending for vnode?, B's keys--
 *   A --RC.AE.NODES level l, differing nodes of l------------> B   once per level, 0 .. depth-1
 *     <-------------digests of their children-----------------     A keeps the children that differ
 *   A --RC.AE.KEYS  differing leaves-------------------------> B
 *     <-------------the state hash of every key in them--------    A: which keys differ, and who has them
 *   A --RC.AE.SYNC  A's states B lacks, hashes A lacks-------> B   B merges A's states
 *     <-------------B's states for those hashes----------------    A merges B's (skipped when B now equals A's)
 *
 * Every request names its sender and the vnode; B answers only for a vnode both hold in B's
 * table. The lists are bulk payloads (payload.ts), decoded and checked by the receiver.
 */
import type { ServerId } from '../ring/index.js';

export interface TreeRootRequest {
  readonly kind: 'ae-root';
  readonly from: ServerId;
  readonly vnode: number;
  readonly fanOut: number;
  readonly depth: number;
  readonly rootHi: number;
  readonly rootLo: number;
}

export interface TreeRootReply {
  readonly kind: 'ae-root-reply';
  readonly rootHi: number;
  readonly rootLo: number;
  /** The responder has not synced this vnode since it started empty (node/recovery.ts). */
  readonly pending: boolean;
  /** Keys the responder holds in the vnode. */
  readonly keys: number;
}

/** append only: values are on the wire. Bytes per child digest: salted 4, or the full 8. */
export type DigestWidth = 4 | 8;

export interface TreeNodesRequest {
  readonly kind: 'ae-nodes';
  readonly from: ServerId;
  readonly vnode: number;
  /** The level of the listed nodes; their children (level + 1) are compared. */
  readonly level: number;
  readonly width: DigestWidth;
  /** Mixed into 4-byte digests (merkle-tree.ts saltedDigest); 0 with width 8. */
  readonly salt: number;
  /** Node indexes of `level`, payload.ts index list. */
  readonly nodes: Uint8Array;
}

export interface TreeNodesReply {
  readonly kind: 'ae-nodes-reply';
  /** fanOut digests per listed node, in order: payload.ts words. */
  readonly digests: Uint8Array;
}

export interface LeafKeysRequest {
  readonly kind: 'ae-keys';
  readonly from: ServerId;
  readonly vnode: number;
  /** Leaf indexes, payload.ts index list. */
  readonly leaves: Uint8Array;
}

export interface LeafKeysReply {
  readonly kind: 'ae-keys-reply';
  /** How many of the asked leaves are listed (a prefix): the rest did not fit in one message. */
  readonly listed: number;
  readonly listing: Uint8Array;
}

export interface StateSyncRequest {
  readonly kind: 'ae-sync';
  readonly from: ServerId;
  readonly vnode: number;
  /** State hashes the initiator lacks, payload.ts wanted list. */
  readonly wanted: Uint8Array;
  /** The initiator's states the responder lacks, payload.ts states. */
  readonly states: Uint8Array;
}

export interface StateSyncReply {
  readonly kind: 'ae-sync-reply';
  /** Some wanted states did not fit in one message. */
  readonly truncated: boolean;
  readonly states: Uint8Array;
}

declare module '../transport/peer-message.js' {
  interface PeerMessages {
    'ae-root': { request: TreeRootRequest; reply: TreeRootReply };
    'ae-nodes': { request: TreeNodesRequest; reply: TreeNodesReply };
    'ae-keys': { request: LeafKeysRequest; reply: LeafKeysReply };
    'ae-sync': { request: StateSyncRequest; reply: StateSyncReply };
  }
}
