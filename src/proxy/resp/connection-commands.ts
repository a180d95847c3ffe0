/**
 * PING, ECHO, SELECT, AUTH, HELLO and QUIT, as Redis 7 answers them.
 *
 * Authentication is Redis's requirepass: with proxy.password set, a connection must AUTH (or
 * HELLO ... AUTH) before any command but AUTH, HELLO and QUIT, else -NOAUTH. Only the "default"
 * user exists. HELLO 3 answers -NOPROTO: the proxy speaks RESP2 only.
 */
import { SecretCheck } from '../../auth/index.js';
import { REPLIES, arrayReply, bulkReply, errorReply, integerReply } from '../../resp/index.js';
import type { Reply, RespConnection } from '../../resp/index.js';
import { REDIS_COMPATIBLE_VERSION } from '../options.js';
import { isPrintableWord, isToken, parseInteger, text } from './arguments.js';
import type { CommandContext, CommandDefinition, ConnectionState } from './command.js';
import { CONNECTION_FLAGS, NO_KEYS, argument } from './command.js';
import { ERRORS, arityError } from './error-replies.js';

const PING_ARITY_ERROR = arityError('ping');
const DEFAULT_USER = Buffer.from('default');

/** proxy.password's check (the one secret comparison of every port), or null when it is empty. */
export function passwordDigest(password: string): SecretCheck | null {
  return SecretCheck.of(password) ?? null;
}

/** Redis's ACL check for the one user there is; true when the pair is accepted. */
function credentialsAccepted(context: CommandContext, user: Buffer | undefined, password: Buffer): boolean {
  if (user !== undefined && !user.equals(DEFAULT_USER)) return false;
  const digest = context.passwordDigest;
  // Without a password the default user is "nopass": any password is accepted for it.
  return digest === null || digest.matches(password);
}

function ping(args: Buffer[]): Reply {
  if (args.length > 2) return PING_ARITY_ERROR;
  return args.length === 2 ? bulkReply(args[1] as Buffer) : REPLIES.pong;
}

function select(args: Buffer[]): Reply {
  const index = parseInteger(args[1] as Buffer);
  if (index === undefined) return ERRORS.notInteger;
  return index === 0 ? REPLIES.ok : ERRORS.dbOutOfRange;
}

function auth(args: Buffer[], connection: RespConnection, context: CommandContext): Reply {
  if (args.length > 3) return ERRORS.syntax;
  const user = args.length === 3 ? args[1] : undefined;
  const password = args[args.length - 1] as Buffer;
  if (context.passwordDigest === null && user === undefined) return ERRORS.authWithoutPassword;
  if (!credentialsAccepted(context, user, password)) return ERRORS.wrongPass;
  context.stateOf(connection).authenticated = true;
  return REPLIES.ok;
}

/** Sets a client name (CLIENT SETNAME, HELLO SETNAME); an error reply when refused. */
export function setClientName(state: ConnectionState, name: Buffer, context: CommandContext): Reply | undefined {
  if (!isPrintableWord(name) || name.length > context.options.clientNameBytesMax) return ERRORS.clientName;
  state.name = name.toString('latin1');
  return undefined;
}

function hello(args: Buffer[], connection: RespConnection, context: CommandContext): Reply {
  let next = 1;
  if (args.length >= 2) {
    const version = parseInteger(args[next++] as Buffer);
    if (version === undefined) return ERRORS.protocolVersionNotInteger;
    if (version !== 2) return ERRORS.noProto;
  }
  let credentials: [Buffer, Buffer] | undefined;
  let name: Buffer | undefined;
  for (let j = next; j < args.length; j++) {
    const option = args[j] as Buffer;
    const more = args.length - 1 - j;
    if (isToken(option, 'auth') && more >= 2) {
      credentials = [args[j + 1] as Buffer, args[j + 2] as Buffer];
      j += 2;
    } else if (isToken(option, 'setname') && more >= 1) {
      name = args[++j];
    } else {
      return errorReply(`ERR Syntax error in HELLO option '${text(option)}'`);
    }
  }
  const state = context.stateOf(connection);
  if (credentials !== undefined) {
    if (!credentialsAccepted(context, credentials[0], credentials[1])) return ERRORS.wrongPass;
    state.authenticated = true;
  }
  if (!state.authenticated) return ERRORS.helloNoAuth;
  if (name !== undefined) {
    const refused = setClientName(state, name, context);
    if (refused !== undefined) return refused;
  }
  return arrayReply([
    bulkReply('server'), bulkReply('redis'),
    bulkReply('version'), bulkReply(REDIS_COMPATIBLE_VERSION),
    bulkReply('proto'), integerReply(2),
    bulkReply('id'), integerReply(connection.id),
    bulkReply('mode'), bulkReply('standalone'),
    bulkReply('role'), bulkReply('master'),
    bulkReply('modules'), arrayReply([]),
  ]);
}

export const CONNECTION_COMMANDS: readonly CommandDefinition[] = [
  {
    name: 'ping', arity: -1, flags: CONNECTION_FLAGS, keys: NO_KEYS, categories: ['@fast', '@connection'], run: ping,
    summary: 'Answer PONG, or the message given.', since: '1.0.0', group: 'connection', complexity: 'O(1)',
    arguments: [argument('message', 'string', { optional: true })],
  },
  {
    name: 'echo', arity: 2, flags: CONNECTION_FLAGS, keys: NO_KEYS, categories: ['@fast', '@connection'],
    run: (args) => bulkReply(args[1] as Buffer),
    summary: 'Answer the message given.', since: '1.0.0', group: 'connection', complexity: 'O(1)',
    arguments: [argument('message', 'string')],
  },
  {
    name: 'select', arity: 2, flags: ['loading', 'stale', 'fast'], keys: NO_KEYS, categories: ['@keyspace', '@fast', '@connection'], run: select,
    summary: 'Select the database: ringcache has one, database 0.', since: '1.0.0', group: 'connection', complexity: 'O(1)',
    arguments: [argument('index', 'integer')],
  },
  {
    name: 'auth', arity: -2, flags: ['noscript', 'loading', 'stale', 'fast', 'noauth', 'allow_busy'], keys: NO_KEYS,
    categories: ['@fast', '@connection'], run: auth,
    summary: 'Authenticate the connection with proxy.password (user "default").', since: '1.0.0', group: 'connection', complexity: 'O(1)',
    arguments: [argument('username', 'string', { optional: true }), argument('password', 'string')],
  },
  {
    name: 'hello', arity: -1, flags: ['noscript', 'loading', 'stale', 'fast', 'noauth', 'allow_busy'], keys: NO_KEYS,
    categories: ['@fast', '@connection'], run: hello,
    summary: 'Handshake: RESP2 only (HELLO 3 answers NOPROTO), optional AUTH and SETNAME.', since: '6.0.0', group: 'connection', complexity: 'O(1)',
    arguments: [argument('arguments', 'block', {
      optional: true,
      arguments: [
        argument('protover', 'integer'),
        argument('username-password', 'block', { token: 'AUTH', optional: true, arguments: [argument('username', 'string'), argument('password', 'string')] }),
        argument('clientname', 'string', { token: 'SETNAME', optional: true }),
      ],
    })],
  },
  {
    name: 'quit', arity: -1, flags: ['allow_busy', 'noscript', 'loading', 'stale', 'fast', 'noauth'], keys: NO_KEYS,
    categories: ['@fast', '@connection'], run: () => REPLIES.close,
    summary: 'Answer +OK and close the connection after the replies before it.', since: '1.0.0', group: 'connection', complexity: 'O(1)',
    arguments: [],
  },
];
