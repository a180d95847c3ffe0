/**
 * Anti-entropy as a node service (DESIGN.md section 5): keeps a Merkle tree per vnode from the
 * change feed, answers other replicas' exchanges, and leads its own.
 *
 *   every intervalMs (+-25%):  start up to exchangesMax visits of vnodesPerExchangeMax vnodes each,
 *                              in turn, recovering ones first
 *   visit(group):              one exchange per other holder the board shows up, over the group's
 *                              vnodes that holder keeps (one set of messages for all of them)
 *   recovering, after a visit: the next pending vnodes at once (no wait for the tick)
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
  /** Exchanges led that got through, and that failed. */
  readonly rounds: number;
  readonly roundsFailed: number;
  /** What each vnode's exchange came to. */
  readonly vnodeOutcomes: Readonly<Record<'equal' | 'repaired' | 'partial' | 'failed', number>>;
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
  /** Visits (groups) running. */
  private visits = 0;
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
      peerInput: context.peerInput,
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
      rounds: stats.exchanges,
      roundsFailed: stats.exchangesFailed,
      vnodeOutcomes: { ...stats.vnodeOutcomes },
      keysRepaired: stats.keysRepaired,
      bytesSent: stats.bytesSent,
      bytesReceived: stats.bytesReceived,
      lastCompleteAtMs: stats.lastCompleteAtMs,
    };
  }

  /** Visits one vnode now (tests and the benchmark drive exchanges with it); resolves when done. */
  async visitNow(vnode: number): Promise<void> {
    await this.visitGroupNow([vnode]);
  }

  /** Visits the held vnodes of `vnodes` (not already being visited) as one group now. */
  async visitGroupNow(vnodes: readonly number[]): Promise<void> {
    this.reconcile();
    const group = [...new Set(vnodes)].filter((vnode) => this.heldSet.has(vnode) && !this.visiting.has(vnode)).sort((a, b) => a - b);
    if (group.length > 0) await this.visit(group);
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

  /**
   * Starts visits while fewer than exchangesMax run, each of up to vnodesPerExchangeMax vnodes:
   * pending (recovering) vnodes first, in groups of their own (they compare full digests), then
   * the steady cycle's next vnodes.
   */
  private launch(): void {
    if (this.stopped || this.table === undefined) return;
    const { recovery, random } = this.context;
    const groupMax = this.options.vnodesPerExchangeMax;
    if (recovery.recovering) {
      const pending = recovery.pendingList().filter((vnode) => this.heldSet.has(vnode) && !this.visiting.has(vnode) && this.peersOf(vnode).length > 0);
      const rotated = rotate(pending, random.int(Math.max(1, pending.length)));
      for (let start = 0; start < rotated.length && this.visits < this.options.exchangesMax; start += groupMax) {
        this.startVisit(rotated.slice(start, start + groupMax).sort((a, b) => a - b));
      }
    }
    while (this.visits < this.options.exchangesMax) {
      const group: number[] = [];
      for (let tried = 0; tried < this.held.length && group.length < groupMax; tried++) {
        const vnode = this.held[this.cursor % this.held.length] as number;
        this.cursor = (this.cursor + 1) % this.held.length;
        if (!this.visiting.has(vnode) && !recovery.isPending(vnode) && this.peersOf(vnode).length > 0) group.push(vnode);
      }
      if (group.length === 0) return;
      this.startVisit(group.sort((a, b) => a - b));
    }
  }

  private startVisit(group: number[]): void {
    void this.visit(group).then((progressed) => {
      // While recovering, the next pending vnodes start as soon as a slot frees; failures wait for the tick.
      if (progressed && this.context.recovery.recovering) this.launch();
    });
  }

  /**
   * Exchanges a group of vnodes with each other holder the board shows up (one exchange per
   * peer, over the vnodes that peer keeps); true if any exchange got through.
   */
  private async visit(group: readonly number[]): Promise<boolean> {
    for (const vnode of group) this.visiting.add(vnode);
    this.visits++;
    const { recovery, clock } = this.context;
    let progressed = false;
    try {
      const fullDigests = group.some((vnode) => recovery.isPending(vnode));
      for (const [peer, vnodes] of this.peersOfGroup(group)) {
        if (this.stopped) break;
        const results = await new Exchange(this.parts, peer, vnodes, fullDigests, () => this.stopped).run();
        if (results.every((result) => result.outcome === 'failed')) this.stats.exchangesFailed++;
        else this.stats.exchanges++;
        for (const result of results) {
          this.stats.vnodeOutcomes[result.outcome]++;
          if (result.outcome !== 'failed') progressed = true;
          if (!result.complete) continue;
          this.stats.lastCompleteAtMs = clock.nowMs();
          if (!recovery.isPending(result.vnode)) continue;
          let done = this.syncedWith.get(result.vnode);
          if (done === undefined) this.syncedWith.set(result.vnode, done = new Set());
          done.add(peer);
          this.settle(result.vnode);
        }
      }
    } finally {
      for (const vnode of group) this.visiting.delete(vnode);
      this.visits--;
    }
    return progressed;
  }

  /** Per peer (those not recovering first), the vnodes of the group it keeps. */
  private peersOfGroup(group: readonly number[]): Map<ServerId, number[]> {
    const byPeer = new Map<ServerId, number[]>();
    for (const vnode of group) {
      for (const peer of this.peersOf(vnode)) {
        const vnodes = byPeer.get(peer);
        if (vnodes === undefined) byPeer.set(peer, [vnode]);
        else vnodes.push(vnode);
      }
    }
    const { peers } = this.context;
    return new Map([...byPeer].sort(([a], [b]) => Number(peers.isRecovering(a)) - Number(peers.isRecovering(b))));
  }

  /** The other holders of a vnode the board shows up. */
  private peersOf(vnode: number): ServerId[] {
    const table = this.table;
    if (table === undefined) return [];
    const { peers, serverId } = this.context;
    return otherHolders(table, serverId, vnode).filter((server) => peers.isUp(server));
  }
}

function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const at = by % items.length;
  return [...items.slice(at), ...items.slice(0, at)];
}
