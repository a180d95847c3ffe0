/**
 * Anti-entropy as a node service (DESIGN.md section 5): keeps a Merkle tree per vnode from the
 * change feed, answers other replicas' exchanges, and leads its own.
 *
 *   every intervalMs (+-25%):  visit up to exchangesMax vnodes, in turn, recovering ones first
 *   visit(v):                  one exchange with each other holder of v that the board shows up
 *   recovering, after a visit: the next pending vnode at once (no wait for the tick)
 *
 * A visit exchanges with every other holder, not one picked at random, so within one cycle
 * (options.ts antiEntropyCycleMs) every state a replica holds has been offered to every other
 * replica of its vnode: what lets storage.tombstoneGraceMs be a bound.
 *
 * Recovery (node/recovery.ts). A node that starts empty marks a vnode synced once it has
 * completed an exchange with *every* other replica of the row since it started (cumulatively,
 * whether those replicas are recovering or not); a replica the board shows down holds it back.
 * Why every one, and not the first replica that is not recovering: an acknowledged write sits on
 * W replicas, and with N = 3, W = 2 the surviving copy may be on exactly the one replica that
 * was not asked: write on {A, C}, A restarts empty, B missed the write; syncing with B alone
 * would make A's "not found" count while only C has the key, and the next step of a rolling
 * restart (restarting C) would lose it. Waiting for a down replica keeps that step from being
 * taken; the cost is that a node whose row-mate is down stays recovering until it returns or
 * the table replaces it (its found values still count; only its "not found" does not).
 */
import type { RoutingTable, ServerId } from '../ring/index.js';
import type { Timer } from '../runtime/index.js';
import { MessageCatalogue } from '../transport/index.js';
import type { MetricSource, NodeContext, PeerHandlers, PeerService } from '../node/peer-service.js';
import { ANTI_ENTROPY_MESSAGES } from './codec.js';
import { Exchange } from './exchange.js';
import { treeShapeFor } from './merkle-tree.js';
import { INTERVAL_JITTER } from './options.js';
import type { AntiEntropyOptions } from './options.js';
import { exchangeLimitsOf, holds, otherHolders } from './parts.js';
import type { ExchangeParts } from './parts.js';
import { Responder } from './responder.js';
import { AntiEntropyStats } from './stats.js';
import { VnodeTrees } from './vnode-trees.js';

/** What /v1/stats shows of anti-entropy. */
export interface SyncProgress {
  readonly recovering: boolean;
  readonly pendingVnodes: number;
  readonly heldVnodes: number;
  readonly rounds: number;
  readonly keysRepaired: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Wall-clock ms of the last complete exchange, or 0. */
  readonly lastCompleteAtMs: number;
}

export class AntiEntropyService implements PeerService {
  readonly name = 'anti-entropy';
  readonly handlers: PeerHandlers;
  readonly stats = new AntiEntropyStats();
  readonly trees: VnodeTrees;
  private readonly options: AntiEntropyOptions;
  private readonly parts: ExchangeParts;
  private timer: Timer | undefined;
  private unsubscribeTable: (() => void) | undefined;
  private stopped = false;
  private table: RoutingTable | undefined;
  private held: number[] = [];
  private heldSet = new Set<number>();
  /** Next held vnode of the steady cycle. */
  private cursor = 0;
  private readonly visiting = new Set<number>();
  /** Per pending vnode: the other replicas it has completed an exchange with since this node started. */
  private readonly syncedWith = new Map<number, Set<ServerId>>();

  constructor(private readonly context: NodeContext) {
    const { config } = context;
    this.options = config.antiEntropy;
    const shape = treeShapeFor(config.cluster.vnodeCount, this.options.leavesPerNode);
    this.trees = new VnodeTrees(shape, context.engine);
    this.parts = {
      serverId: context.serverId,
      engine: context.engine,
      table: context.table,
      clock: context.clock,
      random: context.random,
      transport: context.transport,
      recovery: context.recovery,
      trees: this.trees,
      stats: this.stats,
      limits: exchangeLimitsOf(config, this.options, 4 ** shape.depth),
      catalogue: new MessageCatalogue(ANTI_ENTROPY_MESSAGES),
    };
    this.handlers = new Responder(this.parts).handlers();
  }

  start(): void {
    this.trees.follow();
    this.unsubscribeTable = this.context.table.onChange?.(() => { this.reconcile(); });
    this.reconcile();
    this.scheduleTick();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.unsubscribeTable?.();
    this.unsubscribeTable = undefined;
    this.trees.stop();
  }

  metrics(): readonly MetricSource[] {
    return this.stats.metrics(() => this.context.recovery.pending);
  }

  progress(): SyncProgress {
    const { recovery } = this.context;
    const { stats } = this;
    return {
      recovering: recovery.recovering,
      pendingVnodes: recovery.pending,
      heldVnodes: this.held.length,
      rounds: stats.roundsTotal,
      keysRepaired: stats.keysRepaired,
      bytesSent: stats.bytesSent,
      bytesReceived: stats.bytesReceived,
      lastCompleteAtMs: stats.lastCompleteAtMs,
    };
  }

