import type { RingcacheConfig } from '../config/index.js';
import type { Clock, ErrorCode } from '../runtime/index.js';
import type { OptionSpec, ParsedArgs } from './args.js';

/** Where a command writes; tests pass recording sinks. Each call is one line. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** stderr is a terminal: log lines may be rendered for a person, in colour. */
  readonly errIsTerminal?: boolean;
}

/** What a command runs with: its parsed arguments and the loaded, validated config. */
export interface CommandContext {
  readonly name: string;
  readonly args: ParsedArgs;
  readonly config: RingcacheConfig;
  /** The config file used (absolute) and the config arguments to hand to child processes. */
  readonly configFile: string;
  readonly configArgs: readonly string[];
  readonly io: CliIo;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly clock: Clock;
}

/** One entry of the dispatch table (main.ts). `run` resolves to the process exit code. */
export interface CommandSpec {
  readonly summary: string;
  /** What follows the command name in the usage line, e.g. '[--json]'. */
  readonly synopsis: string;
  readonly options: readonly OptionSpec[];
  /** Paragraphs printed under the options by `--help`. */
  readonly details?: readonly string[];
  /** Positional arguments accepted, at most. */
  readonly positionalsMax: number;
  readonly run: (context: CommandContext) => Promise<number>;
}

/**
 * An operating failure of a command (master unreachable, a child died): printed as its code, one
 * line without a stack and one line of advice (error-report.ts), exit code 1 unless said otherwise.
 */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';

  constructor(readonly code: ErrorCode, message: string, readonly advice?: string, readonly exitCode = 1) {
    super(message);
  }
}

/** Exit codes: 0 done, 1 operating failure, 2 usage or config error (like most Unix tools). */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2 });
