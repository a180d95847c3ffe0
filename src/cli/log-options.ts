import { LOG_FORMATS, LOG_LEVELS } from '../runtime/index.js';
import { UsageError } from './args.js';
import type { OptionSpec, ParsedArgs } from './args.js';

/**
 * `--log-level LEVEL` and `--log-format FORMAT`: friendlier spellings of the config overrides
 * --log.level= and --log.format=, declared by `start` and the role commands. The config stays
 * the one place that holds the settings; these only add to its overrides.
 */
export const LOG_OPTIONS: readonly OptionSpec[] = [
  { name: 'log-level', value: 'LEVEL', doc: `lowest level logged: ${LOG_LEVELS.join(', ')} (log.level, RINGCACHE_LOG_LEVEL; default info)` },
  { name: 'log-format', value: 'FORMAT', doc: 'pretty, json or auto (log.format, RINGCACHE_LOG_FORMAT; default auto: pretty on a terminal, json otherwise)' },
];

/** The config overrides the log options stand for; a value out of the list is a UsageError. */
export function logOverrides(args: ParsedArgs): string[] {
  const overrides: string[] = [];
  const level = args.options.get('log-level');
  if (typeof level === 'string') overrides.push(`log.level=${oneOf('log-level', level, LOG_LEVELS)}`);
  const format = args.options.get('log-format');
  if (typeof format === 'string') overrides.push(`log.format=${oneOf('log-format', format, LOG_FORMATS)}`);
  return overrides;
}

function oneOf(option: string, value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) throw new UsageError(`--${option} must be one of ${allowed.join(', ')}, got '${value}'`);
  return value;
}

/** A role's own arguments: the command arguments without the log options (parseArgs writes each as `--name value`). */
export function withoutLogOptions(commandArgs: readonly string[]): string[] {
  const names = new Set(LOG_OPTIONS.map((option) => `--${option.name}`));
  const out: string[] = [];
  for (let index = 0; index < commandArgs.length; index++) {
    const token = commandArgs[index] ?? '';
    if (names.has(token)) index++;
    else out.push(token);
  }
  return out;
}
