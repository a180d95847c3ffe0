/**
 * Runs queued replica moves a few at a time (DESIGN.md section 6), over a MoveStore (the master,
 * which persists the queue with the table, or the simulator's) and a MoveProbe that asks a
 * target how far it has synced the vnode:
 *
 *   every checkIntervalMs:
 *     in flight (rows with pending)   probe each target; synced -> one commit swaps them all in
 *     queued                          while fewer than concurrencyMax in flight and the byte
 *                                     budget allows: one commit marks them pending (epoch + 1)
 *
 * The budget is a token bucket of budgetBytesPerMin (capacity one minute's worth): a move is
 * charged its planned bytes when it starts, or what the target reports it copied when it ends
 * if the plan gave none; a move starts only while the bucket is positive, and one move may
 * always run so a single vnode larger than the budget still moves. Nothing here is lost on a
 * master restart: in-flight moves are the table's pending rows and the queue is persisted with it.
 */
import type { ServerId, ServerInfo, Table } from '../../src/ring/index.js';
import { RingcacheError, isRingcacheError } from '../../src/runtime/index.js';
import type { Clock, Logger, Startable, Timer } from '../../src/runtime/index.js';
import { finishMoves, fits, startMoves } from './move-plan.js';
import type { Move } from './move-plan.js';

export interface MoveStore {
  table(): Table;
  queued(): readonly Move[];
  /** Makes `next` (when given) the table in force and `queued` the queue, persisted together. */
  commit(next: Table | undefined, queued: readonly Move[]): Promise<void>;
}

/** How far a target has come with a vnode it receives. */
export interface TransferProgress {
  /** Anti-entropy has synced the vnode with every replica since the target learned of the move. */
  readonly synced: boolean;
  readonly keys: number;
  readonly bytes: number;
}

export interface MoveProbe {
  progress(target: ServerInfo, vnode: number): Promise<TransferProgress>;
}

export interface MoveExecutorOptions {
  readonly concurrencyMax: number;
  readonly budgetBytesPerMin: number;
  readonly checkIntervalMs: number;
}

export interface MoveStatus extends Move {
  readonly keysCopied: number;
  readonly bytesCopied: number;
  readonly synced: boolean;
  /** When the move started, on the executor's clock (undefined for queued moves). */
  readonly startedAtMs?: number;
}

export interface MovesReport {
  readonly epoch: number;
  readonly inFlight: readonly MoveStatus[];
  readonly queued: readonly MoveStatus[];
  readonly completed: number;
  readonly bytesMoved: number;
  readonly keysMoved: number;
}

export interface MoveExecutorDeps {
  readonly store: MoveStore;
  readonly probe: MoveProbe;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly options: MoveExecutorOptions;
}

export class MoveExecutor implements Startable {
  private timer: Timer | undefined;
  private running = false;
  private stopped = false;
  private tokens: number;
  private refilledAtMs: number;
  private readonly progress = new Map<number, TransferProgress>();
  private readonly startedAt = new Map<number, number>();
  /** Vnodes in flight whose move carried no planned bytes: charged what was copied when done. */
  private readonly unplanned = new Set<number>();
  private completed = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private bytesMoved = 0;
  private keysMoved = 0;

