/**
 * The command line, before any config is read:
 *
 *   ringcache <command> [positional ...] [--config FILE] [--section.key=value ...] [--option[=value] ...]
 *
 * Three kinds of `--` arguments, told apart by shape so a command never has to know about config:
 *   --config FILE | --config=FILE   the config file
 *   --section.key=value             a config override (a dot in the name), handed to loadConfig
 *   --name[=value] | --name value   an option the command declares (OptionSpec); unknown ones fail
 * Anything that does not parse is a UsageError: the CLI prints it with a pointer to --help, exit 2.
 */

/** An option a command declares; `value` names its argument in the help ('N', 'FILE'). */
export interface OptionSpec {
  readonly name: string;
  readonly value?: string;
  readonly doc: string;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface ParsedArgs {
  readonly help: boolean;
  readonly configFile: string | undefined;
  /** `section.key=value`, in the order given (later ones win in loadConfig). */
  readonly overrides: readonly string[];
  /** Declared options seen; a flag without a value is `true`. */
  readonly options: ReadonlyMap<string, string | true>;
  readonly positionals: readonly string[];
  /** The arguments that are not config arguments, in order: what a role's run() receives. */
  readonly commandArgs: readonly string[];
}

const OVERRIDE = /^--([A-Za-z]+\.[A-Za-z0-9]+)(=(.*))?$/s;

/** Parses the arguments after the command name against the command's declared options. */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], command: string): ParsedArgs {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const overrides: string[] = [];
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  const commandArgs: string[] = [];
  let configFile: string | undefined;
  let help = false;
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index] ?? '';
    const next = (what: string): string => {
      const value = argv[index + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${what} needs a value`);
      index++;
      return value;
    };
    if (token === '--help' || token === '-h') {
      help = true;
    } else if (token === '--config' || token.startsWith('--config=')) {
      configFile = token === '--config' ? next('--config') : token.slice('--config='.length);
      if (configFile === '') throw new UsageError('--config needs a file name');
    } else if (OVERRIDE.test(token)) {
      const [, path = '', withValue, value = ''] = OVERRIDE.exec(token) ?? [];
      if (withValue === undefined) throw new UsageError(`config override --${path} needs a value: --${path}=VALUE`);
      overrides.push(`${path}=${value}`);
    } else if (token.startsWith('--') && token.length > 2) {
      const equals = token.indexOf('=');
      const name = token.slice(2, equals === -1 ? undefined : equals);
      const spec = byName.get(name);
      if (spec === undefined) throw new UsageError(`unknown option --${name} for '${command}'`);
      if (spec.value === undefined) {
        if (equals !== -1) throw new UsageError(`option --${name} takes no value`);
        options.set(name, true);
        commandArgs.push(token);
      } else {
        const value = equals === -1 ? next(`--${name}`) : token.slice(equals + 1);
        options.set(name, value);
        commandArgs.push(`--${name}`, value);
      }
    } else {
      positionals.push(token);
      commandArgs.push(token);
    }
  }
  return { help, configFile, overrides, options, positionals, commandArgs };
}

/** A declared option as text, or the default. */
export function optionText(args: ParsedArgs, name: string, fallback: string): string {
  const value = args.options.get(name);
  return typeof value === 'string' ? value : fallback;
}

/** A declared option as a number in [min, max], or the default; a bad one is a UsageError. */
export function optionNumber(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const value = args.options.get(name);
  if (value === undefined) return fallback;
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(number) || number < min || number > max) {
    throw new UsageError(`--${name} must be a number in ${min}..${max}, got '${String(value)}'`);
  }
  return number;
}

/** A declared option as an integer in [min, max]. */
export function optionInteger(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const number = optionNumber(args, name, fallback, min, max);
  if (!Number.isSafeInteger(number)) throw new UsageError(`--${name} must be an integer, got '${String(number)}'`);
  return number;
}

export function optionFlag(args: ParsedArgs, name: string): boolean {
  return args.options.get(name) === true;
}
