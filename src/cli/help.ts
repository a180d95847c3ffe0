import type { OptionSpec } from './args.js';
import type { CommandSpec } from './command.js';

/** The text of `ringcache --help` and `ringcache <command> --help`. */

const CONFIG_OPTIONS: readonly OptionSpec[] = [
  { name: 'config', value: 'FILE', doc: 'config file (default: ./config/local.json if present, else the one shipped with ringcache; or RINGCACHE_CONFIG)' },
  { name: 'section.key=VALUE', doc: 'override one config key, e.g. --replication.r=3 (after RINGCACHE_* environment variables)' },
  { name: 'help', doc: 'this help' },
];

export function globalHelp(commands: Readonly<Record<string, CommandSpec>>): string[] {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    'usage: ringcache <command> [--config FILE] [--section.key=value ...] [options]',
    '',
    'A sharded, replicated key-value cache after Amazon\'s Dynamo: Redis-protocol and HTTP proxy,',
    'quorums, dotted version vectors, gossip failure detection, hinted handoff, Merkle anti-entropy.',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, spec]) => `  ${name.padEnd(width)}  ${spec.summary}`),
    '',
    'Config is layered: defaults < config file < RINGCACHE_* environment (RINGCACHE_REPLICATION_R=3)',
    '< --section.key=value flags (--replication.r=3). A bad key or value stops with a message naming it (exit 2).',
    '',
    'Run `ringcache <command> --help` for its options. `npm start` is `ringcache start`.',
  ];
}

export function commandHelp(name: string, spec: CommandSpec): string[] {
  const options = [...spec.options, ...CONFIG_OPTIONS];
  const label = (option: OptionSpec): string => `--${option.name}${option.value === undefined ? '' : ` ${option.value}`}`;
  const width = Math.max(...options.map((option) => label(option).length));
  const synopsis = spec.synopsis === '' ? '' : ` ${spec.synopsis}`;
  return [
    `usage: ringcache ${name}${synopsis} [--config FILE] [--section.key=value ...]`,
    '',
    `${spec.summary.charAt(0).toUpperCase()}${spec.summary.slice(1)}.`,
    '',
    'Options:',
    ...options.map((option) => `  ${label(option).padEnd(width)}  ${option.doc}`),
    ...(spec.details === undefined ? [] : ['', ...spec.details]),
  ];
}