  constructor(private readonly deps: MoveExecutorDeps) {
    this.tokens = deps.options.budgetBytesPerMin;
    this.refilledAtMs = deps.clock.nowMs();
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Appends moves to the queue (persisted); they start on the next steps. */
  enqueue(moves: readonly Move[]): Promise<void> {
    if (moves.length === 0) return Promise.resolve();
    const { store } = this.deps;
    return this.exclusive(() => store.commit(undefined, [...store.queued(), ...moves]));
  }

  /**
   * Queues moves a planner made on the table of `epoch` (the rebalancer's hand-off,
   * rebalance/rebalancer.ts MoveHandOff): refused as a whole, queue untouched, when the table has
   * moved on since, or when a move no longer fits it or names a vnode already queued, so a plan
   * made on one table never lands on another.
   */
  submit(moves: readonly Move[], epoch: number): Promise<void> {
    if (moves.length === 0) return Promise.resolve();
    const { store } = this.deps;
    return this.exclusive(async () => {
      const table = store.table();
      if (table.epoch !== epoch) {
        throw new RingcacheError('RC_ERR_STALE_EPOCH', `the plan was made on table epoch ${String(epoch)} and the table is at ${String(table.epoch)}: plan again (node epoch ${String(table.epoch)})`);
      }
      const queued = new Set(store.queued().map((move) => move.vnode));
      const unfit = moves.find((move) => queued.has(move.vnode) || !fits(table, move));
      if (unfit !== undefined) {
        throw new RingcacheError('RC_ERR_STALE_EPOCH', `move of vnode ${String(unfit.vnode)} from ${unfit.from} to ${unfit.to} no longer fits table epoch ${String(epoch)} (a move of it is queued or in flight, or the servers changed): plan again`);
      }
      await store.commit(undefined, [...store.queued(), ...moves]);
    });
  }

  /**
   * Runs `change` with no step of the executor in between: a step reads the queue and the table,
   * then commits both, so a membership change or an enqueue landing inside it would be
   * overwritten (or refused as stale). Every writer of the table and the queue goes through here.
   */
  exclusive<T>(change: () => Promise<T>): Promise<T> {
    const result = this.chain.then(change);
    this.chain = result.catch(() => undefined);
    return result;
  }

  report(): MovesReport {
    const table = this.deps.store.table();
    const inFlight: MoveStatus[] = [];
    table.rows.forEach((row, vnode) => {
      if (row.pending === undefined) return;
      const progress = this.progress.get(vnode);
      const startedAtMs = this.startedAt.get(vnode);
      inFlight.push({
        vnode, from: row.pending.from, to: row.pending.to, keysCopied: progress?.keys ?? 0, bytesCopied: progress?.bytes ?? 0, synced: progress?.synced ?? false,
        ...(startedAtMs === undefined ? {} : { startedAtMs }),
      });
    });
    const queued = this.deps.store.queued().map((move) => ({ ...move, keysCopied: 0, bytesCopied: 0, synced: false }));
    return { epoch: table.epoch, inFlight, queued, completed: this.completed, bytesMoved: this.bytesMoved, keysMoved: this.keysMoved };
  }

  /** One step now: finish synced moves, start queued ones. Resolves when its commits are done. */
  step(): Promise<void> {
    return this.exclusive(() => this.stepNow());
  }

  private async stepNow(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.finishSynced();
      await this.startQueued();
    } catch (error) {
      // A commit raced another one (an admin change): the next step replans on the new table.
      if (!isRingcacheError(error, 'RC_ERR_STALE_TABLE')) this.deps.logger.warn({ err: (error as Error).message }, 'move step failed; retrying on the next one');
    } finally {
      this.running = false;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.schedule(this.deps.options.checkIntervalMs, () => {
      void this.step().finally(() => { this.schedule(); });
    });
  }

  private async finishSynced(): Promise<void> {
    const { store, probe } = this.deps;
    const table = store.table();
    const servers = new Map<ServerId, ServerInfo>(table.servers.map((server) => [server.id, server]));
    const inFlight = table.rows.flatMap((row, vnode) => (row.pending === undefined ? [] : [{ vnode, to: row.pending.to }]));
    const synced: number[] = [];
    await Promise.all(inFlight.map(async ({ vnode, to }) => {
      const target = servers.get(to);
      if (target === undefined) return;
      try {
        const progress = await probe.progress(target, vnode);
        this.progress.set(vnode, progress);
        if (progress.synced) synced.push(vnode);
      } catch {
        // The target is unreachable: the move waits (its pending writes keep flowing to the others).
      }
    }));
    if (synced.length === 0 || this.stopped) return;
    synced.sort((a, b) => a - b);
    await store.commit(finishMoves(store.table(), synced.filter((vnode) => store.table().rows[vnode]?.pending !== undefined)), store.queued());
    const nowMs = this.deps.clock.nowMs();
    for (const vnode of synced) {
      const progress = this.progress.get(vnode);
      this.completed++;
      this.bytesMoved += progress?.bytes ?? 0;
      this.keysMoved += progress?.keys ?? 0;
      this.deps.logger.info({ vnode, bytes: progress?.bytes, keys: progress?.keys, ms: nowMs - (this.startedAt.get(vnode) ?? nowMs) }, 'replica move done');
      if (this.unplanned.delete(vnode)) this.tokens -= progress?.bytes ?? 0;
      this.progress.delete(vnode);
      this.startedAt.delete(vnode);
    }
  }

  private async startQueued(): Promise<void> {
    const { store, options, clock } = this.deps;
    const table = store.table();
    let inFlight = table.rows.reduce((count, row) => count + (row.pending === undefined ? 0 : 1), 0);
    this.refill();
    const starting: Move[] = [];
    const kept: Move[] = [];
    const claimed = new Set<number>();
    for (const move of store.queued()) {
      const busy = table.rows[move.vnode]?.pending !== undefined || claimed.has(move.vnode);
      const budgetLeft = this.tokens > 0 || (inFlight === 0 && starting.length === 0);
      if (!busy && !fits(table, move)) {
        this.deps.logger.warn({ move }, 'queued move no longer fits its row; dropped');
        continue;
      }
      if (busy || inFlight >= options.concurrencyMax || !budgetLeft) {
        kept.push(move);
        continue;
      }
      claimed.add(move.vnode);
      starting.push(move);
      inFlight++;
      this.tokens -= move.bytes ?? 0;
    }
    if (starting.length === 0 && kept.length === store.queued().length) return;
    await store.commit(starting.length === 0 ? undefined : startMoves(table, starting), kept);
    const nowMs = clock.nowMs();
    for (const move of starting) {
      this.startedAt.set(move.vnode, nowMs);
      if ((move.bytes ?? 0) <= 0) this.unplanned.add(move.vnode);
    }
  }

  /** Token bucket: budgetBytesPerMin per minute, at most one minute's worth banked. */
  private refill(): void {
    const { budgetBytesPerMin } = this.deps.options;
    const nowMs = this.deps.clock.nowMs();
    this.tokens = Math.min(budgetBytesPerMin, this.tokens + ((nowMs - this.refilledAtMs) * budgetBytesPerMin) / 60_000);
    this.refilledAtMs = nowMs;
  }
}
