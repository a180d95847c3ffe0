/**
 * A follower of the shard-master's table: how proxies, nodes and the client library learn each
 * new epoch (DESIGN.md sections 2 and 6).
 *
 *   start():  GET /v1/table ----------------------------> table (or, master down: cacheFile)
 *   follow:   GET /v1/table?since=E&waitMs=W  -- parked on the master until epoch E+1 commits
 *               200 table E+1 -> validate -> swap -> write cacheFile -> onChange listeners
 *               304 (no commit within W)      -> ask again
 *               error / master down           -> back off (capped, doubling) and ask again
 *
 * The data plane never waits on the master: `current()` always answers with the last good table,
 * whatever the master is doing ("the data plane keeps working on the last table while the master
 * is down"). A table that fails validation is refused and the last good one kept (validate.ts).
 * A peer that shows a newer epoch (`observeEpoch`) cuts a backoff short, as Dynamo's nodes
 * reconcile membership views when they talk.
 */
import { readFile, stat } from 'node:fs/promises';
import type { TableView } from '../replication/table-view.js';
import { RoutingTable } from '../ring/index.js';
import type { Table } from '../ring/index.js';
import { RingcacheError, SystemRandom, isRingcacheError } from '../runtime/index.js';
import type { Clock, Logger, Random, Startable } from '../runtime/index.js';
import { writeFileAtomic } from '../runtime/atomic-file.js';

export interface TableFollowerOptions {
  /** How long start() keeps asking the master (when no cache file helps) before it rejects. */
  readonly startTimeoutMs: number;
  /** waitMs asked of each long poll; the master caps it at its master.longPollMs. */
  readonly longPollMs: number;
  /** Deadline of a plain request, and the slack a long poll gets beyond its wait. */
  readonly requestTimeoutMs: number;
  /** First delay after a failure; it doubles per consecutive failure up to backoffMsMax. */
  readonly backoffMsMin: number;
  /** Longest delay between attempts while the master is down: bounds how stale we stay after it returns. */
  readonly backoffMsMax: number;
  /** Largest table accepted from the master or the cache file (V=65536, N=16 is ~10 MiB). */
  readonly tableBytesMax: number;
}

export const TABLE_FOLLOWER_DEFAULTS: Readonly<TableFollowerOptions> = Object.freeze({
  startTimeoutMs: 30_000,
  longPollMs: 25_000,
  requestTimeoutMs: 5_000,
  backoffMsMin: 100,
  backoffMsMax: 5_000,
  tableBytesMax: 64 * 1024 * 1024,
});

export interface TableFollowerDeps {
  /** e.g. http://127.0.0.1:7000 */
  readonly masterUrl: string;
  /** cluster.token; sent as `Authorization: Bearer` when not empty. */
  readonly token?: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where the last table is kept, so a restart while the master is down still routes. */
  readonly cacheFile?: string;
  /** Injected for tests; the global fetch otherwise. */
  readonly fetch?: typeof fetch;
  /** Jitters backoff delays so followers do not retry in lockstep; SystemRandom otherwise. */
  readonly random?: Random;
  readonly options?: Partial<TableFollowerOptions>;
}

/** Called after every new table is installed, the first one included. */
export type TableListener = (table: RoutingTable, previous: RoutingTable | undefined) => void;

type Source = 'master' | 'cache file';
type AbortCause = 'timeout' | 'stopped' | 'newer epoch';

interface Inflight {
  readonly controller: AbortController;
  cause?: AbortCause;
}

export class TableFollower implements TableView, Startable {
  private readonly options: TableFollowerOptions;
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly random: Random;
  private readonly listeners = new Set<TableListener>();
  private routing: RoutingTable | undefined;
  private phase: 'new' | 'starting' | 'following' | 'stopped' = 'new';
  private inflight: Inflight | undefined;
  /** Ends the current backoff pause early (stop, newer epoch seen). */
  private wake: (() => void) | undefined;
  /** Highest epoch a peer has shown us; each newer one triggers one immediate fetch. */
  private observedEpoch = 0;
  /** Set when observeEpoch aborted the running poll, so its failure is not counted as one. */
  private kicked = false;
  private loop: Promise<void> = Promise.resolve();
  private cacheWrites: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;