  /** Visits one vnode now (tests and the benchmark drive exchanges with it); resolves when done. */
  async visitNow(vnode: number): Promise<void> {
    this.reconcile();
    if (!this.heldSet.has(vnode) || this.visiting.has(vnode)) return;
    await this.visit(vnode);
  }

  private scheduleTick(): void {
    if (this.stopped) return;
    const { clock, random } = this.context;
    const delayMs = this.options.intervalMs * (1 - INTERVAL_JITTER + 2 * INTERVAL_JITTER * random.next());
    this.timer = clock.schedule(delayMs, () => {
      this.reconcile();
      this.launch();
      this.scheduleTick();
    });
  }

  /** Follows the table: which vnodes this node holds, and what recovery must sync. */
  private reconcile(): void {
    const table = this.context.table.current();
    if (table === undefined || table === this.table) return;
    const { serverId, recovery } = this.context;
    const held: number[] = [];
    for (let vnode = 0; vnode < table.vnodeCount; vnode++) if (holds(table, serverId, vnode)) held.push(vnode);
    const heldSet = new Set(held);
    if (this.table === undefined) {
      recovery.begin(held);
    } else {
      for (const vnode of held) {
        if (!this.heldSet.has(vnode)) {
          this.syncedWith.delete(vnode);
          recovery.add(vnode);
        }
      }
      for (const vnode of this.heldSet) {
        if (!heldSet.has(vnode)) {
          this.syncedWith.delete(vnode);
          recovery.remove(vnode);
        }
      }
    }
    this.table = table;
    this.held = held;
    this.heldSet = heldSet;
    for (const vnode of recovery.pendingList()) this.settle(vnode);
  }

  /** Marks a pending vnode synced once every other replica of its row has completed an exchange with us. */
  private settle(vnode: number): void {
    const { recovery, serverId } = this.context;
    const table = this.table;
    if (table === undefined || !recovery.isPending(vnode)) return;
    const done = this.syncedWith.get(vnode);
    const others = table.row(vnode).replicas.filter((server) => server !== serverId);
    if (others.every((server) => done?.has(server) === true)) {
      recovery.markSynced(vnode);
      this.syncedWith.delete(vnode);
    }
  }

  /** Starts visits while fewer than exchangesMax run: pending vnodes first, then the steady cycle. */
  private launch(): void {
    if (this.stopped || this.table === undefined) return;
    const { recovery } = this.context;
    const pending = recovery.recovering ? recovery.pendingList().filter((vnode) => this.heldSet.has(vnode)) : [];
    const rotated = rotate(pending, this.context.random.int(Math.max(1, pending.length)));
    for (const vnode of rotated) {
      if (this.visiting.size >= this.options.exchangesMax) return;
      if (!this.visiting.has(vnode) && this.peersOf(vnode).length > 0) this.startVisit(vnode);
    }
    for (let tried = 0; tried < this.held.length && this.visiting.size < this.options.exchangesMax; tried++) {
      const vnode = this.held[this.cursor % this.held.length] as number;
      this.cursor = (this.cursor + 1) % this.held.length;
      if (!this.visiting.has(vnode) && this.peersOf(vnode).length > 0) this.startVisit(vnode);
    }
  }

  private startVisit(vnode: number): void {
    void this.visit(vnode).then((progressed) => {
      // While recovering, the next pending vnode starts as soon as a slot frees; failures wait for the tick.
      if (progressed && this.context.recovery.recovering) this.launch();
    });
  }

  /** Exchanges vnode `vnode` with each other holder the board shows up; true if any exchange got through. */
  private async visit(vnode: number): Promise<boolean> {
    this.visiting.add(vnode);
    const { recovery, clock } = this.context;
    let progressed = false;
    try {
      for (const peer of this.peersOf(vnode)) {
        if (this.stopped) break;
        const fullDigests = recovery.isPending(vnode);
        const result = await new Exchange(this.parts, vnode, peer, fullDigests, () => this.stopped).run();
        this.stats.rounds[result.outcome]++;
        if (result.outcome !== 'failed') progressed = true;
        if (!result.complete) continue;
        this.stats.lastCompleteAtMs = clock.nowMs();
        if (recovery.isPending(vnode)) {
          let done = this.syncedWith.get(vnode);
          if (done === undefined) this.syncedWith.set(vnode, done = new Set());
          done.add(peer);
          this.settle(vnode);
        }
      }
    } finally {
      this.visiting.delete(vnode);
    }
    return progressed;
  }

  /** The other holders of a vnode the board shows up; replicas not recovering first, then in random order. */
  private peersOf(vnode: number): ServerId[] {
    const table = this.table;
    if (table === undefined) return [];
    const { peers, serverId, random } = this.context;
    const up = otherHolders(table, serverId, vnode).filter((server) => peers.isUp(server));
    const shuffled = rotate(up, random.int(Math.max(1, up.length)));
    return [...shuffled.filter((server) => !peers.isRecovering(server)), ...shuffled.filter((server) => peers.isRecovering(server))];
  }
}

function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const at = by % items.length;
  return [...items.slice(at), ...items.slice(0, at)];
}
