/**
 * The shard-master: owner of the members and of the epoch-numbered table (DESIGN.md sections 2
 * and 6). Everything else only reads tables; only `commit` makes a new one, and it does so in one
 * order, stage -> persist -> publish (riak_core's claimant commits the same way):
 *
 *   commit(table e+1)  -- validate --> saveState (fsync, rename) --> in memory --> wake long polls
 *
 * so an epoch that any follower has seen is always on disk, and a restarted master never hands
 * out a second, different table under an epoch already served.
 *
 * Start-up: the state file is authoritative once it exists. Without one, the master bootstraps
 * from `config.nodes` with the consistent-hashing placement (placement.ts) as epoch 1. Servers
 * listed in the config but absent from the state are reported, not added: membership changes go
 * through the admin API, so a stale config file can never silently reshape a running cluster.
 */
import type { Registry } from 'prom-client';
import type { RingcacheConfig } from '../src/config/index.js';
import { validateTable } from '../src/ring/index.js';
import type { ServerInfo, Table } from '../src/ring/index.js';
import { RingcacheError } from '../src/runtime/index.js';
import type { Clock, Logger, Startable } from '../src/runtime/index.js';
import { EpochWaiters } from './epoch-waiters.js';
import { MasterMetrics } from './master-metrics.js';
import { placeTable } from './placement.js';
import { compareIds } from './shares.js';
import { STATE_FORMAT_VERSION, loadState, saveState } from './state-store.js';
import type { MasterState } from './state-store.js';
import type { Move } from './moves/move-plan.js';

export interface ShardMasterOptions {
  /**
   * Most long polls parked at once. Followers are a known population (one per proxy, node and
   * client library instance), so this is sized well above it; beyond it, RC_ERR_OVERLOADED.
   * @default 4096
   */
  readonly longPollWaitersMax: number;
}

export const SHARD_MASTER_DEFAULTS: Readonly<ShardMasterOptions> = Object.freeze({ longPollWaitersMax: 4096 });

export interface ShardMasterDeps {
  readonly config: RingcacheConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The process's own prom-client Registry. */
  readonly registry: Registry;
  readonly options?: Partial<ShardMasterOptions>;
}

