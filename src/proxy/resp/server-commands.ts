/**
 * TIME, CONFIG GET and the list commands' refusal.
 *
 * CONFIG GET answers a fixed set of parameters, each true of the proxy (redis-benchmark asks for
 * `save` and `appendonly`, clients ask for `databases`): there is one database, no snapshot and
 * no append-only file (a cache: durability is the N replicas), and the proxy itself stores
 * nothing, so it has no maxmemory (each node's limit is storage.bytesMax in the cluster config).
 * CONFIG SET and the other subcommands that change a server are refused: the cluster's settings
 * live in its config file.
 *
 * Lists are not offered: a list is addressed by position, and positions do not converge when
 * replicas accept concurrent pushes and pops (two LPUSHes on two sides of a partition, then an
 * LPOP on each: which element went to whom has no answer every replica agrees on without
 * consensus). The list commands answer an error that says so rather than "unknown command".
 */
import { arrayReply, bulkReply, errorReply, simpleReply } from '../../resp/index.js';
import type { Reply, ReplyValue } from '../../resp/index.js';
import { lowerName } from './arguments.js';
import type { CommandContext, CommandDefinition, SubcommandDefinition } from './command.js';
import { NO_KEYS, argument } from './command.js';
import { arityError, constantError, unknownSubcommand } from './error-replies.js';
import { globMatch } from './glob.js';

function time(_args: Buffer[], _connection: unknown, context: CommandContext): Reply {
  const micros = Math.floor(context.clock.nowMs() * 1000);
  const seconds = Math.floor(micros / 1_000_000);
  return arrayReply([bulkReply(String(seconds)), bulkReply(String(micros - seconds * 1_000_000))]);
}

/** Parameter -> value, in Redis's names; read from the proxy's config at each call. */
function parameters(context: CommandContext): readonly (readonly [string, string])[] {
  const { proxy, resp } = context.config;
  return [
    ['databases', '1'],
    ['save', ''],
    ['appendonly', 'no'],
    ['maxmemory', '0'],
    ['maxmemory-policy', 'noeviction'],
    ['bind', proxy.host],
    ['port', String(context.server()?.port ?? proxy.respPort)],
    ['proto-max-bulk-len', String(resp.bulkBytesMax)],
    ['cluster-enabled', 'no'],
    ['timeout', '0'],
  ];
}

/** CONFIG GET parameter [parameter ...]: each a glob, matched without case; each pair once. */
function configGet(args: Buffer[], context: CommandContext): Reply {
  const items: ReplyValue[] = [];
  const all = parameters(context);
  const answered = new Set<string>();
  for (let i = 2; i < args.length; i++) {
    const pattern = args[i] as Buffer;
    for (const [name, value] of all) {
      if (answered.has(name) || !globMatch(pattern, Buffer.from(name), true)) continue;
      answered.add(name);
      items.push(bulkReply(name), bulkReply(value));
    }
  }
  return arrayReply(items);
}

const CONFIG_REFUSED = constantError('ERR CONFIG SET, REWRITE and RESETSTAT are not offered: the cluster\'s settings live in its config file (docs/CONFIGURATION.md)');

const HELP_LINES = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'HELP',
  '    Print this help.',
];

const SUBCOMMANDS: readonly (SubcommandDefinition & { readonly run: (args: Buffer[], context: CommandContext) => Reply })[] = [
  {
    name: 'config|get', arity: -3, summary: 'Returns the effective values of configuration parameters.', since: '2.0.0', group: 'server',
    complexity: 'O(N) parameters', arguments: [argument('parameter', 'string', { multiple: true })], run: configGet,
  },
  { name: 'config|set', arity: -4, summary: 'Refused: settings live in the config file.', since: '2.0.0', group: 'server', complexity: 'O(1)', arguments: [], run: () => CONFIG_REFUSED },
  { name: 'config|rewrite', arity: 2, summary: 'Refused: settings live in the config file.', since: '2.8.0', group: 'server', complexity: 'O(1)', arguments: [], run: () => CONFIG_REFUSED },
  { name: 'config|resetstat', arity: 2, summary: 'Refused: counters are Prometheus counters, never reset.', since: '2.0.0', group: 'server', complexity: 'O(1)', arguments: [], run: () => CONFIG_REFUSED },
  {
    name: 'config|help', arity: 2, summary: 'Returns helpful text about the different subcommands.', since: '5.0.0', group: 'server', complexity: 'O(1)', arguments: [],
    run: () => arrayReply(HELP_LINES.map((line) => simpleReply(line))),
  },
];

const BY_NAME = new Map(SUBCOMMANDS.map((entry) => [entry.name.slice('config|'.length), { entry, arityError: arityError(entry.name) }]));

function config(args: Buffer[], _connection: unknown, context: CommandContext): Reply {
  const name = args[1] as Buffer;
  const found = name.length <= context.options.commandNameBytesMax ? BY_NAME.get(lowerName(name)) : undefined;
  if (found === undefined) return unknownSubcommand(name, 'config');
  const arity = found.entry.arity;
  if (arity > 0 ? args.length !== arity : args.length < -arity) return found.arityError;
  return found.entry.run(args, context);
}

const LIST_REFUSAL = errorReply(
  'ERR lists are not offered by ringcache: list positions do not converge when replicas accept concurrent pushes and pops; ' +
  'use a sorted set (scores as positions) or a hash',
);

/** The list commands of Redis 7, each answering LIST_REFUSAL whatever its arguments. */
const LIST_COMMAND_NAMES = [
  'lpush', 'rpush', 'lpushx', 'rpushx', 'lpop', 'rpop', 'llen', 'lrange', 'lindex', 'lset', 'lrem', 'ltrim', 'linsert', 'lpos',
  'rpoplpush', 'lmove', 'lmpop', 'blpop', 'brpop', 'brpoplpush', 'blmove', 'blmpop',
];

const LIST_COMMANDS: readonly CommandDefinition[] = LIST_COMMAND_NAMES.map((name): CommandDefinition => ({
  name, arity: -1, flags: ['fast'], keys: NO_KEYS, categories: ['@list'], run: () => LIST_REFUSAL,
  summary: 'Not offered: list positions do not converge under concurrent pushes and pops.',
  since: '0.1.0', group: 'ringcache', complexity: 'O(1): refused', arguments: [],
}));

export const SERVER_COMMANDS: readonly CommandDefinition[] = [
  {
    name: 'time', arity: 1, flags: ['loading', 'stale', 'fast'], keys: NO_KEYS, categories: ['@fast'], run: time,
    summary: 'The proxy\'s wall clock: Unix seconds and microseconds.', since: '2.6.0', group: 'server', complexity: 'O(1)', arguments: [],
  },
  {
    name: 'config', arity: -2, flags: ['loading', 'stale'], keys: NO_KEYS, categories: ['@slow'], run: config,
    summary: 'A container for server configuration commands (GET only).', since: '2.0.0', group: 'server', complexity: 'Depends on subcommand.',
    arguments: [], subcommands: SUBCOMMANDS,
  },
  ...LIST_COMMANDS,
];
