/**
 * COMMAND [COUNT | INFO name... | DOCS name... | LIST | HELP] in Redis 7's reply shapes, over the
 * proxy's own command table. redis-cli 7 sends COMMAND DOCS when it starts interactively and
 * builds its help and hints from it (and asserts on the shape: argument flags are status replies,
 * every argument has a type).
 */
import { arrayReply, bulkReply, integerReply, simpleReply } from '../../resp/index.js';
import type { Reply, ReplyValue } from '../../resp/index.js';
import { isToken, lowerName } from './arguments.js';
import type { ArgumentDoc, CommandContext, CommandDefinition, CommandDoc, SubcommandDefinition } from './command.js';
import { NO_KEYS, argument } from './command.js';
import { ERRORS, arityError, unknownSubcommand } from './error-replies.js';

function statusList(items: readonly string[]): ReplyValue {
  return arrayReply(items.map((item) => simpleReply(item)));
}

/** One COMMAND INFO entry: name, arity, flags, first key, last key, step, categories, tips, key specs, subcommands. */
function infoEntry(command: CommandDefinition | SubcommandDefinition): ReplyValue {
  const full = 'flags' in command ? command : undefined;
  const [first, last, step] = full?.keys ?? NO_KEYS;
  return arrayReply([
    bulkReply(command.name),
    integerReply(command.arity),
    statusList(full?.flags ?? []),
    integerReply(first),
    integerReply(last),
    integerReply(step),
    statusList(full?.categories ?? ['@slow']),
    arrayReply([]),
    arrayReply([]),
    arrayReply((full?.subcommands ?? []).map(infoEntry)),
  ]);
}

function argumentDoc(doc: ArgumentDoc): ReplyValue {
  const items: ReplyValue[] = [bulkReply('name'), bulkReply(doc.name), bulkReply('type'), bulkReply(doc.type)];
  if (doc.token !== undefined) items.push(bulkReply('token'), bulkReply(doc.token));
  const flags: string[] = [];
  if (doc.optional === true) flags.push('optional');
  if (doc.multiple === true) flags.push('multiple');
  if (flags.length > 0) items.push(bulkReply('flags'), statusList(flags));
  if (doc.arguments !== undefined) items.push(bulkReply('arguments'), arrayReply(doc.arguments.map(argumentDoc)));
  return arrayReply(items);
}

function docsEntry(command: CommandDoc & { readonly subcommands?: readonly SubcommandDefinition[] }): ReplyValue {
  const items: ReplyValue[] = [
    bulkReply('summary'), bulkReply(command.summary),
    bulkReply('since'), bulkReply(command.since),
    bulkReply('group'), bulkReply(command.group),
    bulkReply('complexity'), bulkReply(command.complexity),
  ];
  if (command.arguments.length > 0) items.push(bulkReply('arguments'), arrayReply(command.arguments.map(argumentDoc)));
  if (command.subcommands !== undefined) {
    const subcommands: ReplyValue[] = [];
    for (const subcommand of command.subcommands) subcommands.push(bulkReply(subcommand.name), docsEntry(subcommand));
    items.push(bulkReply('subcommands'), arrayReply(subcommands));
  }
  return arrayReply(items);
}

/** The named commands (unknown ones: undefined), or all when no name is given. */
function selected(args: Buffer[], context: CommandContext): (CommandDefinition | undefined)[] {
  const commands = context.commands();
  if (args.length <= 2) return [...commands];
  const byName = new Map(commands.map((command) => [command.name, command]));
  return args.slice(2).map((arg) => arg.length <= context.options.commandNameBytesMax ? byName.get(lowerName(arg)) : undefined);
}

const HELP_LINES = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)', '    Return details about all commands.',
  'COUNT', '    Return the total number of commands.',
  'DOCS [<command-name> ...]', '    Return documentary information about commands.',
  'INFO [<command-name> ...]', '    Return details about multiple commands.',
  'LIST', '    Return a list of all commands.',
  'HELP', '    Print this help.',
];

const COUNT_ARITY = arityError('command|count');
const HELP_ARITY = arityError('command|help');

function command(args: Buffer[], _connection: unknown, context: CommandContext): Reply {
  if (args.length === 1) return arrayReply(context.commands().map(infoEntry));
  const sub = args[1] as Buffer;
  if (isToken(sub, 'count')) return args.length === 2 ? integerReply(context.commands().length) : COUNT_ARITY;
  if (isToken(sub, 'info')) return arrayReply(selected(args, context).map((entry) => entry === undefined ? bulkReply(null) : infoEntry(entry)));
  if (isToken(sub, 'docs')) {
    const items: ReplyValue[] = [];
    for (const entry of selected(args, context)) if (entry !== undefined) items.push(bulkReply(entry.name), docsEntry(entry));
    return arrayReply(items);
  }
  if (isToken(sub, 'list')) return args.length === 2 ? arrayReply(context.commands().map((entry) => bulkReply(entry.name))) : ERRORS.syntax;
  if (isToken(sub, 'help')) return args.length === 2 ? arrayReply(HELP_LINES.map((line) => simpleReply(line))) : HELP_ARITY;
  return unknownSubcommand(sub, 'command');
}

const sub = (name: string, arity: number, summary: string, args: readonly ArgumentDoc[] = []): SubcommandDefinition => ({
  name: `command|${name}`, arity, summary, since: '7.0.0', group: 'server', complexity: 'O(N) commands', arguments: args,
});

export const COMMAND_COMMAND: CommandDefinition = {
  name: 'command', arity: -1, flags: ['loading', 'stale'], keys: NO_KEYS, categories: ['@slow', '@connection'], run: command,
  summary: 'Details about the proxy\'s commands.', since: '2.8.13', group: 'server', complexity: 'O(N) commands', arguments: [],
  subcommands: [
    sub('count', 2, 'Returns a count of commands.'),
    sub('docs', -2, 'Returns documentary information about one, multiple or all commands.', [argument('command-name', 'string', { optional: true, multiple: true })]),
    sub('info', -2, 'Returns information about one, multiple or all commands.', [argument('command-name', 'string', { optional: true, multiple: true })]),
    sub('list', -2, 'Returns a list of command names.'),
    sub('help', 2, 'Returns helpful text about the different subcommands.'),
  ],
};
