import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRingcacheError, RingcacheError, SystemClock } from '../runtime/index.js';
import type { Clock } from '../runtime/index.js';
import { parseArgs, UsageError } from './args.js';
import { adminCommand } from './admin.js';
import { benchCommand } from './bench.js';
import { EXIT } from './command.js';
import type { CliIo, CommandSpec } from './command.js';
import { resolveClusterToken } from './cluster-token.js';
import { chooseConfigFile, childConfigArgs, loadCliConfig, packageRoot } from './config-source.js';
import { reportError } from './error-report.js';
import { commandHelp, globalHelp } from './help.js';
import { loadCommand } from './load.js';
import { LOG_OPTIONS, logOverrides, withoutLogOptions } from './log-options.js';
import { runRole } from './role-command.js';
import type { RoleName } from './roles.js';
import { startCommand } from './start.js';
import { statusCommand } from './status.js';

/**
 * `ringcache <command> [--config FILE] [--section.key=value ...] [options]`: the dispatch table
 * and the one path every command goes through (parse -> help -> config -> run -> exit code).
 * Exit codes: 0 done, 1 operating failure, 2 usage or config error.
 */

/** A process role (src/cli/roles.ts has the contract its main implements). */
function roleCommand(role: RoleName, summary: string, spec: Pick<Partial<CommandSpec>, 'synopsis' | 'options'> = {}): CommandSpec {
  return {
    summary,
    synopsis: spec.synopsis ?? '',
    options: [...(spec.options ?? []), ...LOG_OPTIONS],
    positionalsMax: 0,
    details: [
      `Prints {"ready":true,"role":"${role}",...} on stdout once it serves; SIGTERM or Ctrl-C stops it.`,
      'Logs go to stderr: readable on a terminal, pino JSON lines otherwise (log.format, RINGCACHE_LOG_FORMAT).',
    ],
    run: async (context) => {
      await runRole(role, context.config, withoutLogOptions(context.args.commandArgs));
      return EXIT.ok;
    },
  };
}

export const COMMANDS: Readonly<Record<string, CommandSpec>> = Object.freeze({
  start: startCommand,
  master: roleCommand('master', 'run the shard-master (admin HTTP on master.port)'),
  node: roleCommand('node', 'run one storage node of config.nodes, or a new one (--host, --port, --http-port) to bring in with ringcache admin add', {
    synopsis: '--id ID [--zone Z --host H --port P --http-port P]',
    options: [
      { name: 'id', value: 'ID', doc: 'which entry of config.nodes this process is (required)' },
      { name: 'zone', value: 'ZONE', doc: 'a node not in config.nodes: its zone (given again to admin add)' },
      { name: 'host', value: 'HOST', doc: 'a node not in config.nodes: the address it listens on' },
      { name: 'port', value: 'PORT', doc: 'a node not in config.nodes: its internode RESP port' },
      { name: 'http-port', value: 'PORT', doc: 'a node not in config.nodes: its HTTP port' },
    ],
  }),
  proxy: roleCommand('proxy', 'run a proxy (RESP on proxy.respPort, HTTP on proxy.httpPort)'),
  status: statusCommand,
  load: loadCommand,
  bench: benchCommand,
  admin: adminCommand,
});

export interface MainDeps {
  readonly io?: CliIo;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  readonly clock?: Clock;
}

const consoleIo: CliIo = {
  out: (line) => { process.stdout.write(`${line}\n`); },
  err: (line) => { process.stderr.write(`${line}\n`); },
  errIsTerminal: process.stderr.isTTY,
};

/** Runs one command line; resolves to the exit code (bin/ringcache.js exits with it). */
export async function main(argv: readonly string[], deps: MainDeps = {}): Promise<number> {
  const io = deps.io ?? consoleIo;
  const [name, ...rest] = argv;
  if (name === undefined) {
    for (const line of globalHelp(COMMANDS)) io.err(line);
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const spec = topic === undefined ? undefined : COMMANDS[topic];
    for (const line of spec === undefined || topic === undefined ? globalHelp(COMMANDS) : commandHelp(topic, spec)) io.out(line);
    return EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.out(packageVersion());
    return EXIT.ok;
  }
  const spec = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (spec === undefined) {
    io.err(`ringcache: RC_ERR_USAGE: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
    io.err('ringcache: hint: see ringcache --help');
    return EXIT.usage;
  }
  try {
    return await runCommand(name, spec, rest, { ...deps, io });
  } catch (error) {
    return reportError(name, error, io);
  }
}

async function runCommand(name: string, spec: CommandSpec, argv: readonly string[], deps: MainDeps & { io: CliIo }): Promise<number> {
  const args = parseArgs(argv, spec.options, name);
  if (args.help) {
    for (const line of commandHelp(name, spec)) deps.io.out(line);
    return EXIT.ok;
  }
  if (args.positionals.length > spec.positionalsMax) {
    throw new UsageError(`unexpected argument '${args.positionals[spec.positionalsMax] ?? ''}' for '${name}'`);
  }
  const env = deps.env ?? process.env;
  const cwd = deps.cwd ?? process.cwd();
  const choice = chooseConfigFile(args.configFile, env, cwd);
  const overrides = [...args.overrides, ...logOverrides(args)];
  const loaded = withConfigFileNamed(choice.path, () => loadCliConfig(choice, overrides, env));
  // Only start makes a cluster, so only start creates its secret (start.ts); the rest find it.
  const { config } = resolveClusterToken(loaded, cwd, false);
  // A node started with --host is one the config file does not list (ringcache admin add brings it in).
  if (name === 'node' && !args.options.has('host')) checkNodeId(args.options.get('id'), config.nodes.map((node) => node.id));
  return spec.run({
    name,
    args,
    config,
    configFile: choice.path,
    configArgs: childConfigArgs(choice.path, overrides),
    io: deps.io,
    env,
    cwd,
    clock: deps.clock ?? new SystemClock(),
  });
}

/** Config errors name the key; this makes sure they also name the file that was read. */
function withConfigFileNamed<T>(path: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (isRingcacheError(error, 'RC_ERR_CONFIG') && !error.message.includes(path)) {
      throw new RingcacheError('RC_ERR_CONFIG', `${error.message} (config file ${path})`);
    }
    throw error;
  }
}

function checkNodeId(id: string | true | undefined, known: readonly string[]): void {
  if (typeof id !== 'string') throw new UsageError(`node needs --id ID, one of the config's nodes: ${known.join(', ') || '(none configured)'}`);
  if (!known.includes(id)) throw new UsageError(`--id ${id} is not in the config's nodes (${known.join(', ') || 'none configured'})`);
}

function packageVersion(): string {
  const text = readFileSync(join(packageRoot(), 'package.json'), 'utf8');
  return `ringcache ${(JSON.parse(text) as { version?: string }).version ?? '?'}`;
}
