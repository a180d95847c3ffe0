/**
 * The simulator's shard-master: the table the cluster follows, and the real MoveExecutor and
 * membership plans (shard-master/moves) running on the virtual clock.
 * Nodes and coordinators follow it through TableHolders with a random lag (a long poll's
 * latency), so requests on an old epoch do reach nodes on a new one and fencing is exercised.
 *
 * Like the process (shard-master/state-store.ts), it persists the table, the servers and the
 * queue of moves together on every commit, then publishes:
 *
 *   commit(next, queue) --> persisted = {table, servers, queue} --> live state --> followers
 *   crash()             --> the executor and the live state are gone; followers keep the last table
 *                           and get no answer; nothing can be added, drained or queued
 *   recover()           --> live state := persisted; a new executor resumes (in-flight moves are
 *                           the persisted table's pending rows, the rest is the persisted queue)
 *
 * `restartExecutor()` is the lighter fault: a new executor over the same live state. What the
 * process also keeps only in memory (load EWMAs, move progress figures) has no bearing here:
 * the simulator plans no load-driven moves. The planted bug 'restart-swaps-moves' recovers
 * wrongly: it takes every move in flight at the crash for finished (the targets' sync progress
 * was only in memory) and swaps the targets in at once, unsynced.
 */
import { RoutingTable } from '../../src/ring/index.js';
import type { ServerId, ServerInfo, Table } from '../../src/ring/index.js';
import { TableHolder } from '../../src/replication/index.js';
import { silentLogger } from '../../src/runtime/index.js';
import type { Random, VirtualClock } from '../../src/runtime/index.js';
import { MoveExecutor } from '../../shard-master/moves/move-executor.js';
import type { MoveProbe, MoveStore } from '../../shard-master/moves/move-executor.js';
import { finishMoves } from '../../shard-master/moves/move-plan.js';
import type { Move } from '../../shard-master/moves/move-plan.js';
import { planAdd, planDrain, planRemove } from '../../shard-master/moves/membership.js';
import type { MembershipPlan } from '../../shard-master/moves/membership.js';

/** Longest virtual delay before a follower sees a new table. */
const FOLLOW_LAG_MS_MAX = 40;

/** What the master persists with every commit (the process's state file). */
interface PersistedState {
  readonly table: Table;
  readonly servers: readonly ServerInfo[];
  readonly queue: readonly Move[];
}

export class SimMaster {
  /** The last table published: what followers fetch. It only moves to newer epochs, as a follower does. */
  readonly holder: TableHolder;
  /** The master's own table in force (after a restart it may be behind `holder` until it commits past it). */
  private live: RoutingTable;
  private queue: Move[] = [];
  private servers: ServerInfo[];
  private executor: MoveExecutor;
  readonly store: MoveStore;
  private persisted: PersistedState;
  private down = false;
  /** Tables committed, for the report. */
  commits = 0;
  /** Full restarts (crash, then recover from the persisted state). */
  restarts = 0;
  private completedBefore = 0;

  constructor(
    private readonly clock: VirtualClock, private readonly random: Random, table: Table, private readonly probe: MoveProbe,
    private readonly bug: 'none' | 'restart-swaps-moves' = 'none',
  ) {
    this.live = new RoutingTable(table);
    this.holder = new TableHolder(this.live);
    this.servers = [...table.servers];
    this.persisted = { table, servers: this.servers, queue: [] };
    this.store = {
      table: () => this.live.table,
      queued: () => this.queue,
      commit: (next, queued) => {
        if (this.down) return Promise.reject(new Error('the master is down'));
        this.persisted = { table: next ?? this.live.table, servers: this.servers, queue: [...queued] };
        if (next !== undefined) this.install(next);
        this.queue = [...queued];
        return Promise.resolve();
      },
    };
    this.executor = this.newExecutor();
  }

  /** The newest table published (what the cluster follows). */
  get table(): RoutingTable {
    return this.holder.current();
  }

  /** The master's own table, on which it plans: `table` except after a restart to an older state. */
  get liveTable(): RoutingTable {
    return this.live;
  }

  get isDown(): boolean {
    return this.down;
  }

  get queued(): readonly Move[] {
    return this.queue;
  }

