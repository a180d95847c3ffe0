/**
 * A node's hinted handoff (DESIGN.md section 5): it answers RC.HINT (keep a write for a replica
 * the coordinator found down) and RC.HINTREAD (a sloppy read), and runs the replayer that hands
 * hints back once the peer board shows their owner up.
 *
 *   RC.HINT owner vnode key state --> validate --> owner is me? merge into my engine
 *                                              `-> hint store (merged per key, bounded per owner)
 *   RC.HINTREAD vnode key --> merge(hints for key, what my engine holds)
 *
 * Validation before anything is kept: the state decodes within the limits, the owner is a server
 * of this node's table (a replica of the row when both sides are at the same epoch), the vnode is
 * the key's. A hint that fails is counted by reason and refused with RC_ERR_PROTOCOL; one that does
 * not fit is refused with RC_ERR_HINTS_FULL. Neither is acknowledged, so W never counts it.
 */
import { RingcacheError, isRingcacheError } from '../runtime/index.js';
import type { MetricSource, NodeContext, PeerHandlers, PeerService } from '../node/index.js';
import { internodeLimitsOf } from '../transport/internode-codec.js';
import type { InternodeLimits } from '../transport/internode-codec.js';
import type { AckReply, VersionedReply } from '../transport/messages.js';
import { protocolError } from '../transport/wire-fields.js';
import { decodeVersioned, merge, truncateSiblings } from '../version/index.js';
import type { Versioned } from '../version/index.js';
import type { HintReadRequest, HintRequest } from './hint-messages.js';
import { HintReplayer } from './hint-replayer.js';
import type { HintReplayerDeps } from './hint-replayer.js';
import { HintStore } from './hint-store.js';
import type { HintDropReason } from './hint-store.js';
import type { HintOptions } from './options.js';

export interface HintedHandoffOptions {
  /**
   * Builds the replayer; null runs none. The default is HintReplayer: tests swap in a variant
   * (a planted bug) to show the simulation's checks catch it.
   */
  readonly replayer?: ((deps: HintReplayerDeps) => HintReplayer) | null;
}

const ACK: AckReply = Object.freeze({ kind: 'ack' });

export class HintedHandoff implements PeerService {
  readonly name = 'hinted-handoff';
  readonly store: HintStore;
  readonly replayer: HintReplayer | undefined;
  readonly handlers: PeerHandlers;
  /** Hints accepted (stored, merged into another, or merged into this node's own engine). */
  accepted = 0;
  private readonly options: HintOptions;
  private readonly limits: InternodeLimits;

  constructor(private readonly context: NodeContext, options: HintedHandoffOptions = {}) {
    const { config } = context;
    this.options = config.hints;
    this.limits = internodeLimitsOf(config);
    this.store = new HintStore({ bytesMax: this.options.bytesMax, siblingsMax: config.limits.siblingsMax });
    const makeReplayer = options.replayer === undefined ? (deps: HintReplayerDeps) => new HintReplayer(deps) : options.replayer;
    this.replayer = makeReplayer === null ? undefined : makeReplayer({ context, store: this.store, options: this.options });
    this.handlers = {
      hint: (request, epoch) => this.receive(request, epoch),
      'hint-read': (request) => this.read(request),
    };
  }

  start(): void {
    this.replayer?.start();
  }

  stop(): void {
    this.replayer?.stop();
  }

