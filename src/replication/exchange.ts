import type { ServerId } from '../ring/index.js';
import type { InternodeReply, InternodeRequest } from '../transport/messages.js';
import type { CoordinatorStats } from './types.js';
import type { ReplicationOptions } from './options.js';

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
  /** Sends one request; the outcome comes back to `exchange` (never inside this call). */
  send(server: ServerId, request: InternodeRequest, exchange: Exchange): void;
}

/** For requests nobody waits on (read repair, writes to a pending move target). */
export const IGNORED: Exchange = Object.freeze({
  onReply: () => undefined,
  onFailure: () => undefined,
});
