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

type Lines = readonly (readonly [string, string | number])[];

const SECTIONS: readonly [string, (context: CommandContext) => Lines][] = [
  ['server', serverSection],
  ['clients', (context) => [['connected_clients', context.server()?.stats.connectionsOpen ?? 0], ['blocked_clients', 0]]],
  ['persistence', () => [['loading', 0], ['rdb_changes_since_last_save', 0]]],
  ['stats', statsSection],
  ['replication', () => [['role', 'master'], ['connected_slaves', 0]]],
  ['ringcache', ringcacheSection],
  // The proxy holds no keys; the nodes do (their HTTP /v1/stats). Redis too prints an empty section.
  ['keyspace', () => []],
];

const ALL_SECTIONS = new Set(['all', 'default', 'everything']);

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

function info(args: Buffer[], _connection: unknown, context: CommandContext): Reply {
  const asked = new Set<string>();
  for (let i = 1; i < args.length; i++) {
    const arg = args[i] as Buffer;
    if (arg.length <= context.options.commandNameBytesMax) asked.add(lowerName(arg));
  }
  const everything = (asked.size === 0 && args.length === 1) || [...asked].some((name) => ALL_SECTIONS.has(name));
  const parts: string[] = [];
  for (const [name, build] of SECTIONS) {
    if (!everything && !asked.has(name)) continue;
    let part = `# ${name.charAt(0).toUpperCase()}${name.slice(1)}\r\n`;
    for (const [key, value] of build(context)) part += `${key}:${String(value)}\r\n`;
    parts.push(part);
  }
  return bulkReply(parts.join('\r\n'));
}

export const INFO_COMMAND: CommandDefinition = {
  name: 'info', arity: -1, flags: ['loading', 'stale'], keys: NO_KEYS, categories: ['@slow', '@dangerous'], run: info,
  summary: 'Information and statistics about the proxy and the cluster as it sees it (section "ringcache").',
  since: '1.0.0', group: 'server', complexity: 'O(S) servers of the table',
  arguments: [argument('section', 'string', { optional: true, multiple: true })],
};
