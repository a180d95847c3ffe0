/**
 * The simulator's shard-master: the table the cluster follows, and the real MoveExecutor and
 * membership plans (shard-master/moves) running on the virtual clock over an in-memory store.
 * Nodes and coordinators follow it through TableHolders with a random lag (a long poll's
 * latency), so requests on an old epoch do reach nodes on a new one and fencing is exercised.
 * `restart()` drops the executor's memory and builds a new one over the same store, as a master
 * process coming back from its state file would.
 */
import { RoutingTable } from '../../src/ring/index.js';
import type { ServerId, ServerInfo, Table } from '../../src/ring/index.js';
import { TableHolder } from '../../src/replication/index.js';
import { silentLogger } from '../../src/runtime/index.js';
import type { Random, VirtualClock } from '../../src/runtime/index.js';
import { MoveExecutor } from '../../shard-master/moves/move-executor.js';
import type { MoveProbe, MoveStore } from '../../shard-master/moves/move-executor.js';
import type { Move } from '../../shard-master/moves/move-plan.js';
import { planAdd, planDrain, planRemove } from '../../shard-master/moves/membership.js';
import type { MembershipPlan } from '../../shard-master/moves/membership.js';

/** Longest virtual delay before a follower sees a new table. */
const FOLLOW_LAG_MS_MAX = 40;

export class SimMaster {
  readonly holder: TableHolder;
  private queue: Move[] = [];
  private servers: ServerInfo[];
  private executor: MoveExecutor;
  readonly store: MoveStore;
  /** Tables committed, for the report. */
  commits = 0;
  private completedBefore = 0;

  constructor(private readonly clock: VirtualClock, private readonly random: Random, table: Table, private readonly probe: MoveProbe) {
    this.holder = new TableHolder(new RoutingTable(table));
    this.servers = [...table.servers];
    this.store = {
      table: () => this.holder.current().table,
      queued: () => this.queue,
      commit: (next, queued) => {
        if (next !== undefined) this.install(next);
        this.queue = [...queued];
        return Promise.resolve();
      },
    };
    this.executor = this.newExecutor();
  }

  get table(): RoutingTable {
    return this.holder.current();
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

  restart(): void {
    this.completedBefore += this.executor.report().completed;
    this.executor.stop();
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

  /** Queues one move of vnode's replica `from` to `to`. */
  move(vnode: number, from: ServerId, to: ServerId): void {
    this.queue.push({ vnode, from, to });
  }

  add(server: ServerInfo): void {
    this.apply(planAdd(this.state(), server, 4));
  }

  /** Drains `id`; false when an invariant refuses it (the table is untouched then). */
  drain(id: ServerId): boolean {
    try {
      this.apply(planDrain(this.state(), id, 4));
      return true;
    } catch {
      return false;
    }
  }

  /** Removes `id` once it holds nothing; false while it still does. */
  remove(id: ServerId): boolean {
    try {
      this.apply(planRemove(this.state(), id));
      return true;
    } catch {
      return false;
    }
  }

  /** A follower of this master's table: sees each new table after a random lag, at once when a peer shows a newer epoch. */
  follower(): TableHolder {
    const follower: TableHolder = new TableHolder(this.holder.current(), () => {
      this.clock.schedule(1 + this.random.int(5), () => { follower.set(this.holder.current()); });
    });
    this.holder.onChange((table) => {
      this.clock.schedule(this.random.int(FOLLOW_LAG_MS_MAX), () => { follower.set(table); });
    });
    return follower;
  }

  private state(): { servers: readonly ServerInfo[]; table: Table; queued: readonly Move[] } {
    return { servers: this.servers, table: this.holder.current().table, queued: this.queue };
  }

  private apply(plan: MembershipPlan): void {
    this.servers = [...plan.servers];
    if (plan.table !== this.holder.current().table) this.install(plan.table);
    this.queue.push(...plan.moves);
  }

  private install(table: Table): void {
    this.commits++;
    this.holder.set(new RoutingTable(table));
  }

  private newExecutor(): MoveExecutor {
    return new MoveExecutor({
      store: this.store, probe: this.probe, clock: this.clock, logger: silentLogger,
      options: { concurrencyMax: 2, budgetBytesPerMin: 64 * 1024 * 1024, checkIntervalMs: 50 },
    });
  }
}
