import { RingcacheError, asRingcacheError } from '../runtime/index.js';
import type { DeadlineQueue } from '../runtime/index.js';
import type { ReplyWriter, RespValue } from '../resp/index.js';
import type { ServerId } from '../ring/index.js';
import type { InternodeLimits } from './internode-codec.js';
import { decodePeerReply, encodePeerCommand, writePeerRequest } from './peer-codec.js';
import type { MessageCatalogue, PeerReply, PeerRequest } from './peer-message.js';
import type { LinkCall } from './peer-link.js';
import type { Envelope } from './messages.js';
import type { SendReceiver } from './transport.js';

/**
 * One request of TcpTransport in flight: at once the link's call (it writes the command and hears
 * the reply) and the entry of its deadline in the transport's DeadlineQueue. Whichever comes first,
 * reply, connection failure, deadline or close(), settles it; the others find it settled.
 *
 *   dispatch --> PendingSend --submit--> link --reply--> decode --> receiver.onSendReply
 *                    `------ deadline queue: RC_ERR_TIMEOUT --> receiver.onSendFailure
 *
 * One object per request where the promise-based send had about ten (promises, closures, a timer).
 */
export class PendingSend implements LinkCall {
  /** Its place in `deadlines`, to forget it once settled. */
  ticket = 0;
  private settled = false;

  constructor(
    readonly to: ServerId,
    private readonly envelope: Envelope<PeerRequest>,
    private readonly catalogue: MessageCatalogue,
    private readonly limits: InternodeLimits,
    private readonly deadlines: DeadlineQueue<PendingSend>,
    private readonly receiver: SendReceiver<unknown>,
    private readonly tag: unknown,
  ) {}

  writeTo(batch: ReplyWriter): void {
    writePeerRequest(batch, this.catalogue, this.envelope);
  }

  command(): (string | Buffer)[] {
    return encodePeerCommand(this.catalogue, this.envelope);
  }

  onLinkReply(value: RespValue): void {
    if (!this.settle()) return;
    let reply: Envelope<PeerReply>;
    try {
      reply = decodePeerReply(this.catalogue.ofKind(this.envelope.body.kind), value, this.limits);
    } catch (error) {
      this.fail(asRingcacheError(error, `decoding the reply of ${this.to}`));
      return;
    }
    try {
      this.receiver.onSendReply(this.tag, this.to, reply);
    } catch (error) {
      rethrowLater(error);
    }
  }

  onLinkError(error: RingcacheError): void {
    if (this.settle()) this.fail(error);
  }

  /** The deadline passed first (DeadlineQueue's onExpired: the queue already forgot it). */
  expire(): void {
    if (this.settled) return;
    this.settled = true;
    const timeoutMs = this.deadlines.delayMs;
    this.fail(new RingcacheError('RC_ERR_TIMEOUT', `no reply from ${this.to} within ${timeoutMs} ms; see replication.requestTimeoutMs`, { server: this.to }));
  }

  /** The transport closed first. */
  abort(error: RingcacheError): void {
    if (this.settle()) this.fail(error);
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.deadlines.cancel(this.ticket);
    return true;
  }

  private fail(error: RingcacheError): void {
    try {
      this.receiver.onSendFailure(this.tag, this.to, error);
    } catch (thrown) {
      rethrowLater(thrown);
    }
  }
}

/**
 * A receiver that throws has a bug: crash loudly, as the unhandled rejection did when sends were
 * promises, rather than let the link mistake it for a peer breaking the framing.
 */
function rethrowLater(error: unknown): void {
  queueMicrotask(() => { throw error; });
}
