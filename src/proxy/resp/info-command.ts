/**
 * INFO [section ...] in Redis's format ("# Section\r\nkey:value\r\n", sections separated by a blank
 * line), with ringcache's own facts in "# Ringcache": the table epoch, N/R/W, server liveness and
 * the coordinator's counters. ioredis's ready check reads `loading:0` from here on every connect.
 */
import { bulkReply } from '../../resp/index.js';
import type { Reply } from '../../resp/index.js';
import { REDIS_COMPATIBLE_VERSION, RINGCACHE_VERSION } from '../options.js';
import { lowerName } from './arguments.js';
import type { CommandContext, CommandDefinition } from './command.js';
import { NO_KEYS, argument } from './command.js';
import type { KeyCounts } from '../../keyspace/index.js';

type Lines = readonly (readonly [string, string | number])[];

/** A section from the proxy's context and the cluster's key counts (undefined before the first count). */
type Section = (context: CommandContext, counts: KeyCounts | undefined) => Lines;

const SECTIONS: readonly [string, Section][] = [
  ['server', serverSection],
  ['clients', (context) => [['connected_clients', context.server()?.stats.connectionsOpen ?? 0], ['blocked_clients', 0]]],
  ['persistence', () => [['loading', 0], ['rdb_changes_since_last_save', 0]]],
  ['stats', statsSection],
  ['replication', () => [['role', 'master'], ['connected_slaves', 0]]],
  ['ringcache', ringcacheSection],
  ['memory', memorySection],
  ['keyspace', keyspaceSection],
];

const ALL_SECTIONS = new Set(['all', 'default', 'everything']);

function humanBytes(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${String(bytes)}B` : `${value.toFixed(2)}${units[unit] as string}`;
}

/**
 * used_memory is what the cluster's nodes hold by their own accounting (storage.bytesMax's
 * measure, every replica's copy counted): what `redis-cli --stat` shows as "mem". The proxy's own
 * process memory is used_memory_rss.
 */
function memorySection(context: CommandContext, counts: KeyCounts | undefined): Lines {
  const used = counts?.bytes ?? 0;
  const rss = process.memoryUsage().rss;
  return [
    ['used_memory', used],
    ['used_memory_human', humanBytes(used)],
    ['used_memory_rss', rss],
    ['used_memory_rss_human', humanBytes(rss)],
    ['maxmemory', 0],
    ['maxmemory_policy', 'noeviction'],
    ['nodes_reporting', `${String(counts?.serversAnswered ?? 0)}/${String(counts?.servers ?? context.kv.table.current().table.servers.length)}`],
  ];
}

/** Redis omits an empty database; expiries are per sibling here, not counted per key. */
function keyspaceSection(_context: CommandContext, counts: KeyCounts | undefined): Lines {
  if (counts === undefined || counts.keys === 0) return [];
  return [['db0', `keys=${String(counts.keys)},expires=0,avg_ttl=0`]];
}

function serverSection(context: CommandContext): Lines {
  const uptimeSeconds = Math.floor((context.clock.monotonicMs() - context.startedMs) / 1000);
  return [
    ['redis_version', REDIS_COMPATIBLE_VERSION],
    ['ringcache_version', RINGCACHE_VERSION],
    ['redis_mode', 'standalone'],
    ['os', `${process.platform} ${process.arch}`],
    ['arch_bits', 64],
    ['process_id', process.pid],
    ['tcp_port', context.server()?.port ?? context.config.proxy.respPort],
    ['uptime_in_seconds', uptimeSeconds],
    ['uptime_in_days', Math.floor(uptimeSeconds / 86_400)],
  ];
}

function statsSection(context: CommandContext): Lines {
  const stats = context.server()?.stats;
  const reads = context.metrics.reads;
  return [
    ['total_connections_received', stats?.connectionsAccepted ?? 0],
    ['total_commands_processed', stats?.commands ?? 0],
    ['total_protocol_errors', stats?.protocolErrors ?? 0],
    ['total_read_pauses', stats?.readPauses ?? 0],
    ['keyspace_hits', reads.hits],
    ['keyspace_misses', reads.misses],
    ['sibling_reads', reads.withSiblings],
  ];
}

function ringcacheSection(context: CommandContext): Lines {
  const coordinator = context.kv.coordinator;
  const table = context.kv.table.current();
  const servers = table.table.servers;
  const down = servers.filter((server) => !coordinator.liveness.isUp(server.id)).length;
  const stats = coordinator.stats;
  return [
    ['table_epoch', table.epoch],
    ['vnodes', table.vnodeCount],
    ['replicas_n', table.replicaCount],
    ['quorum_r', coordinator.options.r],
    ['quorum_w', coordinator.options.w],
    ['servers', servers.length],
    ['servers_down', down],
    ['coordinator_reads', stats.reads],
    ['coordinator_writes', stats.writes],
    ['read_quorum_failures', stats.readFailures],
    ['write_quorum_failures', stats.writeFailures],
    ['hedged_reads', stats.hedgedReads],
    ['read_repairs', stats.readRepairs],
    ['key_bytes_max', context.config.limits.keyBytesMax],
    ['value_bytes_max', context.config.limits.valueBytesMax],
  ];
}

function render(context: CommandContext, wanted: (name: string) => boolean, counts: KeyCounts | undefined): Reply {
  const parts: string[] = [];
  for (const [name, build] of SECTIONS) {
    if (!wanted(name)) continue;
    let part = `# ${name.charAt(0).toUpperCase()}${name.slice(1)}\r\n`;
    for (const [key, value] of build(context, counts)) part += `${key}:${String(value)}\r\n`;
    parts.push(part);
  }
  return bulkReply(parts.join('\r\n'));
}

/**
 * Memory and keyspace ask every node (through KeyspaceInfo): asked for by name they wait for
 * fresh counts; in a default INFO (every ioredis connect) they wait at most
 * ProxyOptions.infoKeyspaceWaitMs and otherwise show the last counts.
 */
function info(args: Buffer[], _connection: unknown, context: CommandContext): Reply | Promise<Reply> {
  const asked = new Set<string>();
  for (let i = 1; i < args.length; i++) {
    const arg = args[i] as Buffer;
    if (arg.length <= context.options.commandNameBytesMax) asked.add(lowerName(arg));
  }
  const everything = (asked.size === 0 && args.length === 1) || [...asked].some((name) => ALL_SECTIONS.has(name));
  const wanted = (name: string): boolean => everything || asked.has(name);
  if (!wanted('memory') && !wanted('keyspace')) return render(context, wanted, undefined);
  const counts = asked.has('memory') || asked.has('keyspace')
    ? context.keyspace.fresh().catch(() => undefined)
    : context.keyspace.soon(context.options.infoKeyspaceWaitMs);
  return counts.then((known) => render(context, wanted, known));
}

export const INFO_COMMAND: CommandDefinition = {
  name: 'info', arity: -1, flags: ['loading', 'stale'], keys: NO_KEYS, categories: ['@slow', '@dangerous'], run: info,
  summary: 'Information and statistics about the proxy and the cluster as it sees it (section "ringcache").',
  since: '1.0.0', group: 'server', complexity: 'O(S) servers of the table',
  arguments: [argument('section', 'string', { optional: true, multiple: true })],
};
