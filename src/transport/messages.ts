import type { ServerId } from '../ring/table.js';
import type { Dot, VersionVector, Versioned } from '../version/types.js';

/**
 * The internode protocol between coordinators (proxy, client library) and storage nodes.
 * Every request and reply travels in an envelope carrying the sender's table epoch, so the side
 * that is behind learns it and fetches the newer table (DESIGN.md section 2).
 *
 *   coordinator                         node
 *      | -- {epoch 7, coord-put k v} -->  |  assigns a dot, stores, returns the siblings
 *      | <-- {epoch 7, put-result} ----- |
 *      | -- {epoch 7, merge k vs}  ---->  |  another replica joins them (the one `merge`)
 *      | <-- {epoch 8, ack} ------------- |  the node is ahead: the coordinator refreshes
 */
export type InternodeRequest =
  | CoordinatedPutRequest
  | MergeRequest
  | ReadRequest
  | PingRequest;

export interface CoordinatedPutRequest {
  readonly kind: 'coord-put';
  /** Unique per client write, so a resent request (reconnect, duplicate) is applied once. */
  readonly requestId: string;
  readonly key: Uint8Array;
  readonly vnode: number;
  /** null is a delete: the node writes a tombstone sibling. */
  readonly value: Uint8Array | null;
  /** The context the client last read, or null to supersede what this replica holds. */
  readonly context: VersionVector | null;
  readonly expiresAtMs: number | null;
}

export interface MergeRequest {
  readonly kind: 'merge';
  readonly key: Uint8Array;
  readonly vnode: number;
  readonly versioned: Versioned;
}

export interface ReadRequest {
  readonly kind: 'read';
  readonly key: Uint8Array;
  readonly vnode: number;
}

export interface PingRequest {
  readonly kind: 'ping';
}

export type InternodeReply = PutResultReply | VersionedReply | AckReply | PongReply;

/** Answer to coord-put: the dot the replica minted for this write and everything it now stores. */
export interface PutResultReply {
  readonly kind: 'put-result';
  readonly dot: Dot;
  readonly versioned: Versioned;
}

/** Answer to read: the stored versions, dead siblings included (null: the key is absent). */
export interface VersionedReply {
  readonly kind: 'versioned';
  readonly versioned: Versioned | null;
  /**
   * The node restarted empty and anti-entropy has not synced it yet (DESIGN.md section 5): what
   * it holds may be behind, so its "absent" must not count toward R.
   */
  readonly recovering?: true;
}

export interface AckReply {
  readonly kind: 'ack';
}

export interface PongReply {
  readonly kind: 'pong';
  readonly serverId: ServerId;
}

export interface Envelope<T> {
  /** The sender's table epoch. */
  readonly epoch: number;
  readonly body: T;
}