  metrics(): readonly MetricSource[] {
    const store = this.store;
    const replayer = this.replayer;
    return [
      { name: 'hints_bytes', help: 'Bytes of hints held for other replicas (the store\'s accounting, bounded by hints.bytesMax per owner).', type: 'gauge', read: () => store.bytes },
      { name: 'hints_keys', help: 'Hints held for other replicas (one per owner and key).', type: 'gauge', read: () => store.keys },
      { name: 'hints_accepted_total', help: 'Hints acknowledged to a coordinator.', type: 'counter', read: () => this.accepted },
      { name: 'hints_dropped_total', help: 'Hints refused or dropped, by reason.', type: 'counter', label: 'reason', read: () => store.dropped() },
      { name: 'hints_replayed_total', help: 'Hints deleted after their owner acknowledged the replayed MERGE.', type: 'counter', read: () => replayer?.stats.replayed ?? 0 },
      { name: 'hint_replay_bytes_total', help: 'Bytes of replayed hints (the store\'s accounting; hints.replayBytesPerSec bounds the rate).', type: 'counter', read: () => replayer?.stats.replayedBytes ?? 0 },
      { name: 'hints_forwarded_total', help: 'Hints whose owner no longer held their vnode, handed to a current replica of the row instead.', type: 'counter', read: () => replayer?.stats.forwarded ?? 0 },
    ];
  }

  private receive(request: HintRequest, epoch: number): AckReply {
    const versioned = this.validated(request, epoch);
    const { context } = this;
    if (request.owner === context.serverId) {
      // The coordinator thought this node down: the hint is its own write, stored like a MERGE.
      context.engine.merge(request.key, request.vnode, versioned);
      this.accepted++;
      return ACK;
    }
    const outcome = this.store.add(request.owner, request.key, request.vnode, versioned, context.clock.nowMs());
    if (outcome === 'full' || outcome === 'oversized') {
      throw new RingcacheError('RC_ERR_HINTS_FULL',
        `${context.serverId} holds ${String(this.store.bytes)} bytes of hints and refuses this one for ${request.owner} (${outcome}); see hints.bytesMax`,
        { owner: request.owner, outcome });
    }
    this.accepted++;
    return ACK;
  }

  /** The hint's state, once the hint is known good; otherwise counts it and throws RC_ERR_PROTOCOL. */
  private validated(request: HintRequest, epoch: number): Versioned {
    const table = this.context.table.current();
    if (table === undefined) throw this.refuse('invalid', 'a node without a table cannot check a hint\'s owner');
    const { owner, key, vnode } = request;
    if (table.server(owner) === undefined) throw this.refuse('invalid', `hint owner ${owner} is not a server of table epoch ${String(table.epoch)}`);
    if (vnode >= table.vnodeCount || table.vnodeOf(key) !== vnode) throw this.refuse('invalid', `hint vnode ${String(vnode)} is not the key's`);
    if (epoch === table.epoch) {
      const row = table.row(vnode);
      if (!row.replicas.includes(owner) && row.pending?.to !== owner) {
        throw this.refuse('invalid', `hint owner ${owner} is not a replica of vnode ${String(vnode)} at epoch ${String(epoch)}`);
      }
    }
    try {
      const versioned = decodeVersioned(request.state, this.limits.version);
      // Replayed to its owner as a MERGE, where it is checked again; refused here, no fallback holds it.
      this.context.peerInput.state(versioned, 'RC.HINT');
      return versioned;
    } catch (error) {
      if (!isRingcacheError(error)) throw error;
      throw this.refuse('malformed', `hint state: ${error.message}`);
    }
  }

  private refuse(reason: HintDropReason, problem: string): RingcacheError {
    this.store.countDrop(reason);
    return protocolError(problem);
  }

  private read(request: HintReadRequest): VersionedReply {
    const { context } = this;
    const table = context.table.current();
    if (table !== undefined && (request.vnode >= table.vnodeCount || table.vnodeOf(request.key) !== request.vnode)) {
      throw protocolError(`hint read vnode ${String(request.vnode)} is not the key's`);
    }
    const hinted = this.store.get(request.key);
    const own = context.engine.get(request.key) ?? null;
    let versioned = hinted === null ? own : own === null ? hinted : merge(own, hinted);
    // The coordinator's decoder refuses more than limits.siblingsMax, as every node does.
    const siblingsMax = this.limits.version.siblingsMax;
    if (versioned !== null && versioned.siblings.length > siblingsMax) versioned = truncateSiblings(versioned, siblingsMax).versioned;
    return context.recovery.recovering ? { kind: 'versioned', versioned, recovering: true } : { kind: 'versioned', versioned };
  }
}