  constructor(private readonly deps: TableFollowerDeps) {
    this.options = { ...TABLE_FOLLOWER_DEFAULTS, ...deps.options };
    this.baseUrl = deps.masterUrl.replace(/\/+$/, '');
    this.fetch = deps.fetch ?? globalThis.fetch.bind(globalThis);
    this.random = deps.random ?? new SystemRandom();
  }

  /** The table in force; valid once start() has resolved. */
  current(): RoutingTable {
    if (this.routing === undefined) throw new RingcacheError('RC_ERR_INTERNAL', 'TableFollower.current() before start() resolved');
    return this.routing;
  }

  /** A peer showed `epoch`: fetch now rather than after the running long poll or backoff. */
  observeEpoch(epoch: number): void {
    if (this.phase !== 'following' || epoch <= this.observedEpoch || epoch <= this.current().epoch) return;
    this.observedEpoch = epoch;
    this.deps.logger.debug({ epoch, ours: this.current().epoch }, 'a peer has a newer table epoch: fetching it');
    if (this.inflight !== undefined) {
      this.kicked = true;
      this.abortInflight('newer epoch');
    }
    this.wake?.();
  }

  /** Returns the function that unsubscribes. */
  onChange(listener: TableListener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  async start(): Promise<void> {
    if (this.phase !== 'new') throw new RingcacheError('RC_ERR_INTERNAL', `TableFollower.start() called when ${this.phase}`);
    this.phase = 'starting';
    await this.firstTable();
    if (this.isStopped()) throw new RingcacheError('RC_ERR_SHUTTING_DOWN', 'the table follower was stopped while starting');
    this.phase = 'following';
    this.loop = this.follow().catch((error: unknown) => {
      this.deps.logger.error({ err: error, masterUrl: this.baseUrl }, 'table follower loop failed; routing stays on the last table');
    });
  }

  /** Idempotent: aborts the running request and backoff, waits for the loop and cache writes. */
  stop(): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    this.phase = 'stopped';
    this.abortInflight('stopped');
    this.wake?.();
    this.stopping = this.loop.then(() => this.cacheWrites);
    return this.stopping;
  }

  private isStopped(): boolean {
    return this.phase === 'stopped';
  }

  /** From the master, else from the cache file once the master has failed; until startTimeoutMs. */
  private async firstTable(): Promise<void> {
    const { clock } = this.deps;
    const deadlineMs = clock.nowMs() + this.options.startTimeoutMs;
    let cacheTried = false;
    for (let failures = 1; ; failures++) {
      if (this.isStopped()) return;
      const remainingMs = deadlineMs - clock.nowMs();
      try {
        const table = await this.request('/v1/table', Math.max(1, Math.min(this.options.requestTimeoutMs, remainingMs)));
        if (table === undefined) throw new RingcacheError('RC_ERR_INTERNAL', `the shard-master at ${this.baseUrl} answered 304 without a since`);
        this.install(table, 'master');
        return;
      } catch (error) {
        if (this.isStopped()) return;
        if (isRingcacheError(error, 'RC_ERR_UNAUTHORIZED')) throw error; // retrying cannot fix a wrong token
        if (!cacheTried) {
          cacheTried = true;
          if (await this.loadCache(error)) return;
        }
        const leftMs = deadlineMs - clock.nowMs();
        if (leftMs <= 0) throw this.startFailure(error);
        this.logFailure(error, failures);
        await this.pause(Math.min(this.backoffMs(failures), leftMs));
      }
    }
  }

  private startFailure(error: unknown): RingcacheError {
    const cache = this.deps.cacheFile === undefined ? 'no cache file is configured' : `cache file ${this.deps.cacheFile} is missing or unusable`;
    return new RingcacheError(
      'RC_ERR_UNREACHABLE',
      `no table: the shard-master at ${this.baseUrl} gave none within startTimeoutMs=${this.options.startTimeoutMs} (${(error as Error).message}) and ${cache}; start the master or check master.host/master.port`,
      { masterUrl: this.baseUrl },
    );
  }

