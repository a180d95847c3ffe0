/**
 * The storage node's command layer on its internode RESP port: the RC.* commands of the node's
 * MessageCatalogue (every folder's peer message kinds) go to an InternodeHandler (the NodeCore),
 * and a few Redis commands let redis-cli and ioredis talk to the port: PING, AUTH, QUIT.
 *
 *   RC.PUT ... --decode (codec)--> codec.own: copy what is kept --> handler.handle --> encode reply
 *                 \-- garbage: -RC_ERR_PROTOCOL ...   handler threw: -RC_ERR_<CODE> ...
 *
 * With a cluster token configured, a connection must authenticate (RC.CHALLENGE + RC.AUTH, or
 * AUTH <token>: internode-auth.ts) before anything but those and QUIT, as Redis's requirepass:
 * `-NOAUTH Authentication required.` (DESIGN.md section 8).
 */
import { ANSWER_COMMAND, CHALLENGE_COMMAND } from '../auth/internode-challenge.js';
import { RingcacheError, SystemRandom, asRingcacheError } from '../runtime/index.js';
import type { Clock, ErrorCode, Random } from '../runtime/index.js';
import { LatencyBuckets } from '../metrics/index.js';
import { REPLIES, bulkReply, errorReply } from '../resp/index.js';
import type { Reply, ReplyValue, RespConnection, RespHandler } from '../resp/index.js';
import { InternodeAuth } from './internode-auth.js';
import type { InternodeAuthStats } from './internode-auth.js';
import { decodePeerRequest, encodeEncodedReadReply, encodeInternodeError, encodePeerReply } from '../transport/index.js';
import type {
  Envelope, InternodeHandler, InternodeLimits, MessageCatalogue, MessageCodec, PeerKind, PeerReply, PeerRequest, ReadRequest,
} from '../transport/index.js';

export interface NodeRespHandlerDeps {
  readonly handler: InternodeHandler;
  /** The kinds this port answers. */
  readonly catalogue: MessageCatalogue;
  readonly limits: InternodeLimits;
  /** The cluster token (cluster.token); empty or absent: no authentication. */
  readonly token?: string;
  /** Nonces of the internode challenge (internode-auth.ts); needed with a token. */
  readonly random?: Random;
  /** cluster.authTimeoutMs: a connection not authenticated by then is closed (needs `clock`). */
  readonly authTimeoutMs?: number;
  /** Told about handler failures that are not RingcacheErrors (bugs). Must not throw. */
  readonly onError?: (error: unknown) => void;
  /** Times every internode request into stats.latency when given (the node's latency histogram). */
  readonly clock?: Clock;
}

export interface NodeRespHandlerStats extends InternodeAuthStats {
  /** Internode requests received, by kind (malformed ones included). */
  readonly requests: Map<PeerKind, number>;
  /** Error replies to internode commands, by code (RC_ERR_PROTOCOL: garbage in a well-framed command). */
  readonly errors: Map<ErrorCode, number>;
  /** Commands refused before AUTH. */
  unauthenticated: number;
  unknownCommands: number;
  /**
   * Time from a received internode command to its encoded reply, by kind (HANDLER_LATENCY_BOUNDS_MS):
   * the node's own share of a request's latency, socket queueing excluded.
   */
  readonly latency: Map<PeerKind, LatencyBuckets>;
}

/**
 * Upper bounds in ms of stats.latency: a memory-engine read or merge takes microseconds, so the
 * buckets start at 10 us; the top ones catch a node stalled by GC or a huge state.
 */
export const HANDLER_LATENCY_BOUNDS_MS: readonly number[] = Object.freeze([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 100, 1000]);

const NOAUTH = Object.freeze(errorReply('NOAUTH Authentication required.'));
const NO_PASSWORD = Object.freeze(errorReply(
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
));
/** Matches cluster.authTimeoutMs's default, for handlers built without a config. */
const AUTH_TIMEOUT_MS_DEFAULT = 10_000;
/** Redis cuts the argument list of an unknown-command error at 128 bytes. */
const UNKNOWN_ARGS_BYTES_MAX = 128;

export class NodeRespHandler implements RespHandler {
  readonly stats: NodeRespHandlerStats = {
    requests: new Map(),
    errors: new Map(),
    authFailures: 0,
    authTimeouts: 0,
    challengeAuths: 0,
    plainTokenAuths: 0,
    unauthenticated: 0,
    unknownCommands: 0,
    latency: new Map(),
  };
  /** Undefined without a token: every connection may send anything. */
  private readonly auth: InternodeAuth | undefined;

  constructor(private readonly deps: NodeRespHandlerDeps) {
    const token = deps.token ?? '';
    this.auth = token === '' ? undefined : new InternodeAuth({
      token, random: deps.random ?? new SystemRandom(), authTimeoutMs: deps.authTimeoutMs ?? AUTH_TIMEOUT_MS_DEFAULT,
      ...(deps.clock === undefined ? {} : { clock: deps.clock }),
    }, this.stats);
    for (const kind of deps.catalogue.kinds()) this.stats.requests.set(kind, 0);
  }

