import type { Clock } from '../runtime/clock.js';
import { RingcacheError } from '../runtime/errors.js';
import type { ServerId } from '../ring/table.js';
import type { StorageEngine } from '../storage/engine.js';
import type { CoordinatedPutRequest, Envelope, InternodeReply, InternodeRequest, PutResultReply, ReadRequest } from '../transport/messages.js';
import type { EncodedRead, InternodeHandler } from '../transport/transport.js';
import { coordinatedPut, encodeVersioned } from '../version/index.js';
import type { Actor } from '../version/types.js';
import { NODE_SERVICE_DEFAULTS, type NodeServiceOptions } from './options.js';
import type { PeerInputCheck } from './validate.js';

export interface NodeServiceDeps {
  readonly serverId: ServerId;
  /** This incarnation's actor; a restart that lost memory must use a new one (see `newActor`). */
  readonly actor: Actor;
  readonly storage: StorageEngine;
  readonly clock: Clock;
  /** The table epoch this node knows. */
  readonly epoch: () => number;
  /** Called when a request carries a newer epoch than ours, so the node fetches the table. */
  readonly onNewerEpoch?: (epoch: number) => void;
  /** Whether this node is still catching up after starting empty (recovery.ts); read replies say so. */
  readonly recovering?: () => boolean;
  readonly options?: Partial<NodeServiceOptions>;
  /** Vnode and counter checks before anything is stored (validate.ts); NodeCore always gives one. */
  readonly peerInput?: PeerInputCheck;
}

export interface NodeServiceStats {
  coordinatedPuts: number;
  merges: number;
  mergesChanged: number;
  reads: number;
  duplicatesIgnored: number;
}

/**
 * A storage node's request handlers, independent of any transport: the TCP server and the
 * simulator's network both call `handle`. Handlers are synchronous over a synchronous engine, so
 * the read-modify-write of a coordinated put is atomic on this single-threaded node.
 */
export class NodeService implements InternodeHandler {
  private readonly options: NodeServiceOptions;
  /** The actor's counter: one sequence for all keys, so dots never repeat (see version/types.ts). */
  private counter = 0;
  /** requestId -> result, insertion-ordered so the oldest is forgotten first. */
  private readonly recentPuts = new Map<string, PutResultReply>();
  /**
   * recentPuts' keys in insertion order, a ring of dedupeEntriesMax: the oldest is found in O(1).
   * Why: `keys().next()` on a Map whose head was deleted from skips every deleted slot before the
   * first live one (up to dedupeEntriesMax of them): coordinatedPut was 15.7% of the in-process
   * SET bench's CPU, 7.8% with the ring.
   */
  private readonly recentOrder: (string | undefined)[] = [];
  private recentHead = 0;
  readonly stats: NodeServiceStats = { coordinatedPuts: 0, merges: 0, mergesChanged: 0, reads: 0, duplicatesIgnored: 0 };

  constructor(private readonly deps: NodeServiceDeps) {
    this.options = { ...NODE_SERVICE_DEFAULTS, ...deps.options };
    deps.peerInput?.registerIssuer(deps.actor, () => this.counter);
  }

  get actor(): Actor {
    return this.deps.actor;
  }

  handle(request: Envelope<InternodeRequest>): Envelope<InternodeReply> {
    const epoch = this.deps.epoch();
    if (request.epoch > epoch) this.deps.onNewerEpoch?.(request.epoch);
    const body = request.body;
    switch (body.kind) {
      case 'coord-put':
        return { epoch, body: this.coordinatedPut(body) };
      case 'merge': {
        this.checkKey(body.key);
        this.deps.peerInput?.keyInVnode(body.key, body.vnode, 'RC.MERGE');
        this.deps.peerInput?.state(body.versioned, 'RC.MERGE');
        const result = this.deps.storage.merge(body.key, body.vnode, body.versioned);
        this.stats.merges++;
        if (result.changed) this.stats.mergesChanged++;
        return { epoch, body: { kind: 'ack' } };
      }
      case 'read':
        this.checkKey(body.key);
        this.stats.reads++;
        return { epoch, body: this.deps.recovering?.() === true
          ? { kind: 'versioned', versioned: this.deps.storage.get(body.key) ?? null, recovering: true }
          : { kind: 'versioned', versioned: this.deps.storage.get(body.key) ?? null } };
      case 'ping':
        return { epoch, body: { kind: 'pong', serverId: this.deps.serverId } };
    }
  }

  /** `handle` of a read, answered with the engine's wire form of the state (see StorageEngine.getEncoded). */
  handleEncodedRead(request: Envelope<ReadRequest>): EncodedRead {
    const epoch = this.deps.epoch();
    if (request.epoch > epoch) this.deps.onNewerEpoch?.(request.epoch);
    const { key } = request.body;
    this.checkKey(key);
    this.stats.reads++;
    const storage = this.deps.storage;
    let encoded: Uint8Array | null;
    if (storage.getEncoded !== undefined) {
      encoded = storage.getEncoded(key) ?? null;
    } else {
      const versioned = storage.get(key);
      encoded = versioned === undefined ? null : encodeVersioned(versioned);
    }
    return { epoch, body: encoded, recovering: this.deps.recovering?.() === true };
  }

  private coordinatedPut(request: CoordinatedPutRequest): PutResultReply {
    const seen = this.recentPuts.get(request.requestId);
    if (seen !== undefined) {
      this.stats.duplicatesIgnored++;
      return seen;
    }
    this.checkKey(request.key);
    if (request.value !== null && request.value.length > this.options.valueBytesMax) {
      throw new RingcacheError('RC_ERR_VALUE_TOO_LARGE', `value of ${String(request.value.length)} bytes is over limits.valueBytesMax=${String(this.options.valueBytesMax)}`);
    }
    this.deps.peerInput?.keyInVnode(request.key, request.vnode, 'RC.PUT');
    if (request.context !== null) this.deps.peerInput?.clientContext(request.context, 'RC.PUT');
    const storage = this.deps.storage;
    const dot = { actor: this.deps.actor, counter: this.counter + 1 };
    const next = coordinatedPut(storage.get(request.key), {
      value: request.value,
      context: request.context,
      dot,
      // Versions carry integer ms (the wire codec and the resolver rely on it).
      timestampMs: Math.floor(this.deps.clock.nowMs()),
      expiresAtMs: request.expiresAtMs,
    });
    // Throws RC_ERR_STORAGE_FULL before the counter moves, so a refused write leaves no trace.
    const stored = storage.put(request.key, request.vnode, next);
    this.counter++;
    this.stats.coordinatedPuts++;
    const reply: PutResultReply = { kind: 'put-result', dot, versioned: stored };
    this.remember(request.requestId, reply);
    return reply;
  }

  private remember(requestId: string, reply: PutResultReply): void {
    this.recentPuts.set(requestId, reply);
    const max = this.options.dedupeEntriesMax;
    if (this.recentOrder.length < max) {
      this.recentOrder.push(requestId);
      return;
    }
    // Full ring: the slot of the oldest key takes the new one.
    const oldest = this.recentOrder[this.recentHead];
    if (oldest !== undefined) this.recentPuts.delete(oldest);
    this.recentOrder[this.recentHead] = requestId;
    this.recentHead = (this.recentHead + 1) % max;
  }

  private checkKey(key: Uint8Array): void {
    if (key.length === 0 || key.length > this.options.keyBytesMax) {
      throw new RingcacheError('RC_ERR_KEY_TOO_LARGE', `key of ${String(key.length)} bytes is outside 1..limits.keyBytesMax=${String(this.options.keyBytesMax)}`);
    }
  }
}
