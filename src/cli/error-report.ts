import { isRingcacheError } from '../runtime/index.js';
import type { ErrorCode } from '../runtime/index.js';
import { UsageError } from './args.js';
import { CommandFailure, EXIT } from './command.js';
import type { CliIo } from './command.js';

/**
 * How the CLI reports a failed command: always two lines on stderr, the code (docs/ERRORS.md)
 * with the message, then one line of advice, so that a person knows what to do next and a
 * script can match on the code.
 *
 *   ringcache master: RC_ERR_PORT_IN_USE: port 7000 (master.port) on 127.0.0.1 is in use ...
 *   ringcache master: hint: stop the process that holds it, or choose another port: --master.port=PORT
 */

/** Advice for errors that carry none of their own, by code. */
const ADVICE: Partial<Record<ErrorCode, string>> = {
  RC_ERR_CONFIG: 'fix the setting the message names; docs/CONFIGURATION.md lists every key, its range and its RINGCACHE_* variable',
  RC_ERR_UNREACHABLE: 'is the cluster running (npm start)? the config must point at it: --config FILE or --master.host / --master.port',
  RC_ERR_UNAUTHORIZED: 'give the cluster token: RINGCACHE_CLUSTER_TOKEN=... or --cluster.token=...',
  RC_ERR_TIMEOUT: 'the process may be overloaded or stopped (SIGSTOP); check it with ringcache status',
  RC_ERR_PORT_IN_USE: 'stop the process that holds it (an earlier ringcache start?), or choose another port in the config',
  RC_ERR_START_FAILED: 'read its last lines above; if state from an earlier cluster is in the way: ringcache start --fresh',
  RC_ERR_INTERNAL: 'this is a bug in ringcache: please report it with the lines above',
};

const FALLBACK_ADVICE = 'docs/ERRORS.md says what each code means and what to do';

/** Prints the failure of `command` and returns the exit code: 2 for usage and config, else 1. */
export function reportError(command: string, error: unknown, io: CliIo): number {
  const { code, message, advice, exitCode } = describeFailure(command, error);
  io.err(`ringcache ${command}: ${code}: ${message}`);
  io.err(`ringcache ${command}: hint: ${advice}`);
  return exitCode;
}

interface Failure {
  readonly code: ErrorCode;
  readonly message: string;
  readonly advice: string;
  readonly exitCode: number;
}

function describeFailure(command: string, error: unknown): Failure {
  if (error instanceof UsageError) {
    return { code: 'RC_ERR_USAGE', message: error.message, advice: `see ringcache ${command} --help`, exitCode: EXIT.usage };
  }
  if (error instanceof CommandFailure) {
    return { code: error.code, message: error.message, advice: error.advice ?? adviceFor(error.code), exitCode: error.exitCode };
  }
  if (isRingcacheError(error)) {
    const own = error.details.advice;
    return {
      code: error.code,
      message: error.message,
      advice: typeof own === 'string' ? own : adviceFor(error.code),
      exitCode: error.code === 'RC_ERR_CONFIG' ? EXIT.usage : EXIT.failure,
    };
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { code: 'RC_ERR_INTERNAL', message: `unexpected failure: ${text}`, advice: adviceFor('RC_ERR_INTERNAL'), exitCode: EXIT.failure };
}

function adviceFor(code: ErrorCode): string {
  return ADVICE[code] ?? FALLBACK_ADVICE;
}
