/**
 * Error replies, word for word as Redis 7 sends them (server.c, networking.c, t_string.c), so
 * clients that match on the text behave as they do against Redis. Constants are encoded once.
 *
 * Mapping of ringcache's coded errors (RingcacheError) to RESP:
 *   any code            -ERR <message>          the message names the numbers and the option to tune
 *   not a RingcacheError -ERR internal error    logged with the stack
 * and the proxy's own Redis-shaped refusals: -NOAUTH, -WRONGPASS, -NOPROTO (see handler.ts).
 */
import { errorReply, rawReply } from '../../resp/index.js';
import type { ReplyValue } from '../../resp/index.js';
import { RingcacheError } from '../../runtime/index.js';
import { text } from './arguments.js';

/** `message` is the whole line without '-' and CR LF. */
export function constantError(message: string): ReplyValue {
  return Object.freeze(rawReply(Buffer.from(`-${message}\r\n`)));
}

export const ERRORS = Object.freeze({
  syntax: constantError('ERR syntax error'),
  notInteger: constantError('ERR value is not an integer or out of range'),
  noAuth: constantError('NOAUTH Authentication required.'),
  wrongPass: constantError('WRONGPASS invalid username-password pair or user is disabled.'),
  authWithoutPassword: constantError('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?'),
  helloNoAuth: constantError('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time'),
  noProto: constantError('NOPROTO unsupported protocol version'),
  protocolVersionNotInteger: constantError('ERR Protocol version is not an integer or out of range'),
  dbOutOfRange: constantError('ERR DB index is out of range'),
  clientName: constantError('ERR Client names cannot contain spaces, newlines or special characters.'),
  internal: constantError('ERR internal error'),
  /** ringcache: no compare-and-set exists, so SET NX/XX cannot be honoured (DESIGN.md section 3). */
  conditionalSet: constantError('ERR SET NX and XX need compare-and-set, which ringcache does not offer (replicas accept concurrent writes); read with RC.GETV and write with RC.SETV and the context instead'),
  expireNxWithOthers: constantError('ERR NX and XX, GT or LT options at the same time are not compatible'),
  expireGtLt: constantError('ERR GT and LT options at the same time are not compatible'),
  wrongType: constantError('WRONGTYPE Operation against a key holding the wrong kind of value'),
  /** ringcache: HSETNX needs compare-and-set as SET NX does. */
  conditionalHashSet: constantError('ERR HSETNX needs compare-and-set, which ringcache does not offer (replicas accept concurrent writes); use HSET, whose concurrent values are all kept (RC.HGETV)'),
  hashNotInteger: constantError('ERR hash value is not an integer'),
  hashNotFloat: constantError('ERR hash value is not a float'),
  notFloat: constantError('ERR value is not a valid float'),
  overflow: constantError('ERR increment or decrement would overflow'),
  nanOrInfinity: constantError('ERR increment would produce NaN or Infinity'),
  notFinite: constantError('ERR value is NaN or Infinity'),
  positiveCount: constantError('ERR value is out of range, must be positive'),
  invalidCursor: constantError('ERR invalid cursor'),
  zaddXxNx: constantError('ERR XX and NX options at the same time are not compatible'),
  zaddGtLtNx: constantError('ERR GT, LT, and/or NX options at the same time are not compatible'),
  zaddIncrPairs: constantError('ERR INCR option supports a single increment-element pair'),
  nanScore: constantError('ERR resulting score is not a number (NaN)'),
  scoreRange: constantError('ERR min or max is not a float'),
  lexRange: constantError('ERR min or max not valid string range item'),
  limitWithoutBy: constantError('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX'),
  withScoresByLex: constantError('ERR syntax error, WITHSCORES not supported in combination with BYLEX'),
});

/** `-ERR invalid expire time in 'set' command` (Redis names the command in lowercase). */
export function invalidExpire(command: string): ReplyValue {
  return errorReply(`ERR invalid expire time in '${command}' command`);
}

/** `-ERR wrong number of arguments for 'get' command`; subcommands read 'client|setname'. */
export function arityError(fullName: string): ReplyValue {
  return constantError(`ERR wrong number of arguments for '${fullName}' command`);
}

/** Redis's TRUNCATE at 128 bytes of the name and of the argument list (server.c processCommand). */
const UNKNOWN_TEXT_BYTES_MAX = 128;

/** `-ERR unknown command 'foo', with args beginning with: 'a' 'b' ` (note the trailing space). */
export function unknownCommand(args: readonly Buffer[]): ReplyValue {
  const name = args[0] === undefined ? '' : text(args[0].subarray(0, UNKNOWN_TEXT_BYTES_MAX));
  let listed = '';
  for (let i = 1; i < args.length && listed.length < UNKNOWN_TEXT_BYTES_MAX; i++) {
    const arg = args[i] as Buffer;
    listed += `'${text(arg.subarray(0, UNKNOWN_TEXT_BYTES_MAX - listed.length))}' `;
  }
  return errorReply(`ERR unknown command '${name}', with args beginning with: ${listed}`);
}

/** `-ERR unknown subcommand 'foo'. Try CLIENT HELP.` */
export function unknownSubcommand(subcommand: Buffer, container: string): ReplyValue {
  return errorReply(`ERR unknown subcommand '${text(subcommand.subarray(0, UNKNOWN_TEXT_BYTES_MAX))}'. Try ${container.toUpperCase()} HELP.`);
}

/** `-ERR Unsupported option foo` (EXPIRE's NX/XX/GT/LT parser). */
export function unsupportedOption(option: Buffer): ReplyValue {
  return errorReply(`ERR Unsupported option ${text(option.subarray(0, UNKNOWN_TEXT_BYTES_MAX))}`);
}

/** A coded operating error as RESP: `-ERR <message>`. */
export function errorFor(error: RingcacheError): ReplyValue {
  return errorReply(`ERR ${error.message}`);
}

/** Argument-level refusals raised deep in a command: thrown, answered by the handler. */
export function badRequest(message: string): RingcacheError {
  return new RingcacheError('RC_ERR_BAD_REQUEST', message);
}
