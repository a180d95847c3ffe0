/**
 * The proxy's RESP command layer: a RespHandler over a Coordinator (DESIGN.md section 7).
 *
 *   args -> name lookup (GET/SET by their bytes) -> arity -> AUTH gate
 *        -> wait for this connection's writes of the same keys (key-order.ts) -> command
 *        -> Reply | Promise<Reply> -> counted by outcome, latency observed
 *
 * Checks run in Redis's order (unknown command, then arity, then NOAUTH), so error replies match
 * Redis's. A command throwing or rejecting with a RingcacheError answers `-ERR <message>`;
 * anything else answers `-ERR internal error` and is logged (error-replies.ts has the mapping).
 */
import { PendingReply } from '../../resp/index.js';
import type { PendingReplyWaiter, Reply, RespConnection, RespHandler } from '../../resp/index.js';
import { RingcacheError, SeededRandom } from '../../runtime/index.js';
import { KeyspaceInfo } from './keyspace-info.js';
import type { Clock, Logger } from '../../runtime/index.js';
import { KvStore } from '../kv-store.js';
import { OUTCOME_FAILED, OUTCOME_OK, OUTCOME_REJECTED, ProxyMetrics } from '../metrics.js';
import type { Outcome } from '../metrics.js';
import { PROXY_DEFAULTS } from '../options.js';
import type { ProxyDeps, ProxyOptions } from '../options.js';
import type { CommandContext, ConnectionState, ServerView } from './command.js';
import { CommandTable, PROXY_COMMANDS } from './command-table.js';
import type { CommandSpec } from './command-table.js';
import { passwordDigest } from './connection-commands.js';
import { ERRORS, errorFor, unknownCommand } from './error-replies.js';
import { KeyOrder } from './key-order.js';
import type { InFlightWrite } from './key-order.js';
import { ValueReplies } from './value-replies.js';

/** Where the command layer keeps its per-connection state in RespConnection.state. */
const STATE_KEY = 'proxy';
/** Connection states are pruned against the server's live connections past this many (then 2x the survivors). */
const PRUNE_SIZE_MIN = 1024;
const MINUS = 0x2d;

export class ProxyRespHandler implements RespHandler {
  readonly metrics: ProxyMetrics;
  readonly kv: KvStore;
  readonly options: ProxyOptions;
  private readonly commands: CommandTable;
  private readonly context: CommandContext;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly connections = new Map<number, ConnectionState>();
  private readonly authenticatedByDefault: boolean;
  private server: ServerView | undefined;
  private pruneAtSize = PRUNE_SIZE_MIN;

  constructor(deps: ProxyDeps) {
    this.options = Object.freeze({ ...PROXY_DEFAULTS, ...deps.options });
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.metrics = deps.metrics ?? new ProxyMetrics(deps.registry, { coordinator: deps.coordinator, table: deps.table });
    this.kv = deps.kv ?? new KvStore(deps.coordinator, deps.table, deps.clock, deps.config);
    this.commands = new CommandTable(PROXY_COMMANDS, this.metrics, this.options.commandNameBytesMax);
    const digest = passwordDigest(deps.config.proxy.password);
    this.authenticatedByDefault = digest === null;
    this.context = {
      kv: this.kv,
      clock: deps.clock,
      random: deps.random ?? new SeededRandom(deps.clock.nowMs()),
      keyspace: new KeyspaceInfo(deps.coordinator, deps.table, deps.clock),
      config: deps.config,
      options: this.options,
      metrics: this.metrics,
      logger: deps.logger,
      passwordDigest: digest,
      values: new ValueReplies(this.kv, deps.clock, this.metrics),
      startedMs: deps.clock.monotonicMs(),
      server: () => this.server,
      stateOf: (connection) => this.stateOf(connection),
      knownConnections: () => this.connections,
      commands: () => PROXY_COMMANDS,
    };
  }

  /** Lets INFO and CLIENT LIST see the server's connections and counters (ProxyServer calls it). */
  attachServer(server: ServerView): void {
    this.server = server;
  }

