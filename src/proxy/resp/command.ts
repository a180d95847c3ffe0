/**
 * The shape of a RESP command of the proxy: what it runs, its Redis arity, and the metadata
 * COMMAND INFO / COMMAND DOCS report (redis-cli 7 builds its help and hints from COMMAND DOCS).
 * One file per command family exports a list of these; command-table.ts indexes them.
 */
import type { PendingReply, Reply, RespConnection, RespConnectionInfo, RespServerStats } from '../../resp/index.js';
import type { Clock, Logger, Random } from '../../runtime/index.js';
import type { KvStore } from '../kv-store.js';
import type { ProxyMetrics } from '../metrics.js';
import type { ProxyConfig, ProxyOptions } from '../options.js';
import type { KeyOrder } from './key-order.js';
import type { ValueReplies } from './value-replies.js';
import type { KeyspaceInfo } from './keyspace-info.js';
import type { SecretCheck } from '../../auth/index.js';

export type CommandRun = (args: Buffer[], connection: RespConnection, context: CommandContext) => Reply | Promise<Reply> | PendingReply;

/** COMMAND DOCS argument types redis-cli understands. */
export type ArgumentType = 'key' | 'string' | 'integer' | 'pure-token' | 'oneof' | 'block';

export interface ArgumentDoc {
  readonly name: string;
  readonly type: ArgumentType;
  readonly token?: string;
  readonly optional?: boolean;
  readonly multiple?: boolean;
  readonly arguments?: readonly ArgumentDoc[];
}

export interface CommandDoc {
  readonly summary: string;
  /** The Redis version that introduced it, or ringcache's for RC.* commands. */
  readonly since: string;
  readonly group: 'string' | 'generic' | 'connection' | 'server' | 'ringcache' | 'hash' | 'set' | 'sorted-set';
  readonly complexity: string;
  readonly arguments: readonly ArgumentDoc[];
}

export interface CommandDefinition extends CommandDoc {
  /** Lowercase, as COMMAND reports it: 'get', 'rc.getv'. */
  readonly name: string;
  /** Redis convention: n > 0 exactly n arguments (the name included), n < 0 at least -n. */
  readonly arity: number;
  /** COMMAND INFO flags: 'readonly', 'write', 'fast', 'noauth', 'loading', 'stale'... */
  readonly flags: readonly string[];
  /** COMMAND INFO key positions: first, last (negative counts from the end), step. */
  readonly keys: readonly [number, number, number];
  readonly categories: readonly string[];
  readonly run: CommandRun;
  /** Subcommands (CLIENT, COMMAND), for COMMAND DOCS; the container dispatches them itself. */
  readonly subcommands?: readonly SubcommandDefinition[];
}

export interface SubcommandDefinition extends CommandDoc {
  /** 'client|setname' */
  readonly name: string;
  readonly arity: number;
}

/** Per-connection state of the command layer, kept in RespConnection.state. */
export interface ConnectionState {
  readonly id: number;
  readonly remoteAddress: string;
  /** Clock.monotonicMs() at the first command: CLIENT LIST's age. */
  readonly createdMs: number;
  authenticated: boolean;
  name: string;
  libName: string;
  libVersion: string;
  lastCommand: string;
  /** Clock.monotonicMs() of the last command: CLIENT LIST's idle, and its latency's start. */
  lastCommandMs: number;
  /** Writes in flight by key, created at the connection's first write (key-order.ts). */
  order: KeyOrder | undefined;
}

/** The RESP server as INFO and CLIENT LIST see it (RespServer satisfies it). */
export interface ServerView {
  readonly stats: RespServerStats;
  readonly port: number;
  connectionInfo(): RespConnectionInfo[];
}

export interface CommandContext {
  readonly kv: KvStore;
  readonly clock: Clock;
  /** SRANDMEMBER's choices. */
  readonly random: Random;
  /** DBSIZE's and INFO's key counts. */
  readonly keyspace: KeyspaceInfo;
  readonly config: ProxyConfig;
  readonly options: ProxyOptions;
  readonly metrics: ProxyMetrics;
  readonly logger: Logger;
  /** proxy.password's check; null when it is empty (no authentication). */
  readonly passwordDigest: SecretCheck | null;
  /** The GET path's continuations (no closure per command). */
  readonly values: ValueReplies;
  /** Clock.monotonicMs() when the handler was built: INFO's uptime. */
  readonly startedMs: number;
  /** Set once the RESP server exists; undefined when the handler runs without one (unit tests). */
  server(): ServerView | undefined;
  stateOf(connection: RespConnection): ConnectionState;
  /** Connections this handler has seen and not yet pruned, by id (CLIENT LIST names). */
  knownConnections(): ReadonlyMap<number, ConnectionState>;
  commands(): readonly CommandDefinition[];
}

export const READ_FLAGS: readonly string[] = Object.freeze(['readonly', 'fast']);
export const WRITE_FLAGS: readonly string[] = Object.freeze(['write', 'denyoom']);
export const CONNECTION_FLAGS: readonly string[] = Object.freeze(['noscript', 'loading', 'stale', 'fast']);
export const NO_KEYS = Object.freeze<readonly [number, number, number]>([0, 0, 0]);
export const FIRST_KEY = Object.freeze<readonly [number, number, number]>([1, 1, 1]);
export const ALL_KEYS = Object.freeze<readonly [number, number, number]>([1, -1, 1]);

export function key(name = 'key', multiple = false): ArgumentDoc {
  return multiple ? { name, type: 'key', multiple: true } : { name, type: 'key' };
}

export function argument(name: string, type: ArgumentType, extra: Omit<ArgumentDoc, 'name' | 'type'> = {}): ArgumentDoc {
  return { name, type, ...extra };
}
