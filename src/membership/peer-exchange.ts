import type { NodeTableView } from '../node/index.js';
import type { ServerId } from '../ring/index.js';
import { RingcacheError, isRingcacheError } from '../runtime/index.js';
import type { Clock, Timer } from '../runtime/index.js';
import { protocolError } from '../transport/index.js';
import type { ReplyOf, RequestOf, Transport } from '../transport/index.js';
import type { MemberView } from './member-view.js';
import type { MembershipStats } from './metrics.js';
import type { MembershipOptions } from './options.js';
import { decodeUpdates, encodeUpdates } from './update-codec.js';

export type MembershipKind = 'gossip' | 'probe' | 'ping-req';

const REPLY_KINDS: Readonly<Record<MembershipKind, string>> = { gossip: 'gossip-reply', probe: 'probe-ack', 'ping-req': 'ping-req-result' };

export interface PeerExchangeDeps {
  readonly serverId: ServerId;
  readonly clock: Clock;
  readonly transport: Transport;
  readonly table: NodeTableView;
  readonly view: MemberView;
  readonly options: MembershipOptions;
  readonly stats: MembershipStats;
}

/**
 * The sending and receiving half every membership message shares: the piggybacked updates out,
 * the received ones size-checked, decoded and applied (or dropped and counted), the epoch in.
 */
export class PeerExchange {
  constructor(private readonly deps: PeerExchangeDeps) {}

  /** The updates of a message to `to`, encoded. */
  outgoing(to: ServerId | undefined): Uint8Array {
    return encodeUpdates(this.deps.view.piggyback(to));
  }

  /**
   * A request's updates: applied, or dropped and counted. Dropped throws RC_ERR_PROTOCOL, so the
   * sender hears why (and nothing of a dropped message is applied).
   */
  incoming(bytes: Uint8Array): void {
    const { options, stats } = this.deps;
    if (bytes.length > options.messageBytesMax) {
      stats.dropped.oversized++;
      throw protocolError(`membership message of ${bytes.length} bytes is above membership.messageBytesMax (${options.messageBytesMax})`);
    }
    let updates;
    try {
      updates = decodeUpdates(bytes, options.updatesPerMessageMax);
    } catch (error) {
      if (isRingcacheError(error, 'RC_ERR_PROTOCOL')) stats.dropped.malformed++;
      throw error;
    }
    this.deps.view.apply(updates);
  }

  /** A reply's updates: as `incoming`, but a drop is only counted (the reply itself still arrived). */
  incomingReply(bytes: Uint8Array): void {
    try {
      this.incoming(bytes);
    } catch (error) {
      if (!(error instanceof RingcacheError)) throw error;
    }
  }

  /** Sends one request; rejects with the transport's error or RC_ERR_PROTOCOL for a reply of the wrong kind. */
  async send<K extends MembershipKind>(to: ServerId, body: RequestOf<K>, timeoutMs: number): Promise<ReplyOf<K>> {
    const table = this.deps.table;
    const reply = await this.deps.transport.send(to, { epoch: table.epoch(), body }, timeoutMs);
    if (reply.epoch > table.epoch()) table.observeEpoch(reply.epoch);
    if (reply.body.kind !== REPLY_KINDS[body.kind]) throw protocolError(`a '${body.kind}' request was answered '${reply.body.kind}'`);
    return reply.body as ReplyOf<K>;
  }
}

/**
 * A deadline that tells a late timer from a slow peer. When the timer fires more than `lateMsMax`
 * after it was due, this node's event loop stalled, and a reply may be sitting unread in a socket:
 * say so (`onLate`, local health awareness), then give I/O one more turn before expiring.
 */
export function deadline(clock: Clock, delayMs: number, lateMsMax: number, onLate: () => void, onExpire: () => void): Timer {
  const dueMs = clock.nowMs() + delayMs;
  let timer = clock.schedule(delayMs, () => {
    if (clock.nowMs() - dueMs <= lateMsMax) {
      onExpire();
      return;
    }
    onLate();
    timer = clock.schedule(0, onExpire);
  });
  return { cancel: () => { timer.cancel(); } };
}