  onCommand(args: Buffer[], connection: RespConnection): Reply | Promise<Reply> | PendingReply {
    const name = args[0];
    const spec = name === undefined ? undefined : this.commands.lookup(name);
    if (spec === undefined) {
      this.metrics.count(this.commands.unknownSeries, OUTCOME_REJECTED);
      return unknownCommand(args);
    }
    const arity = spec.arity;
    if (arity > 0 ? args.length !== arity : args.length < -arity) {
      this.metrics.count(spec.series, OUTCOME_REJECTED);
      return spec.arityError;
    }
    const startMs = this.clock.monotonicMs();
    const state = (connection.state[STATE_KEY] as ConnectionState | undefined) ?? this.register(connection);
    state.lastCommand = spec.definition.name;
    state.lastCommandMs = startMs;
    if (!state.authenticated && !spec.noAuth) {
      this.metrics.count(spec.series, OUTCOME_REJECTED);
      return ERRORS.noAuth;
    }
    let result: Reply | Promise<Reply> | PendingReply;
    const access = spec.access;
    const order = state.order;
    const wait = access === 'none' || order === undefined || order.idle ? undefined : order.waitFor(args, spec.definition.keys);
    if (wait === undefined) {
      try {
        result = spec.definition.run(args, connection, this.context);
      } catch (error) {
        return this.failed(spec, startMs, error);
      }
    } else {
      result = wait.then(() => spec.definition.run(args, connection, this.context));
    }
    if (result instanceof PendingReply) {
      const write = access === 'write' && !result.settled ? (state.order ??= new KeyOrder()).register(args, spec.definition.keys) : undefined;
      return new MeteredReply(this, spec, startMs, result, write);
    }
    if (access === 'write' && result instanceof Promise) (state.order ??= new KeyOrder()).registerPromise(args, spec.definition.keys, result);
    if (result instanceof Promise) {
      return result.then(
        (reply) => this.finished(spec.series, startMs, reply),
        (error: unknown) => this.failed(spec, startMs, error),
      );
    }
    return this.finished(spec.series, startMs, result);
  }

  /** Counts a command that answered (MeteredReply calls it too). */
  finished(series: number, startMs: number, reply: Reply): Reply {
    const isError = reply.kind === 'error' || (reply.kind === 'raw' && reply.bytes[0] === MINUS);
    this.metrics.record(series, isError ? OUTCOME_REJECTED : OUTCOME_OK, this.clock.monotonicMs() - startMs);
    return reply;
  }

  /** Counts a command that threw or rejected and answers its error (MeteredReply calls it too). */
  failed(spec: CommandSpec, startMs: number, error: unknown): Reply {
    let outcome: Outcome = OUTCOME_FAILED;
    let reply: Reply;
    if (error instanceof RingcacheError) {
      if (error.httpStatus < 500) outcome = OUTCOME_REJECTED;
      reply = errorFor(error);
    } else {
      this.logger.error({ err: error, command: spec.definition.name }, 'RESP command failed unexpectedly');
      reply = ERRORS.internal;
    }
    this.metrics.record(spec.series, outcome, this.clock.monotonicMs() - startMs);
    return reply;
  }

  private stateOf(connection: RespConnection): ConnectionState {
    return (connection.state[STATE_KEY] as ConnectionState | undefined) ?? this.register(connection);
  }

  private register(connection: RespConnection): ConnectionState {
    const startedMs = this.clock.monotonicMs();
    const state: ConnectionState = {
      id: connection.id,
      remoteAddress: connection.remoteAddress,
      createdMs: startedMs,
      authenticated: this.authenticatedByDefault,
      name: '',
      libName: '',
      libVersion: '',
      lastCommand: 'NULL',
      lastCommandMs: startedMs,
      order: undefined,
    };
    connection.state[STATE_KEY] = state;
    this.connections.set(connection.id, state);
    if (this.connections.size > this.pruneAtSize) this.prune();
    return state;
  }

  /** Forgets connections the server no longer has (amortized O(1) per new connection). */
  private prune(): void {
    const server = this.server;
    if (server === undefined) {
      // No server to ask (a handler driven directly): keep the newest half.
      let excess = this.connections.size - Math.floor(this.pruneAtSize / 2);
      for (const id of this.connections.keys()) {
        if (excess-- <= 0) break;
        this.connections.delete(id);
      }
    } else {
      const live = new Set(server.connectionInfo().map((info) => info.id));
      for (const id of this.connections.keys()) if (!live.has(id)) this.connections.delete(id);
    }
    this.pruneAtSize = Math.max(PRUNE_SIZE_MIN, this.connections.size * 2);
  }
}


/**
 * A command's PendingReply, counted in the metrics when it settles (what `.then(finished, failed)`
 * does for a promise) and, for a write, freeing its keys for the connection's later commands.
 */
class MeteredReply extends PendingReply implements PendingReplyWaiter {
  constructor(
    private readonly handler: ProxyRespHandler,
    private readonly spec: CommandSpec,
    private readonly startMs: number,
    command: PendingReply,
    private readonly write: InFlightWrite | undefined,
  ) {
    super();
    command.wait(this);
  }

  onPendingSettled(command: PendingReply): void {
    this.write?.finish();
    this.resolve(command.failed
      ? this.handler.failed(this.spec, this.startMs, command.failure)
      : this.handler.finished(this.spec.series, this.startMs, command.reply));
  }
}
