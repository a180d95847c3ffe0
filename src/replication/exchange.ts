import type { Liveness, Placement, ServerId } from '../ring/index.js';
import type { HintReadRequest, HintRequest } from '../hinted-handoff/index.js';
import type { InternodeReply, InternodeRequest } from '../transport/messages.js';
import type { CoordinatorStats } from './types.js';
import type { ReplicationOptions } from './options.js';

/** What a coordinator sends: the data kinds, and hints and sloppy reads to fallbacks. */
export type CoordinatorRequest = InternodeRequest | HintRequest | HintReadRequest;

/**
 * A read or write round as the coordinator's sends report back to it: one object hears every
 * reply of its round, instead of a promise and two closures per request.
 */
export interface Exchange {
  onReply(server: ServerId, reply: InternodeReply): void;
  onFailure(server: ServerId, error: unknown): void;
}

/** What a round needs of its coordinator. */
export interface RoundHost {
  readonly options: ReplicationOptions;
  readonly stats: CoordinatorStats;
  /** Gossip view + local failures: which fallbacks a round may pick. */
  readonly liveness: Liveness;
  /** Sends one request; the outcome comes back to `exchange` (never inside this call). */
  send(server: ServerId, request: CoordinatorRequest, exchange: Exchange): void;
  /** The coordinator's clock (read repair compares sibling timestamps with it). */
  nowMs(): number;
  /**
   * A node refused a request by fencing, naming its `epoch`: calls `then` with the vnode's
   * placement once this coordinator's table is at that epoch (or after requestTimeoutMs, on
   * whatever table it has then). A round retries once this way.
   */
  refreshPlacement(epoch: number, vnode: number, then: (placement: Placement) => void): void;
}

/** For requests nobody waits on (read repair, writes to a pending move target). */
export const IGNORED: Exchange = Object.freeze({
  onReply: () => undefined,
  onFailure: () => undefined,
});
