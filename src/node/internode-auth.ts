import { SecretCheck } from '../auth/index.js';
import { CHALLENGE_ANSWER_CHARS, CHALLENGE_NONCE_BYTES, answerMatches, challengeKey } from '../auth/internode-challenge.js';
import type { Clock, Random, Timer } from '../runtime/index.js';
import { REPLIES, bulkReply, errorReply } from '../resp/index.js';
import type { Reply, RespConnection } from '../resp/index.js';

/**
 * Who may talk on the internode port when a cluster token is set (src/auth/internode-challenge.ts
 * draws the exchange). A connection is authenticated by answering RC.CHALLENGE, or by
 * `AUTH <token>`, which stays accepted for redis-cli and the ioredis link: refusing it would not
 * keep the token off the wire (a client that sends it already has), while what does, every
 * ringcache link answering the challenge instead, holds without refusing it; such AUTHs are
 * counted (plainTokenAuths) so an operator can find the client that still sends the token.
 *
 * A wrong answer, an answer with no challenge pending (a replay on this connection, or one
 * copied from another) and a wrong token are refused with WRONGPASS and the connection is closed:
 * one guess per connection. A connection not authenticated within authTimeoutMs is closed.
 */
export interface InternodeAuthStats {
  /** Wrong answers, answers without a challenge, wrong tokens: each closed its connection. */
  authFailures: number;
  /** Connections closed for not authenticating within cluster.authTimeoutMs. */
  authTimeouts: number;
  /** Connections that authenticated with the challenge. */
  challengeAuths: number;
  /** Connections that authenticated with `AUTH <token>` (the token crossed the wire). */
  plainTokenAuths: number;
}

export interface InternodeAuthDeps {
  readonly token: string;
  readonly random: Random;
  /** Without a clock no deadline is kept (embedders and tests that drive the handler by hand). */
  readonly clock?: Clock;
  readonly authTimeoutMs: number;
}

const WRONGPASS = Object.freeze(errorReply('WRONGPASS invalid username-password pair or user is disabled.'));
const NO_CHALLENGE = Object.freeze(errorReply('WRONGPASS no RC.CHALLENGE pending on this connection (an answer is good once, on the connection that asked)'));


export class InternodeAuth {
  private readonly key: Buffer;
  private readonly secret: SecretCheck;

  constructor(private readonly deps: InternodeAuthDeps, private readonly stats: InternodeAuthStats) {
    const secret = SecretCheck.of(deps.token);
    if (secret === undefined) throw new RangeError('InternodeAuth needs a cluster token');
    this.secret = secret;
    this.key = challengeKey(deps.token);
  }

  isAuthenticated(connection: RespConnection): boolean {
    return connection.state.authenticated === true;
  }

  /** Starts the connection's deadline; one timer per connection, none per request. */
  onConnection(connection: RespConnection): void {
    const { clock, authTimeoutMs } = this.deps;
    if (clock === undefined) return;
    connection.state.authDeadline = clock.schedule(authTimeoutMs, () => {
      if (this.isAuthenticated(connection)) return;
      this.stats.authTimeouts++;
      connection.close();
    });
  }

  /** The connection is gone: its deadline goes too (it neither timed out nor failed). */
  onDisconnection(connection: RespConnection): void {
    this.cancelDeadline(connection);
  }

  private cancelDeadline(connection: RespConnection): void {
    (connection.state.authDeadline as Timer | undefined)?.cancel();
    connection.state.authDeadline = undefined;
  }

  /** RC.CHALLENGE: a fresh nonce for this connection (a second one replaces the first). */
  challenge(args: readonly Buffer[], connection: RespConnection): Reply {
    if (args.length !== 1) return errorReply("ERR wrong number of arguments for 'rc.challenge' command");
    const nonce = this.deps.random.bytes(CHALLENGE_NONCE_BYTES);
    connection.state.challengeNonce = nonce;
    return bulkReply(nonce);
  }

  /** RC.AUTH <hex answer>: good once, for the nonce this connection was given. */
  answer(args: readonly Buffer[], connection: RespConnection): Reply {
    if (args.length !== 2) return errorReply("ERR wrong number of arguments for 'rc.auth' command");
    const nonce = connection.state.challengeNonce;
    connection.state.challengeNonce = undefined;
    if (!(nonce instanceof Buffer)) return this.refuse(connection, NO_CHALLENGE);
    const answer = args[1] as Buffer;
    if (answer.length !== CHALLENGE_ANSWER_CHARS || !answerMatches(this.key, nonce, answer)) return this.refuse(connection, WRONGPASS);
    this.stats.challengeAuths++;
    return this.admit(connection);
  }

  /** AUTH <token> or AUTH default <token> (Redis 6 form, which some clients send). */
  plainToken(args: readonly Buffer[], connection: RespConnection): Reply {
    if (args.length < 2 || args.length > 3) return errorReply("ERR wrong number of arguments for 'auth' command");
    const user = args.length === 3 ? (args[1] as Buffer).toString('latin1') : 'default';
    if (user !== 'default' || !this.secret.matches(args[args.length - 1] as Buffer)) return this.refuse(connection, WRONGPASS);
    this.stats.plainTokenAuths++;
    return this.admit(connection);
  }

  private admit(connection: RespConnection): Reply {
    connection.state.authenticated = true;
    this.cancelDeadline(connection);
    return REPLIES.ok;
  }

  /**
   * One guess per connection: answer the refusal, then close. The close waits a microtask: the
   * reply's slot is taken after this returns, and a close with nothing queued would end the
   * socket before the refusal is written. Commands pipelined behind it get NOAUTH meanwhile.
   */
  private refuse(connection: RespConnection, reply: Reply): Reply {
    this.stats.authFailures++;
    connection.state.authenticated = false;
    this.cancelDeadline(connection);
    queueMicrotask(() => { connection.close(); });
    return reply;
  }
}
