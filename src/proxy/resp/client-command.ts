/**
 * CLIENT ID | GETNAME | SETNAME | SETINFO | INFO | LIST | HELP: what ioredis (SETNAME, SETINFO on
 * connect) and redis-cli use, with Redis 7.2's replies. CLIENT LIST lines keep Redis's field
 * order; fields the proxy does not track (fd, buffers' memory) read 0 or -1.
 */
import { REPLIES, arrayReply, bulkReply, errorReply, integerReply, simpleReply } from '../../resp/index.js';
import type { Reply, RespConnection, RespConnectionInfo } from '../../resp/index.js';
import { isPrintableWord, isToken, lowerName, parseInteger, text } from './arguments.js';
import type { CommandContext, CommandDefinition, ConnectionState, SubcommandDefinition } from './command.js';
import { NO_KEYS, argument } from './command.js';
import { ERRORS, arityError, unknownSubcommand } from './error-replies.js';
import { setClientName } from './connection-commands.js';

type SubcommandRun = (args: Buffer[], connection: RespConnection, context: CommandContext) => Reply;

interface Subcommand extends SubcommandDefinition {
  readonly run: SubcommandRun;
}

function clientLine(info: RespConnectionInfo, state: ConnectionState | undefined, context: CommandContext): string {
  const server = context.server();
  const nowMs = context.clock.monotonicMs();
  const ageSeconds = state === undefined ? 0 : Math.floor((nowMs - state.createdMs) / 1000);
  const idleSeconds = state === undefined ? 0 : Math.floor((nowMs - state.lastCommandMs) / 1000);
  const localAddress = `${context.config.proxy.host}:${String(server?.port ?? context.config.proxy.respPort)}`;
  return `id=${String(info.id)} addr=${info.remoteAddress} laddr=${localAddress} fd=-1 name=${state?.name ?? ''} ` +
    `age=${String(ageSeconds)} idle=${String(idleSeconds)} flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 ` +
    `qbuf=${String(info.inputBytes)} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=${String(info.inflight)} ` +
    `omem=${String(info.outputBytes)} tot-mem=0 events=${info.paused ? '' : 'r'} cmd=${state?.lastCommand ?? 'NULL'} user=default ` +
    `redir=-1 resp=2 lib-name=${state?.libName ?? ''} lib-ver=${state?.libVersion ?? ''}\n`;
}

/** This connection as the server sees it, or a line built from the command layer's state alone. */
function ownInfo(connection: RespConnection, context: CommandContext): RespConnectionInfo {
  const info = context.server()?.connectionInfo().find((candidate) => candidate.id === connection.id);
  return info ?? { id: connection.id, remoteAddress: connection.remoteAddress, phase: 'open', inflight: 1, paused: false, outputBytes: 0, inputBytes: 0 };
}

/** CLIENT LIST [TYPE type] [ID id ...] as Redis 7.0 parses it. */
function list(args: Buffer[], _connection: RespConnection, context: CommandContext): Reply {
  let ids: Set<number> | undefined;
  if (args.length === 4 && isToken(args[2] as Buffer, 'type')) {
    const type = lowerName(args[3] as Buffer);
    if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(type)) return errorReply(`ERR Unknown client type '${text(args[3] as Buffer)}'`);
    if (type !== 'normal') return bulkReply('');
  } else if (args.length > 3 && isToken(args[2] as Buffer, 'id')) {
    ids = new Set();
    for (let j = 3; j < args.length; j++) {
      const id = parseInteger(args[j] as Buffer);
      if (id === undefined) return ERRORS.notInteger;
      if (id < 1) return errorReply('ERR value is out of range, must be positive');
      ids.add(id);
    }
  } else if (args.length !== 2) {
    return ERRORS.syntax;
  }
  const known = context.knownConnections();
  let lines = '';
  let listed = 0;
  for (const info of context.server()?.connectionInfo() ?? []) {
    if (listed >= context.options.clientListMax) break;
    if (info.phase !== 'open' || (ids !== undefined && !ids.has(info.id))) continue;
    lines += clientLine(info, known.get(info.id), context);
    listed++;
  }
  return bulkReply(lines);
}

