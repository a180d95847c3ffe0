/**
 * The one catalogue of operating errors (fastify's FST_ERR_* idea). Every code is stable, documented
 * in docs/ERRORS.md (a test keeps the two in sync) and carries the HTTP status the proxy answers
 * with. Messages give the numbers and name the option to tune.
 */
export const ERROR_CATALOGUE = {
  RC_ERR_CONFIG: { httpStatus: 500, summary: 'A configuration key is unknown, has the wrong type or is out of range.' },
  RC_ERR_USAGE: { httpStatus: 400, summary: 'A command line is malformed: unknown command or option, a missing or bad value.' },
  RC_ERR_PORT_IN_USE: { httpStatus: 500, summary: 'A port a process must listen on is held by another process.' },
  RC_ERR_START_FAILED: { httpStatus: 500, summary: 'A process did not come up (exited, or not healthy within the start-up deadline) or did not stay up: it kept dying after restarts, or every member died with restarts off.' },
  RC_ERR_MISSING_DEPENDENCY: { httpStatus: 500, summary: 'A command needs an optional package that is not installed (ringcache load and bench: autocannon, zipfian-integer).' },
  RC_ERR_BAD_REQUEST: { httpStatus: 400, summary: 'A request is malformed (missing or invalid argument, bad syntax).' },
  RC_ERR_BAD_QUORUM: { httpStatus: 400, summary: 'A per-request or configured N, R or W is outside 1..N, or N exceeds the number of servers.' },
  RC_ERR_KEY_TOO_LARGE: { httpStatus: 400, summary: 'A key is empty or longer than limits.keyBytesMax.' },
  RC_ERR_VALUE_TOO_LARGE: { httpStatus: 413, summary: 'A value or request body is longer than limits.valueBytesMax.' },
  RC_ERR_REPLY_TOO_LARGE: { httpStatus: 400, summary: 'A reply would be larger than its limit (one MGET past proxy.mgetReplyBytesMax).' },
  RC_ERR_HEADERS_TOO_LARGE: { httpStatus: 431, summary: 'An HTTP request line plus headers is longer than the header limit (proxy.httpHeaderBytesMax).' },
  RC_ERR_REQUEST_TIMEOUT: { httpStatus: 408, summary: 'An HTTP request was not received whole within the request timeout (proxy.httpRequestTimeoutMs).' },
  RC_ERR_BAD_CONTEXT: { httpStatus: 400, summary: 'A causal context token is not one this cluster issued (bad base64url, version, length, limits or signature).' },
  RC_ERR_BAD_TTL: { httpStatus: 400, summary: 'A TTL or expiry is not a positive integer within range.' },
  RC_ERR_QUORUM_WRITE: { httpStatus: 503, summary: 'Fewer than W replicas acknowledged a write; the write may still reach some replicas.' },
  RC_ERR_QUORUM_READ: { httpStatus: 503, summary: 'Fewer than R replicas answered a read.' },
  RC_ERR_TIMEOUT: { httpStatus: 504, summary: 'A peer did not answer within its deadline.' },
  RC_ERR_UNREACHABLE: { httpStatus: 503, summary: 'A peer could not be reached (connection refused, reset, or partitioned).' },
  RC_ERR_HINTS_FULL: { httpStatus: 507, summary: 'A fallback refused a hint: its hints for that owner are at hints.bytesMax (or the hint alone is larger); the coordinator tries the next fallback.' },
  RC_ERR_STORAGE_FULL: { httpStatus: 507, summary: 'A storage node is at storage.bytesMax and its eviction policy is "reject".' },
  RC_ERR_OVERLOADED: { httpStatus: 503, summary: 'A bounded queue is full (inflight requests per connection or per peer).' },
  RC_ERR_PROTOCOL: { httpStatus: 400, summary: 'A RESP frame is malformed or over a limit (bulk length, array length, inline length).' },
  RC_ERR_UNKNOWN_COMMAND: { httpStatus: 400, summary: 'A command is not supported.' },
  RC_ERR_NOT_FOUND: { httpStatus: 404, summary: 'A key, server or resource does not exist.' },
  RC_ERR_UNAUTHORIZED: { httpStatus: 401, summary: 'The cluster token is missing or wrong.' },
  RC_ERR_STALE_TABLE: { httpStatus: 409, summary: 'A request was built on an older table epoch than the receiver allows.' },
  RC_ERR_PLACEMENT: { httpStatus: 409, summary: 'The servers cannot hold the table as asked (too few servers for N, a server id used twice).' },
  RC_ERR_SHUTTING_DOWN: { httpStatus: 503, summary: 'The process is stopping and takes no new requests.' },
  RC_ERR_INTERNAL: { httpStatus: 500, summary: 'An unexpected failure inside a process; the message says where.' },
  RC_ERR_MOVES_UNAVAILABLE: { httpStatus: 501, summary: 'A rebalance plan needs replica moves and this shard-master has no move executor: the plan is shown (dry run) but not applied; the table is untouched.' },
  RC_ERR_COLLECTION_FULL: { httpStatus: 413, summary: 'An add would take a hash, set or sorted set past limits.collectionElementsMax, or a field or member is longer than limits.memberBytesMax.' },
  RC_ERR_TOKEN_REQUIRED: { httpStatus: 500, summary: 'A master, node or proxy would listen beyond loopback without a cluster token.' },
  RC_ERR_STALE_EPOCH: { httpStatus: 409, summary: 'A node refused a data request stamped with a table epoch older than its own; the message carries the node epoch, the coordinator fetches the table and retries, through up to three table fetches.' },
  RC_ERR_NOT_OWNER: { httpStatus: 409, summary: 'A node refused a data request for a vnode it does not hold at that epoch (not a replica, not the pending target); the message carries the node epoch.' },
  RC_ERR_SERVER_EXISTS: { httpStatus: 409, summary: 'An admin request adds a server whose id is already a member.' },
  RC_ERR_MEMBERSHIP: { httpStatus: 409, summary: 'An admin change would break an invariant: drain below N active servers or the zones a row needs, remove a server that still holds replicas.' },
  RC_ERR_TLS: { httpStatus: 502, summary: 'A TLS connection could not be set up: a CA file cannot be read or holds no certificate, or the handshake failed (certificate not signed by the CA, not naming the host, or a server that does not speak TLS).' },
} as const satisfies Record<string, { httpStatus: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class RingcacheError extends Error {
  override readonly name = 'RingcacheError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return ERROR_CATALOGUE[this.code].httpStatus;
  }

  toJSON(): { code: ErrorCode; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isRingcacheError(value: unknown, code?: ErrorCode): value is RingcacheError {
  return value instanceof RingcacheError && (code === undefined || value.code === code);
}

/** Turns anything thrown into a RingcacheError, keeping the original as the cause in details. */
export function asRingcacheError(value: unknown, where: string): RingcacheError {
  if (value instanceof RingcacheError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new RingcacheError('RC_ERR_INTERNAL', `${where}: ${message}`);
}