export class ShardMaster implements Startable {
  private state: MasterState | undefined;
  private phase: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  private readonly waiters: EpochWaiters;
  private readonly metrics: MasterMetrics;
  /** Commits run one at a time: each is checked against the table the previous one left. */
  private commitQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: ShardMasterDeps) {
    const options = { ...SHARD_MASTER_DEFAULTS, ...deps.options };
    this.waiters = new EpochWaiters(deps.clock, options.longPollWaitersMax);
    this.metrics = new MasterMetrics(deps.registry, {
      currentTable: () => this.state?.table,
      currentServers: () => this.state?.servers ?? [],
      longPollWaiters: () => this.waiters.size,
    });
  }

  get stateFile(): string {
    return this.deps.config.master.stateFile;
  }

  async start(): Promise<void> {
    if (this.phase !== 'new') throw new RingcacheError('RC_ERR_INTERNAL', `ShardMaster.start() called when ${this.phase}`);
    this.phase = 'starting';
    const loaded = await loadState(this.stateFile);
    if (loaded === undefined) {
      const state = this.bootstrap();
      await saveState(this.stateFile, state);
      this.state = state;
      this.metrics.commits.inc();
      this.deps.logger.info(
        { stateFile: this.stateFile, epoch: state.table.epoch, servers: state.servers.length },
        'no master state file: bootstrapped the table from config.nodes',
      );
    } else {
      this.state = loaded;
      this.warnOfConfigDrift(loaded);
      this.deps.logger.info({ stateFile: this.stateFile, epoch: loaded.table.epoch, servers: loaded.servers.length }, 'master state loaded');
    }
    // A stop() during the load wins: the master never starts serving.
    if (!this.isStopped()) this.phase = 'running';
  }

  /** Idempotent. Releases every long poll ("no news"); later commits and polls are refused. */
  stop(): void {
    this.phase = 'stopped';
    this.waiters.releaseAll();
  }

  /** The table in force (still readable after stop). */
  table(): Table {
    return this.loaded().table;
  }

  /** Every member, in id order. */
  servers(): readonly ServerInfo[] {
    return this.loaded().servers;
  }

  get longPollWaiters(): number {
    return this.waiters.size;
  }

  /**
   * Makes `next` the table in force. It must carry the current epoch + 1 (a plan computed on an
   * older table is refused with RC_ERR_STALE_TABLE, to be replanned) and the same V. `servers`
   * replaces the member list when given (joins, drains, removals). Persisted before published.
   */
  commit(next: Table, servers?: readonly ServerInfo[]): Promise<Table> {
    return this.commitPlan(next, servers, undefined);
  }

  /** Replica moves planned and not started yet (moves/move-executor.ts), persisted with the table. */
  queuedMoves(): readonly Move[] {
    return this.loaded().queuedMoves ?? [];
  }

  /**
   * `commit`, also replacing the queue of moves when `queued` is given; with `next` undefined
   * only the queue changes (persisted, no new epoch). One file write either way, so a table and
   * the plan that goes with it survive a restart together.
   */
  commitPlan(next: Table | undefined, servers: readonly ServerInfo[] | undefined, queued: readonly Move[] | undefined): Promise<Table> {
    const result = this.commitQueue.then(() => this.commitNow(next, servers, queued));
    this.commitQueue = result.catch(() => undefined);
    return result;
  }

  /**
   * The long poll: the table at once when its epoch is above `since`, else the next one
   * committed within `waitMs`, else undefined (also on `signal` abort and on stop).
   */
  async waitForEpochAfter(since: number, waitMs: number, signal?: AbortSignal): Promise<Table | undefined> {
    const table = this.loaded().table;
    if (this.isStopped()) throw new RingcacheError('RC_ERR_SHUTTING_DOWN', 'the shard-master is stopping');
    if (table.epoch > since) return table;
    try {
      return await this.waiters.wait(since, waitMs, signal);
    } catch (error) {
      this.metrics.longPollsRejected.inc();
      throw error;
    }
  }

  /** Answers every parked long poll "no news" (the HTTP server calls this before closing). */
  releaseWaiters(): void {
    this.waiters.releaseAll();
  }

  private async commitNow(proposed: Table | undefined, servers: readonly ServerInfo[] | undefined, queued: readonly Move[] | undefined): Promise<Table> {
    if (this.isStopped()) throw new RingcacheError('RC_ERR_SHUTTING_DOWN', 'the shard-master is stopping: no more commits');
    const current = this.loaded();
    const queuedMoves = queued ?? current.queuedMoves ?? [];
    if (proposed === undefined) {
      const state: MasterState = { formatVersion: STATE_FORMAT_VERSION, servers: current.servers, table: current.table, ...(queuedMoves.length === 0 ? {} : { queuedMoves }) };
      await saveState(this.stateFile, state);
      this.state = state;
      return current.table;
    }
    const next = proposed;
    if (next.epoch !== current.table.epoch + 1) {
      throw new RingcacheError(
        'RC_ERR_STALE_TABLE',
        `commit of a table with epoch ${next.epoch} while epoch ${current.table.epoch} is in force; a new table carries the current epoch + 1 (replan on the current table)`,
        { epoch: current.table.epoch, proposed: next.epoch },
      );
    }
    if (next.vnodeCount !== current.table.vnodeCount) {
      throw new RingcacheError(
        'RC_ERR_PLACEMENT',
        `commit of a table with V=${next.vnodeCount} while V=${current.table.vnodeCount}; V is fixed for the life of a cluster`,
      );
    }
    validateTable(next);
    const state: MasterState = {
      formatVersion: STATE_FORMAT_VERSION, servers: sortedServers(servers ?? current.servers), table: next, ...(queuedMoves.length === 0 ? {} : { queuedMoves }),
    };
    await saveState(this.stateFile, state);
    this.state = state;
    this.metrics.commits.inc();
    const woken = this.waiters.publish(next);
    this.deps.logger.info({ epoch: next.epoch, servers: state.servers.length, woken }, 'table committed');
    return next;
  }

  private isStopped(): boolean {
    return this.phase === 'stopped';
  }

  private loaded(): MasterState {
    if (this.state === undefined) throw new RingcacheError('RC_ERR_INTERNAL', 'the shard-master has not started');
    return this.state;
  }

  private bootstrap(): MasterState {
    const { config } = this.deps;
    if (config.nodes.length === 0) {
      throw new RingcacheError(
        'RC_ERR_CONFIG',
        `no master state file at ${this.stateFile} and config.nodes is empty: nothing to bootstrap a cluster from (list the storage nodes in nodes[])`,
        { path: this.stateFile },
      );
    }
    const servers = sortedServers(config.nodes.map((node): ServerInfo => ({
      id: node.id,
      zone: node.zone,
      capacity: node.capacity,
      host: node.host,
      port: node.port,
      httpPort: node.httpPort,
      state: 'active',
    })));
    const table = placeTable({
      servers,
      vnodeCount: config.cluster.vnodeCount,
      replicaCount: config.cluster.replicaCount,
      tokensPerServer: config.cluster.tokensPerServer,
      epoch: 1,
    });
    return { formatVersion: STATE_FORMAT_VERSION, servers, table };
  }

  private warnOfConfigDrift(state: MasterState): void {
    const { config, logger } = this.deps;
    const known = new Set(state.servers.map((server) => server.id));
    const unknown = config.nodes.filter((node) => !known.has(node.id)).map((node) => node.id);
    if (unknown.length > 0) {
      logger.warn(
        { stateFile: this.stateFile, servers: unknown },
        `config.nodes lists servers the master state does not have (${unknown.join(', ')}); the state file is authoritative after bootstrap: add servers through the admin API`,
      );
    }
    const { vnodeCount, replicaCount } = state.table;
    if (vnodeCount !== config.cluster.vnodeCount || replicaCount !== config.cluster.replicaCount) {
      logger.warn(
        { stateFile: this.stateFile, state: { vnodeCount, replicaCount }, config: { vnodeCount: config.cluster.vnodeCount, replicaCount: config.cluster.replicaCount } },
        'cluster.vnodeCount / cluster.replicaCount differ from the persisted table; the persisted table is kept',
      );
    }
  }
}

function sortedServers(servers: readonly ServerInfo[]): ServerInfo[] {
  return [...servers].sort((a, b) => compareIds(a.id, b.id));
}
