/**
 * anti-entropy/: Merkle-tree anti-entropy (DESIGN.md section 5; Dynamo 2007 section 4.7). A tree
 * per vnode follows the store's change feed (merkle-tree.ts, vnode-trees.ts, key-hash.ts, pure);
 * replicas compare roots, descend into differing subtrees only and merge the differing keys both
 * ways (exchange.ts, responder.ts, over the kinds of messages.ts and codec.ts); the service
 * schedules visits and drives a node's recovery after it starts empty (anti-entropy-service.ts).
 */
import './messages.js';

export type {
  DigestWidth, LeafKeysReply, LeafKeysRequest, StateSyncReply, StateSyncRequest, TreeNodesReply, TreeNodesRequest, TreeRootReply, TreeRootRequest,
} from './messages.js';
export { ANTI_ENTROPY_MESSAGES } from './codec.js';
export { AntiEntropyService } from './anti-entropy-service.js';
export type { SyncProgress } from './anti-entropy-service.js';
export { ANTI_ENTROPY_DEFAULTS, INTERVAL_JITTER, antiEntropyCycleMs } from './options.js';
export type { AntiEntropyOptions } from './options.js';
export {
  FAN_OUT, MerkleTree, TREE_DEPTH_MAX, childDigests, differingChildren, digestWords, leafCount, levelWidth, narrowDigest, saltedDigest, treeShapeFor,
} from './merkle-tree.js';
export type { TreeShape } from './merkle-tree.js';
export { StateHasher } from './key-hash.js';
export { VnodeTrees } from './vnode-trees.js';
export type { HashedEntry } from './vnode-trees.js';
export { AntiEntropyStats } from './stats.js';
export type { DropReason, RoundOutcome } from './stats.js';
export {
  contextWeight, decodeDigests, decodeListing, decodeRoots, decodeSections, decodeStates, decodeVerdicts, decodeWanted, encodeDigests, encodeListing,
  encodeRoots, encodeSections, encodeStates, encodeVerdicts, encodeWanted, hashKey, listedHash, listedPosition,
} from './payload.js';
export type { KeyState, ListedKey, Section, StateHash, Verdict, VnodeRoot, WantedState } from './payload.js';
export { replyValueBytes, replyWireBytes, requestWireBytes } from './wire-size.js';
