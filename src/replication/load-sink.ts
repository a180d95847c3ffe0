import type { PeerRequest } from '../transport/peer-message.js';
import type { CoordinatorRequest } from './exchange.js';

/**
 * Told about a coordinator's traffic for the load reports (DESIGN.md section 6, src/load): the
 * replica load model is the sum of what the coordinator sends, so a write costs every replica it
 * reached (the coordinating PUT and each MERGE) and a read the replicas it asked (hedges, retries
 * and read repairs included). Kept to two calls so the hot path pays two method calls and no
 * allocation; absent (the simulator, tests) it costs nothing.
 */
export interface LoadSink {
  /** One client request for `key`, on `vnode`: the hot-key sketch counts it; writes are also coordinated by the row's leader. */
  onRequest(vnode: number, key: Uint8Array, kind: 'read' | 'write'): void;
  /** One internode request sent to a server; bodies naming a vnode count toward its load. */
  onSend(body: CoordinatorRequest | PeerRequest): void;
}
