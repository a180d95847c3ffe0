import type { Clock } from '../runtime/clock.js';
import { isRingcacheError } from '../runtime/errors.js';
import type { ServerId } from '../ring/index.js';
import type { Envelope, InternodeReply } from '../transport/messages.js';
import type { SendReceiver } from '../transport/transport.js';
import type { PeerKind } from '../transport/peer-message.js';
import type { Exchange } from './exchange.js';

/** How one internode request ended, as the coordinator saw it. */
export type SendOutcome = 'ok' | 'error' | 'timeout';

/**
 * Told about every request a coordinator sends to a storage node: the proxy's per-backend
 * metrics (proxy/backend-metrics.ts). Kept out of the coordinator so the library client and the
 * simulator pay nothing, and so no metrics library sits in the hot path: an observer bumps plain
 * arrays and exports them at scrape time.
 */
export interface SendObserver {
  /**
   * The series a request to `server` of `kind` is counted in; called once per request, so it
   * should be a lookup (a new pair may register a series).
   */
  seriesOf(server: ServerId, kind: PeerKind): number;
  /**
   * The request of `series` ended `elapsedMs` (Clock.monotonicMs) after it was handed to the
   * transport. 'error': the node refused it, answered a coded error, or the connection failed;
   * 'timeout': no answer within replication.requestTimeoutMs. Must not throw.
   */
  onSendDone(series: number, outcome: SendOutcome, elapsedMs: number): void;
}

/** One observed request in flight: the round it belongs to and when it left. */
export interface TimedSend {
  readonly exchange: Exchange;
  readonly series: number;
  readonly startMs: number;
}

/**
 * The receiver of observed sends: times each request, tells the observer, then hands the outcome
 * to the coordinator's own onSendReply / onSendFailure (the same seam, one object per request).
 *
 *   coordinator.send --dispatch(tag = TimedSend)--> transport --> ObservedSends.onSend*
 *                                                                  |-> observer.onSendDone
 *                                                                  `-> coordinator.onSend*(exchange)
 */
export class ObservedSends implements SendReceiver<TimedSend> {
  constructor(
    private readonly observer: SendObserver,
    private readonly clock: Clock,
    private readonly receiver: SendReceiver<Exchange>,
  ) {}

  begin(server: ServerId, kind: PeerKind, exchange: Exchange): TimedSend {
    return { exchange, series: this.observer.seriesOf(server, kind), startMs: this.clock.monotonicMs() };
  }

  onSendReply(tag: TimedSend, from: ServerId, reply: Envelope<InternodeReply>): void {
    this.observer.onSendDone(tag.series, 'ok', this.clock.monotonicMs() - tag.startMs);
    this.receiver.onSendReply(tag.exchange, from, reply);
  }

  onSendFailure(tag: TimedSend, from: ServerId, error: unknown): void {
    const outcome: SendOutcome = isRingcacheError(error, 'RC_ERR_TIMEOUT') ? 'timeout' : 'error';
    this.observer.onSendDone(tag.series, outcome, this.clock.monotonicMs() - tag.startMs);
    this.receiver.onSendFailure(tag.exchange, from, error);
  }
}
