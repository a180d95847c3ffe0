import type { Liveness, ServerId } from '../ring/index.js';

/**
 * How this node sees each peer (DESIGN.md section 5): gossip decides up / suspect / down, and
 * whether a peer is recovering (restarted empty, anti-entropy not done). Membership writes the
 * board; hint replay, anti-entropy and anything else that picks peers read it. Who is a member at
 * all stays the shard-master's table.
 *
 * A peer the board has not heard of is 'up': before gossip has spoken, a node tries everyone,
 * and a failed request costs one timeout.
 */
/** append only: values are on the wire (gossip) and in /v1/cluster. */
export type PeerStatus = 'up' | 'suspect' | 'down';

export interface PeerView {
  readonly status: PeerStatus;
  readonly recovering: boolean;
}

export type PeerStatusListener = (server: ServerId, now: PeerView, before: PeerView) => void;

const UNKNOWN: PeerView = Object.freeze({ status: 'up', recovering: false });

export class PeerStatusBoard implements Liveness {
  private readonly views = new Map<ServerId, PeerView>();
  private readonly listeners = new Set<PeerStatusListener>();

  view(server: ServerId): PeerView {
    return this.views.get(server) ?? UNKNOWN;
  }

  /** Suspect peers still take requests (SWIM: suspicion is not failure); down ones do not. */
  isUp(server: ServerId): boolean {
    return this.view(server).status !== 'down';
  }

  isRecovering(server: ServerId): boolean {
    return this.view(server).recovering;
  }

  /** Records what gossip concluded; listeners hear changes only. */
  set(server: ServerId, status: PeerStatus, recovering: boolean): void {
    const before = this.view(server);
    if (before.status === status && before.recovering === recovering) return;
    const now: PeerView = { status, recovering };
    this.views.set(server, now);
    for (const listener of this.listeners) listener(server, now, before);
  }

  /** Forgets a server that left the table. */
  forget(server: ServerId): void {
    this.views.delete(server);
  }

  /** Returns the function that unsubscribes. Listeners must not throw. */
  onChange(listener: PeerStatusListener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  entries(): IterableIterator<[ServerId, PeerView]> {
    return this.views.entries();
  }
}