function setInfo(args: Buffer[], connection: RespConnection, context: CommandContext): Reply {
  const attribute = args[2] as Buffer;
  const value = args[3] as Buffer;
  const isName = isToken(attribute, 'lib-name');
  if (!isName && !isToken(attribute, 'lib-ver')) return errorReply(`ERR Unrecognized option '${text(attribute)}'`);
  if (!isPrintableWord(value) || value.length > context.options.clientNameBytesMax) {
    return errorReply(`ERR ${text(attribute)} cannot contain spaces, newlines or special characters.`);
  }
  const state = context.stateOf(connection);
  if (isName) state.libName = value.toString('latin1');
  else state.libVersion = value.toString('latin1');
  return REPLIES.ok;
}

const HELP_LINES = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GETNAME', '    Return the name of the current connection.',
  'ID', '    Return the ID of the current connection.',
  'INFO', '    Return information about the current client connection.',
  'LIST [TYPE <normal|master|replica|pubsub>] [ID <id> [<id> ...]]', '    Return information about client connections.',
  'SETINFO <option> <value>', '    Set client meta attr. Options are: LIB-NAME, LIB-VER.',
  'SETNAME <name>', '    Assign the name <name> to the current connection.',
  'HELP', '    Print this help.',
];

const subcommand = (name: string, arity: number, summary: string, run: SubcommandRun, args: SubcommandDefinition['arguments'] = []): Subcommand => ({
  name: `client|${name}`, arity, summary, since: name === 'setinfo' ? '7.2.0' : '2.4.0', group: 'connection', complexity: 'O(1)', arguments: args, run,
});

const SUBCOMMANDS: readonly Subcommand[] = [
  subcommand('id', 2, 'Returns the unique client ID of the connection.', (_args, connection) => integerReply(connection.id)),
  subcommand('getname', 2, 'Returns the name of the connection.', (_args, connection, context) => {
    const name = context.stateOf(connection).name;
    return name === '' ? REPLIES.nullBulk : bulkReply(name);
  }),
  subcommand('setname', 3, 'Sets the connection name.', (args, connection, context) =>
    setClientName(context.stateOf(connection), args[2] as Buffer, context) ?? REPLIES.ok, [argument('connection-name', 'string')]),
  subcommand('setinfo', 4, 'Sets information specific to the client or connection.', setInfo,
    [argument('attr', 'oneof', { arguments: [argument('libname', 'string', { token: 'LIB-NAME' }), argument('libver', 'string', { token: 'LIB-VER' })] })]),
  subcommand('info', 2, 'Returns information about the connection.', (_args, connection, context) =>
    bulkReply(clientLine(ownInfo(connection, context), context.stateOf(connection), context))),
  subcommand('list', -2, 'Lists open connections.', list, [argument('client-type', 'string', { token: 'TYPE', optional: true })]),
  subcommand('help', 2, 'Returns helpful text about the different subcommands.', () => arrayReply(HELP_LINES.map((line) => simpleReply(line)))),
];

const BY_NAME = new Map(SUBCOMMANDS.map((entry) => [entry.name.slice('client|'.length), { entry, arityError: arityError(entry.name) }]));

function client(args: Buffer[], connection: RespConnection, context: CommandContext): Reply {
  const name = args[1] as Buffer;
  const found = name.length <= context.options.commandNameBytesMax ? BY_NAME.get(lowerName(name)) : undefined;
  if (found === undefined) return unknownSubcommand(name, 'client');
  const arity = found.entry.arity;
  if (arity > 0 ? args.length !== arity : args.length < -arity) return found.arityError;
  return found.entry.run(args, connection, context);
}

export const CLIENT_COMMAND: CommandDefinition = {
  name: 'client', arity: -2, flags: ['noscript', 'loading', 'stale'], keys: NO_KEYS, categories: ['@slow', '@connection'], run: client,
  summary: 'A container for client connection commands.', since: '2.4.0', group: 'connection', complexity: 'Depends on subcommand.',
  arguments: [], subcommands: SUBCOMMANDS,
};
