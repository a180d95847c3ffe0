/**
 * The anti-entropy exchange (Dynamo 2007 section 4.7, Riak's active anti-entropy) between an
 * initiator A and a responder B over a set of vnodes both hold (up to vnodesPerExchangeMax: one
 * exchange compares a forest of trees, so its messages carry one section per vnode and the
 * per-message cost is paid once for all of them):
 *
 *   A --RC.AE.ROOT  A's roots of the vnodes----------------------> B   B compares each root
 *     <-------------per vnode: pending there?, equal?, else the root's children's digests
 *   A --RC.AE.NODES level l, per vnode the nodes of l that differ-> B   levels 1 .. depth-1
 *     <-------------digests of their children----------------------     A keeps the children that differ
 *   A --RC.AE.KEYS  per vnode the leaves that differ----------------> B
 *     <-------------every key in them: position, state hash, weight-    A: which keys differ, who is ahead
 *   A --RC.AE.SYNC  A's states B lacks, hashes of B's A lacks-------> B   B merges A's states
 *     <-------------B's states for those hashes------------------------ A merges B's (skipped when B now equals A's)
 *
 * Every request names its sender; B answers only if both keep every vnode named, in B's table.
 * The lists are bulk payloads (payload.ts), decoded and checked by the receiver.
 */
import type { ServerId } from '../ring/index.js';

import type { DigestWidth } from './merkle-tree.js';

export type { DigestWidth } from './merkle-tree.js';

export interface TreeRootRequest {
  readonly kind: 'ae-root';
  readonly from: ServerId;
  readonly fanOut: number;
  readonly depth: number;
  /** Of the digests the verdicts carry for differing roots' children. */
  readonly width: DigestWidth;
  /** Mixed into 3-byte digests (merkle-tree.ts narrowDigest); 0 with width 8. */
  readonly salt: number;
  /** payload.ts roots. */
  readonly roots: Uint8Array;
}

export interface TreeRootReply {
  readonly kind: 'ae-root-reply';
  /** payload.ts verdicts, one per root asked. */
  readonly verdicts: Uint8Array;
}

export interface TreeNodesRequest {
  readonly kind: 'ae-nodes';
  readonly from: ServerId;
  /** The level of the listed nodes; their children (level + 1) are compared. */
  readonly level: number;
  readonly width: DigestWidth;
  readonly salt: number;
  /** payload.ts sections of node indexes at `level`. */
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
  /** Of the state hashes listed (payload.ts listedHash). */
  readonly width: DigestWidth;
  readonly salt: number;
  /** payload.ts sections of leaf indexes. */
  readonly leaves: Uint8Array;
}

export interface LeafKeysReply {
  readonly kind: 'ae-keys-reply';
  /** How many of the asked (vnode, leaf) pairs are listed, in order: the rest did not fit. */
  readonly listed: number;
  readonly listing: Uint8Array;
}

export interface StateSyncRequest {
  readonly kind: 'ae-sync';
  readonly from: ServerId;
  /** Of the wanted hashes, as the listing gave them. */
  readonly width: DigestWidth;
  readonly salt: number;
  /** State hashes the initiator lacks, payload.ts wanted sections. */
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