  start(): void {
    this.executor.start();
  }

  stop(): void {
    this.executor.stop();
  }

  /** A new executor over the same live state (its in-memory progress and budget are lost). */
  restartExecutor(): void {
    this.completedBefore += this.executor.report().completed;
    this.executor.stop();
    this.executor = this.newExecutor();
    this.executor.start();
  }

  /** The master process dies: everything not persisted is gone until recover(). */
  crash(): void {
    if (this.down) return;
    this.down = true;
    this.completedBefore += this.executor.report().completed;
    this.executor.stop();
    this.queue = [];
  }

  /** The process starts again from its persisted state, mid-move if moves were in flight. */
  recover(): void {
    if (!this.down) return;
    this.down = false;
    this.restarts++;
    this.live = new RoutingTable(this.persisted.table);
    this.servers = [...this.persisted.servers];
    this.queue = [...this.persisted.queue];
    if (this.bug === 'restart-swaps-moves') {
      const inFlight = this.live.table.rows.flatMap((row, vnode) => (row.pending === undefined ? [] : [vnode]));
      if (inFlight.length > 0) void this.store.commit(finishMoves(this.live.table, inFlight), this.queue);
    }
    this.executor = this.newExecutor();
    this.executor.start();
  }

  /** Moves swapped in by this executor incarnation and the ones before it. */
  get movesCompleted(): number {
    return this.completedBefore + this.executor.report().completed;
  }

  inFlight(): number {
    return this.table.table.rows.filter((row) => row.pending !== undefined).length;
  }

  /** Queues one move of vnode's replica `from` to `to` (refused while the master is down). */
  move(vnode: number, from: ServerId, to: ServerId): boolean {
    if (this.down) return false;
    this.queue.push({ vnode, from, to });
    this.persisted = { ...this.persisted, queue: [...this.queue] };
    return true;
  }

  add(server: ServerInfo): boolean {
    if (this.down) return false;
    this.apply(planAdd(this.state(), server, 4));
    return true;
  }

  /** Drains `id`; false when an invariant refuses it (the table is untouched then) or the master is down. */
  drain(id: ServerId): boolean {
    if (this.down) return false;
    try {
      this.apply(planDrain(this.state(), id, 4));
      return true;
    } catch {
      return false;
    }
  }

  /** Removes `id` once it holds nothing; false while it still does, or while the master is down. */
  remove(id: ServerId): boolean {
    if (this.down) return false;
    try {
      this.apply(planRemove(this.state(), id));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * A follower of this master's table: sees each new table after a random lag, soon when a peer
   * shows a newer epoch (a fetch, retried while the master is down).
   */
  follower(): TableHolder {
    const fetch = (): void => {
      this.clock.schedule(1 + this.random.int(5), () => {
        if (this.down) fetch();
        else follower.set(this.holder.current());
      });
    };
    const follower: TableHolder = new TableHolder(this.holder.current(), fetch);
    this.holder.onChange((table) => {
      this.clock.schedule(this.random.int(FOLLOW_LAG_MS_MAX), () => { follower.set(table); });
    });
    return follower;
  }

  private state(): { servers: readonly ServerInfo[]; table: Table; queued: readonly Move[] } {
    return { servers: this.servers, table: this.live.table, queued: this.queue };
  }

  /** A membership change: persisted (table, servers and queue together), then published. */
  private apply(plan: MembershipPlan): void {
    this.servers = [...plan.servers];
    this.queue.push(...plan.moves);
    this.persisted = { table: plan.table, servers: this.servers, queue: [...this.queue] };
    if (plan.table !== this.live.table) this.install(plan.table);
  }

  private install(table: Table): void {
    this.commits++;
    this.live = new RoutingTable(table);
    // Followers only take newer epochs: a master restarted behind them is not heard until it passes them.
    this.holder.set(this.live);
  }

  private newExecutor(): MoveExecutor {
    return new MoveExecutor({
      store: this.store, probe: this.probe, clock: this.clock, logger: silentLogger,
      options: { concurrencyMax: 2, budgetBytesPerMin: 64 * 1024 * 1024, checkIntervalMs: 50 },
    });
  }
}