  private async follow(): Promise<void> {
    const { longPollMs, requestTimeoutMs } = this.options;
    let failures = 0;
    while (!this.isStopped()) {
      try {
        const ours = this.current().epoch;
        const table = await this.request(`/v1/table?since=${ours}&waitMs=${longPollMs}`, longPollMs + requestTimeoutMs);
        this.kicked = false;
        if (table !== undefined && !this.install(table, 'master')) throw this.notNewer(table, ours);
        if (failures > 0) this.deps.logger.info({ masterUrl: this.baseUrl, failures }, 'shard-master answering again');
        failures = 0;
      } catch (error) {
        if (this.isStopped()) break;
        if (this.kicked) {
          this.kicked = false; // observeEpoch aborted the poll on purpose: ask again now
          continue;
        }
        failures++;
        this.logFailure(error, failures);
        await this.pause(this.backoffMs(failures));
      }
    }
  }

  /** A master answering an epoch we are past (restored from an old backup?) must not make us spin. */
  private notNewer(table: unknown, ours: number): RingcacheError {
    const epoch = (table as Partial<Table>).epoch;
    return new RingcacheError(
      'RC_ERR_STALE_TABLE',
      `the shard-master at ${this.baseUrl} answered epoch ${String(epoch)}, not newer than our ${ours}; keeping ours (was its master.stateFile restored from an older copy?)`,
      { epoch, ours },
    );
  }

  /**
   * Validates and swaps in a table; false when its epoch is not above ours (epochs never go
   * back). An invalid table throws RC_ERR_PLACEMENT and changes nothing.
   */
  private install(candidate: unknown, source: Source): boolean {
    let routing: RoutingTable;
    try {
      routing = new RoutingTable(candidate as Table);
    } catch (error) {
      const from = source === 'master' ? `the shard-master at ${this.baseUrl}` : `cache file ${this.deps.cacheFile ?? ''}`;
      throw new RingcacheError('RC_ERR_PLACEMENT', `refused the table from ${from}: ${(error as Error).message}; keeping the last good table`);
    }
    const previous = this.routing;
    if (previous !== undefined && routing.epoch <= previous.epoch) {
      this.deps.logger.debug({ epoch: routing.epoch, ours: previous.epoch, source }, 'ignored a table not newer than ours');
      return false;
    }
    this.routing = routing;
    this.deps.logger.info({ epoch: routing.epoch, previous: previous?.epoch, source }, 'table installed');
    if (source === 'master') this.saveCache(routing.table);
    for (const listener of [...this.listeners]) {
      try {
        listener(routing, previous);
      } catch (error) {
        this.deps.logger.error({ err: error, epoch: routing.epoch }, 'a table listener threw');
      }
    }
    return true;
  }

