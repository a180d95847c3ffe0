/**
 * The node side of typed writes: applies INCRBY and the hash and set operations (RC.TYPEDOP) at
 * this coordinating replica and stores the result (the proxy replicates it with MERGE). A node
 * service, so the process and the simulator both run it (src/node/services.ts). Both kinds live
 * here because they draw their dots from one sequence.
 *
 * Dots come from a second actor of this incarnation, `<actor>.t`, with its own counter: the data
 * path's counter is NodeService's own, and two sequences under one actor could mint one dot twice.
 * A resent request id (the coordinator's retry to the same node) is answered from memory, so an
 * increment is applied once per operation (node.dedupeEntriesMax bounds the memory).
 */
import type { NodeContext, PeerService } from '../node/peer-service.js';
import { RingcacheError } from '../runtime/index.js';
import { coordinatedIncrement } from './counter-op.js';
import type { CounterAddReply, CounterAddRequest } from './counter-messages.js';
import { coordinatedOperation, parseOperation } from './collection-op.js';
import type { CollectionOpReply, CollectionOpRequest } from './collection-messages.js';
import { internodeLimitsOf, protocolError } from '../transport/index.js';
import type { VersionLimits } from '../version/index.js';

/** What the service needs of its node: a narrow slice of NodeContext, so a test cluster can give it. */
export type CounterServiceDeps = Pick<NodeContext, 'actor' | 'engine' | 'clock' | 'config' | 'random'> & Partial<Pick<NodeContext, 'peerInput'>>;

export class CounterService implements PeerService {
  readonly name = 'counters';
  readonly handlers = {
    'counter-add': (request: CounterAddRequest): CounterAddReply => this.add(request),
    'collection-op': (request: CollectionOpRequest): CollectionOpReply => this.operate(request),
  };
  private readonly actor: string;
  private counter = 0;
  /** What the typed actor has added and removed over all keys: the bound on its lanes' sums (validate.ts). */
  private addedIssued = 0n;
  private removedIssued = 0n;
  private readonly recent = new Map<string, CounterAddReply | CollectionOpReply>();
  private readonly limits: VersionLimits;
  private applied = 0;
  private operations = 0;
  private duplicates = 0;

  constructor(private readonly context: CounterServiceDeps) {
    this.actor = `${context.actor}.t`;
    this.limits = internodeLimitsOf(context.config).version;
    // No state may claim more of the typed actor than this service minted.
    context.peerInput?.registerIssuer(this.actor, () => this.counter, () => ({ added: this.addedIssued, removed: this.removedIssued }));
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  metrics(): readonly { name: string; help: string; type: 'counter'; read(): number }[] {
    return [
      { name: 'incr_operations_total', help: 'INCRBY operations this node applied as coordinating replica.', type: 'counter', read: () => this.applied },
      { name: 'incr_duplicates_total', help: 'Resent INCRBY and hash or set operations answered from memory, not applied again.', type: 'counter', read: () => this.duplicates },
      { name: 'collection_operations_total', help: 'Hash and set operations this node applied as coordinating replica.', type: 'counter', read: () => this.operations },
    ];
  }

  private add(request: CounterAddRequest): CounterAddReply {
    const seen = this.recent.get(request.requestId);
    if (seen?.kind === 'counter-result') {
      this.duplicates++;
      return seen;
    }
    const { context } = this;
    const { engine, clock, config } = context;
    if (request.key.length > config.limits.keyBytesMax) {
      throw new RingcacheError('RC_ERR_KEY_TOO_LARGE', `key of ${String(request.key.length)} bytes is over limits.keyBytesMax=${String(config.limits.keyBytesMax)}`);
    }
    context.peerInput?.keyInVnode(request.key, request.vnode, 'RC.INCR');
    const dot = { actor: this.actor, counter: this.counter + 1 };
    const result = coordinatedIncrement(engine.get(request.key), request.amount, dot, Math.floor(clock.nowMs()));
    let reply: CounterAddReply;
    if (typeof result === 'string') {
      reply = { kind: 'counter-result', outcome: result };
    } else {
      // Throws RC_ERR_STORAGE_FULL before the counter moves: a refused operation leaves no trace.
      const stored = engine.put(request.key, request.vnode, result.versioned);
      this.counter++;
      if (request.amount > 0n) this.addedIssued += request.amount;
      else this.removedIssued -= request.amount;
      this.applied++;
      reply = { kind: 'counter-result', outcome: 'ok', value: result.value, versioned: stored };
    }
    this.remember(request.requestId, reply);
    return reply;
  }

  private operate(request: CollectionOpRequest): CollectionOpReply {
    const seen = this.recent.get(request.requestId);
    if (seen?.kind === 'collection-result') {
      this.duplicates++;
      return seen;
    }
    if (request.key.length > this.context.config.limits.keyBytesMax) {
      throw new RingcacheError('RC_ERR_KEY_TOO_LARGE', `key of ${String(request.key.length)} bytes is over limits.keyBytesMax=${String(this.context.config.limits.keyBytesMax)}`);
    }
    this.context.peerInput?.keyInVnode(request.key, request.vnode, 'RC.TYPEDOP');
    const operation = parseOperation(request.name, request.args, this.limits);
    // The proxy answered these with Redis's errors already; a peer sending one is broken.
    if (typeof operation === 'string') throw protocolError(`${request.name} arguments refused (${operation})`);
    const { engine, clock, random } = this.context;
    const dot = { actor: this.actor, counter: this.counter + 1 };
    const result = coordinatedOperation(engine.get(request.key), operation, dot, Math.floor(clock.nowMs()), this.limits, (n) => random.int(n));
    let reply: CollectionOpReply;
    if (result.outcome !== 'ok') {
      reply = { kind: 'collection-result', outcome: result.outcome };
    } else {
      // Throws RC_ERR_STORAGE_FULL before the counter moves: a refused operation leaves no trace.
      const stored = result.changed ? engine.put(request.key, request.vnode, result.versioned) : result.versioned;
      if (result.changed) this.counter++;
      // HINCRBY's amount went into this actor's lane of the field: part of the sums its lanes are bounded by.
      if (result.changed && operation.name === 'hincrby') {
        if (operation.amount > 0n) this.addedIssued += operation.amount;
        else this.removedIssued -= operation.amount;
      }
      this.operations++;
      reply = { kind: 'collection-result', outcome: 'ok', answer: result.answer, versioned: stored };
    }
    this.remember(request.requestId, reply);
    return reply;
  }

  private remember(requestId: string, reply: CounterAddReply | CollectionOpReply): void {
    this.recent.set(requestId, reply);
    // Insertion order: the first key is the oldest.
    if (this.recent.size > this.context.config.node.dedupeEntriesMax) {
      const oldest = this.recent.keys().next();
      if (oldest.done !== true) this.recent.delete(oldest.value);
    }
  }
}