  onConnection(connection: RespConnection): void {
    this.auth?.onConnection(connection);
  }

  onDisconnection(connection: RespConnection): void {
    this.auth?.onDisconnection(connection);
  }

  onCommand(args: Buffer[], connection: RespConnection): Reply | Promise<Reply> {
    const name = args[0] as Buffer;
    const codec = this.deps.catalogue.ofCommand(name) as MessageCodec<PeerKind> | undefined;
    const auth = this.auth;
    if (codec !== undefined && (auth === undefined || auth.isAuthenticated(connection))) {
      return this.internode(codec, args);
    }
    const upper = name.toString('latin1').toUpperCase();
    if (upper === 'AUTH') return auth === undefined ? this.authWithoutToken(args) : auth.plainToken(args, connection);
    if (upper === 'QUIT') return REPLIES.close;
    if (auth !== undefined && upper === CHALLENGE_COMMAND) return auth.challenge(args, connection);
    if (auth !== undefined && upper === ANSWER_COMMAND) return auth.answer(args, connection);
    if (auth !== undefined && !auth.isAuthenticated(connection)) {
      this.stats.unauthenticated++;
      return NOAUTH;
    }
    if (upper === 'PING') {
      if (args.length > 2) return errorReply("ERR wrong number of arguments for 'ping' command");
      return args.length === 2 ? bulkReply(Buffer.from(args[1] as Buffer)) : REPLIES.pong;
    }
    this.stats.unknownCommands++;
    return errorReply(unknownCommand(args));
  }

  private internode(codec: MessageCodec<PeerKind>, args: Buffer[]): Reply | Promise<Reply> {
    const requests = this.stats.requests;
    requests.set(codec.kind, (requests.get(codec.kind) ?? 0) + 1);
    const clock = this.deps.clock;
    if (clock === undefined) return this.answer(codec, args);
    const startMs = clock.monotonicMs();
    const reply = this.answer(codec, args);
    const buckets = this.latencyOf(codec.kind);
    if (reply instanceof Promise) {
      return reply.then((settled) => {
        buckets.observeMs(clock.monotonicMs() - startMs);
        return settled;
      });
    }
    buckets.observeMs(clock.monotonicMs() - startMs);
    return reply;
  }

  private latencyOf(kind: PeerKind): LatencyBuckets {
    let buckets = this.stats.latency.get(kind);
    if (buckets === undefined) {
      buckets = new LatencyBuckets(HANDLER_LATENCY_BOUNDS_MS);
      this.stats.latency.set(kind, buckets);
    }
    return buckets;
  }

  /** Decodes, handles and encodes one internode command; a failure becomes its coded error reply. */
  private answer(codec: MessageCodec<PeerKind>, args: Buffer[]): Reply | Promise<Reply> {
    let reply: Envelope<PeerReply> | Promise<Envelope<PeerReply>>;
    try {
      const decoded = decodePeerRequest(this.deps.catalogue, args, this.deps.limits);
      if (decoded === undefined) return this.errorReply(new RingcacheError('RC_ERR_PROTOCOL', 'internode: not a peer command'));
      const request: Envelope<PeerRequest> = decoded.envelope;
      const handler = this.deps.handler;
      if (request.body.kind === 'read' && handler.handleEncodedRead !== undefined) {
        const read = handler.handleEncodedRead(request as Envelope<ReadRequest>);
        return encodeEncodedReadReply(read, read.recovering);
      }
      reply = handler.handle(codec.own === undefined ? request : { epoch: request.epoch, body: codec.own(request.body) });
    } catch (error) {
      return this.errorReply(error);
    }
    if (reply instanceof Promise) return reply.then((settled) => encodePeerReply(codec, settled), (error: unknown) => this.errorReply(error));
    return encodePeerReply(codec, reply);
  }

  private errorReply(error: unknown): ReplyValue {
    if (!(error instanceof RingcacheError)) this.deps.onError?.(error);
    const coded = asRingcacheError(error, 'node handler');
    this.stats.errors.set(coded.code, (this.stats.errors.get(coded.code) ?? 0) + 1);
    return encodeInternodeError(coded);
  }

  private authWithoutToken(args: Buffer[]): Reply {
    return args.length < 2 || args.length > 3 ? errorReply("ERR wrong number of arguments for 'auth' command") : NO_PASSWORD;
  }
}

/** Redis's message, byte for byte: `unknown command 'x', with args beginning with: 'a' 'b' `. */
function unknownCommand(args: readonly Buffer[]): string {
  const name = (args[0] as Buffer).subarray(0, 128).toString('utf8');
  let listed = '';
  let listedBytes = 0;
  for (let i = 1; i < args.length && listedBytes < UNKNOWN_ARGS_BYTES_MAX; i++) {
    const arg = (args[i] as Buffer).subarray(0, UNKNOWN_ARGS_BYTES_MAX - listedBytes);
    listed += `'${arg.toString('utf8')}' `;
    listedBytes += arg.length + 3;
  }
  return `ERR unknown command '${name}', with args beginning with: ${listed}`;
}