  /** GET a table path: the parsed body on 200, undefined on 304, a RingcacheError otherwise. */
  private async request(path: string, timeoutMs: number): Promise<unknown> {
    const inflight: Inflight = { controller: new AbortController() };
    this.inflight = inflight;
    const timer = this.deps.clock.schedule(timeoutMs, () => { this.abortInflight('timeout', inflight); });
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.deps.token !== undefined && this.deps.token !== '') headers.authorization = `Bearer ${this.deps.token}`;
    try {
      const response = await this.fetch(`${this.baseUrl}${path}`, { headers, signal: inflight.controller.signal });
      if (response.status === 304) return undefined;
      if (response.status !== 200) throw await this.answerError(response);
      return JSON.parse(await readBounded(response, this.options.tableBytesMax)) as unknown;
    } catch (error) {
      throw this.describe(error, inflight, timeoutMs);
    } finally {
      timer.cancel();
      if (this.inflight === inflight) this.inflight = undefined;
    }
  }

  private describe(error: unknown, inflight: Inflight, timeoutMs: number): RingcacheError {
    const cause = inflight.cause;
    if (cause === 'timeout') {
      return new RingcacheError('RC_ERR_TIMEOUT', `the shard-master at ${this.baseUrl} did not answer within ${timeoutMs} ms`);
    }
    if (cause !== undefined) return new RingcacheError('RC_ERR_SHUTTING_DOWN', `table request aborted: ${cause}`); // stop or observeEpoch
    if (error instanceof RingcacheError) return error;
    if (error instanceof SyntaxError) {
      return new RingcacheError('RC_ERR_PLACEMENT', `the shard-master at ${this.baseUrl} sent a table that is not JSON: ${error.message}`);
    }
    const reason = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const detail = typeof reason?.code === 'string' ? reason.code : (error as Error).message;
    return new RingcacheError('RC_ERR_UNREACHABLE', `cannot reach the shard-master at ${this.baseUrl}: ${detail}`, { masterUrl: this.baseUrl });
  }

  private async answerError(response: Response): Promise<RingcacheError> {
    let body: { code?: unknown; message?: unknown } = {};
    try {
      body = JSON.parse(await readBounded(response, 64 * 1024)) as typeof body;
    } catch {
      // not our JSON error shape: the status says enough
    }
    const message = typeof body.message === 'string' ? body.message : response.statusText;
    const code = typeof body.code === 'string' ? body.code : `HTTP ${response.status}`;
    if (response.status === 401) {
      return new RingcacheError('RC_ERR_UNAUTHORIZED', `the shard-master at ${this.baseUrl} refused our cluster token (${message}); see cluster.token`);
    }
    const status = response.status;
    return new RingcacheError('RC_ERR_UNREACHABLE', `the shard-master at ${this.baseUrl} answered ${status} ${code}: ${message}`, { status, code });
  }

  private abortInflight(cause: AbortCause, only?: Inflight): void {
    const inflight = this.inflight;
    if (inflight === undefined || (only !== undefined && inflight !== only)) return;
    inflight.cause ??= cause;
    inflight.controller.abort();
  }

  /** Capped doubling with equal jitter: delay/2 + random * delay/2. */
  private backoffMs(failures: number): number {
    const { backoffMsMin, backoffMsMax } = this.options;
    const delayMs = Math.min(backoffMsMax, backoffMsMin * 2 ** Math.min(failures - 1, 30));
    return delayMs / 2 + this.random.next() * (delayMs / 2);
  }

  private pause(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.deps.clock.schedule(delayMs, () => { this.wake?.(); });
      this.wake = () => { timer.cancel(); this.wake = undefined; resolve(); };
    });
  }

  /** The first failure of a streak is a warning; the rest are debug, so a long outage does not flood logs. */
  private logFailure(error: unknown, failures: number): void {
    const fields = { err: (error as Error).message, masterUrl: this.baseUrl, failures, epoch: this.routing?.epoch };
    if (failures === 1) this.deps.logger.warn(fields, 'cannot get the table from the shard-master; retrying with backoff');
    else this.deps.logger.debug(fields, 'shard-master still failing');
  }

  /** Installs the cached table; false when there is none or it is unusable (logged). */
  private async loadCache(masterError: unknown): Promise<boolean> {
    const file = this.deps.cacheFile;
    if (file === undefined) return false;
    try {
      if ((await stat(file)).size > this.options.tableBytesMax) throw new Error(`larger than tableBytesMax=${this.options.tableBytesMax}`);
      this.install(JSON.parse(await readFile(file, 'utf8')) as unknown, 'cache file');
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      if (!missing) this.deps.logger.warn({ cacheFile: file, err: (error as Error).message }, 'table cache file unusable; ignoring it');
      return false;
    }
    this.deps.logger.warn(
      { cacheFile: file, epoch: this.current().epoch, masterUrl: this.baseUrl, err: (masterError as Error).message },
      'shard-master unreachable: routing on the cached table until it answers',
    );
    return true;
  }

  /** Writes run one after another, so the file always ends at the newest table. */
  private saveCache(table: Table): void {
    const file = this.deps.cacheFile;
    if (file === undefined) return;
    const json = `${JSON.stringify(table)}\n`;
    this.cacheWrites = this.cacheWrites
      .then(() => writeFileAtomic(file, json))
      .catch((error: unknown) => {
        this.deps.logger.warn({ cacheFile: file, err: (error as Error).message, epoch: table.epoch }, 'cannot write the table cache file');
      });
  }
}

/** Reads a fetch body, refusing one longer than `bytesMax` (a limit on what a peer sends). */
async function readBounded(response: Response, bytesMax: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > bytesMax) throw new RingcacheError('RC_ERR_VALUE_TOO_LARGE', `table of ${declared} bytes is above tableBytesMax=${bytesMax}`);
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > bytesMax) throw new RingcacheError('RC_ERR_VALUE_TOO_LARGE', `table longer than tableBytesMax=${bytesMax} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
