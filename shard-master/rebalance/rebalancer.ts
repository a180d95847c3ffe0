/**
 * The imperative shell around the planner: measure (LoadBook + the nodes' stored bytes), plan
 * (planner.ts), carry out. Leader changes move no data: they are committed as the next epoch
 * here. Replica moves go to the move executor through `MoveHandOff`; a master built without one
 * refuses to apply a plan that needs moves (RC_ERR_MOVES_UNAVAILABLE) and leaves the table alone.
 *
 * Automatic mode (rebalance.auto) runs the same steps every rebalance.checkIntervalMs, with a
 * budget of moveBudgetBytesPerMin for each minute of that interval; the planner itself acts only
 * past 1 + imbalanceTolerancePercent/100.
 */
import type { Table, TableRow } from '../../src/ring/index.js';
import { RingcacheError, every } from '../../src/runtime/index.js';
import type { Clock, Logger, Startable, Timer } from '../../src/runtime/index.js';
import type { LoadBook } from '../load/load-book.js';
import { vnodeLoadsOf } from '../load/vnode-loads.js';
import { planRebalance } from './planner.js';
import type { LeaderChange, Plan, PlannedMove } from './planner.js';

/** Where replica moves go: the move executor (fencing, Merkle fill, swap at e+2). */
export interface MoveHandOff {
  /** Queues `moves`, planned on the table of `epoch`; refuses (throws) a stale or invalid one. */
  submit(moves: readonly PlannedMove[], epoch: number): Promise<void>;
}

export interface RebalancerOptions {
  readonly auto: boolean;
  readonly imbalanceTolerance: number;
  readonly moveBudgetBytesPerMin: number;
  readonly checkIntervalMs: number;
  /** Automatic rounds skip while the reported requests/s in all is below this (noise, not load). */
  readonly autoRequestsPerSecMin?: number;
}

export interface RebalancerDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly table: () => Table;
  readonly commit: (next: Table) => Promise<Table>;
  readonly book: LoadBook;
  /** Bytes one replica of each vnode stores (what a move copies); zeros when unknown. */
  readonly storedBytes: (table: Table) => Promise<ArrayLike<number>>;
  readonly handOff?: MoveHandOff;
  readonly options: RebalancerOptions;
}

export interface PlannedRebalance {
  readonly table: Table;
  readonly plan: Plan;
}

export interface AppliedRebalance {
  /** The epoch the leader changes were committed as; undefined when there were none. */
  readonly committedEpoch: number | undefined;
  readonly movesHandedOff: number;
}

export class Rebalancer implements Startable {
  private timer: Timer | undefined;
  private running: Promise<void> | undefined;
  readonly stats = { autoRounds: 0, autoApplied: 0, autoMovesUnavailable: 0, autoFailures: 0 };

  constructor(private readonly deps: RebalancerDeps) {}

  get hasExecutor(): boolean {
    return this.deps.handOff !== undefined;
  }

  /** One planning round's byte budget: a minute's worth for a manual plan. */
  budgetBytes(intervalMs = 60_000): number {
    return Math.floor(this.deps.options.moveBudgetBytesPerMin * (intervalMs / 60_000));
  }

  async plan(budgetBytes = this.budgetBytes()): Promise<PlannedRebalance> {
    const table = this.deps.table();
    const storedBytes = await this.deps.storedBytes(table);
    const loads = vnodeLoadsOf(this.deps.book.rates(), table.replicaCount, storedBytes);
    const plan = planRebalance({ table, loads, moveBudgetBytes: budgetBytes, imbalanceTolerance: this.deps.options.imbalanceTolerance });
    return { table, plan };
  }

  /** Carries out a plan made on `table`: refused as a whole when it needs moves and no executor exists. */
  async apply({ table, plan }: PlannedRebalance): Promise<AppliedRebalance> {
    if (plan.moves.length > 0 && this.deps.handOff === undefined) {
      throw new RingcacheError(
        'RC_ERR_MOVES_UNAVAILABLE',
        `the plan needs ${plan.moves.length} replica moves (${plan.bytesToMove} bytes) and this shard-master has no move executor yet; nothing was applied (POST /v1/rebalance {"dryRun": true} shows the plan)`,
        { moves: plan.moves.length, bytesToMove: plan.bytesToMove, leaderChanges: plan.leaderChanges.length },
      );
    }
    const committedEpoch = await this.commitLeaders(table, plan.leaderChanges);
    if (plan.moves.length > 0 && this.deps.handOff !== undefined) await this.deps.handOff.submit(plan.moves, committedEpoch ?? table.epoch);
    return { committedEpoch, movesHandedOff: plan.moves.length };
  }

  start(): Promise<void> {
    if (this.timer === undefined && this.deps.options.auto) {
      this.timer = every(this.deps.clock, this.deps.options.checkIntervalMs, () => { void this.autoRound(); });
    }
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    await this.running;
  }

  /** One automatic round (tests call it instead of waiting for the timer); one at a time. */
  autoRound(): Promise<void> {
    this.running ??= this.runAutoRound().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async runAutoRound(): Promise<void> {
    this.stats.autoRounds++;
    const requestsPerSec = this.deps.book.rates().requests.reduce((sum, rate) => sum + rate, 0);
    if (requestsPerSec < (this.deps.options.autoRequestsPerSecMin ?? 0)) return;
    try {
      const planned = await this.plan(this.budgetBytes(this.deps.options.checkIntervalMs));
      const { plan } = planned;
      if (plan.moves.length === 0 && plan.leaderChanges.length === 0) return;
      if (plan.moves.length > 0 && this.deps.handOff === undefined) {
        // Leader changes alone still help and move nothing: apply those, say why the rest waits.
        this.stats.autoMovesUnavailable++;
        this.deps.logger.warn({ moves: plan.moves.length, bytesToMove: plan.bytesToMove, maxOverMean: plan.before.maxOverMean }, 'automatic rebalance: replica moves planned but no move executor; only leader changes applied');
        await this.commitLeaders(planned.table, plan.leaderChanges);
        return;
      }
      await this.apply(planned);
      this.stats.autoApplied++;
      this.deps.logger.info({ moves: plan.moves.length, leaderChanges: plan.leaderChanges.length, before: plan.before.maxOverMean, after: plan.after.maxOverMean }, 'automatic rebalance applied');
    } catch (error) {
      this.stats.autoFailures++;
      this.deps.logger.warn({ err: error }, 'automatic rebalance round failed');
    }
  }

  private async commitLeaders(table: Table, changes: readonly LeaderChange[]): Promise<number | undefined> {
    if (changes.length === 0) return undefined;
    const rows: TableRow[] = table.rows.map((row) => ({ ...row, replicas: [...row.replicas] }));
    for (const change of changes) {
      const row = rows[change.vnode];
      const replicas = row?.replicas as string[] | undefined;
      const position = replicas?.indexOf(change.to) ?? -1;
      if (replicas === undefined || replicas[0] !== change.from || position < 1) {
        throw new RingcacheError('RC_ERR_STALE_TABLE', `leader change of vnode ${change.vnode} no longer fits the table of epoch ${table.epoch}; replan`);
      }
      replicas[position] = change.from;
      replicas[0] = change.to;
    }
    const committed = await this.deps.commit({ ...table, epoch: table.epoch + 1, rows });
    return committed.epoch;
  }
}
