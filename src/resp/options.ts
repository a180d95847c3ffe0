import { RingcacheError } from '../runtime/index.js';

/**
 * Limits on everything a RESP peer sends us (STYLE.md practice 6), shared by the proxy's client
 * port and the nodes' internode port. Over a hard limit (the `...Max` fields read off the wire) the
 * frame is a protocol error: we reply `-ERR Protocol error: ...` and close, as Redis does. The soft
 * limits (`inflight...`, `outputBytesHighWater`) only stop reading from that socket for a while.
 */
export interface RespLimits {
  /**
   * Longest bulk string (one argument) accepted. Why: a value at valueBytesMax (1 MiB) plus room
   * for a key-sized argument's worth of framing, so the storage layer, not the codec, is the one
   * that answers an oversized value with its clearer RC_ERR_VALUE_TOO_LARGE. Redis's
   * proto-max-bulk-len (512 MiB) is far too much for a cache proxy.
   */
  readonly bulkBytesMax: number;
  /**
   * Most elements in one multibulk (arguments of one command, items of one reply). Why: MSET/MGET
   * of many keys in one command; 1 Mi arguments is already 64+ MiB of request.
   */
  readonly arrayLengthMax: number;
  /**
   * Longest inline command, and longest simple-string/error reply line. Why: Redis's
   * PROTO_INLINE_MAX_SIZE; telnet users type short lines, anything longer is garbage.
   */
  readonly inlineBytesMax: number;
  /**
   * Most argument bytes in one command (or bulk bytes in one reply). Why: Redis bounds a client by
   * client-query-buffer-limit (1 GiB); per connection we allow 64 values at valueBytesMax
   * (MSET of 64 large values), so one command cannot make a connection hold 1 Mi x 1 MiB.
   */
  readonly frameBytesMax: number;
  /**
   * Commands of one connection whose replies are not written yet before we stop reading it. Why:
   * a client pipelining millions of commands must be slowed by TCP, not buffered by us
   * (1024 = 64 redis-benchmark pipelines of 16).
   */
  readonly inflightMax: number;
  /**
   * Argument bytes held by commands whose asynchronous handlers have not answered, before we stop
   * reading. Why: inflightMax x bulkBytesMax would be 1 GiB per connection.
   */
  readonly inflightBytesMax: number;
  /**
   * Stop reading a connection while its socket holds this many unsent reply bytes. Why: a client
   * that pipelines but does not read (or reads slowly) would otherwise grow our memory without
   * bound; 4 MiB covers a 16-deep pipeline of 1 MiB GETs with room to spare.
   */
  readonly outputBytesHighWater: number;
  /**
   * Reply bytes one connection may hold (ready replies not yet handed to the socket plus what the
   * socket has not sent) before it is closed and counted: Redis's client-output-buffer-limit, hard
   * limit only. Why: reading stops at outputBytesHighWater, but the replies to commands already
   * read still pile up (inflightMax GETs of 1 MiB values is 1 GiB); 128 MiB is twice the largest
   * legitimate single reply (an MGET at proxy.mgetReplyBytesMax, 64 MiB).
   */
  readonly outputBufferBytesMax: number;
  /**
   * A command begun but not completed within this long closes the connection. Why: a client that
   * sends half a frame (or one byte a minute) would hold its buffers and its slot in maxClients
   * forever; a whole 1 MiB value crosses even a slow link in far less than 30 s.
   */
  readonly frameTimeoutMs: number;
  /**
   * A connection with nothing in flight that sends nothing for this long is closed (Redis
   * `timeout`); 0: never. Why off by default: pooled clients (ioredis, redis-py) keep idle
   * connections on purpose, and maxClients already bounds how many a client can hold.
   */
  readonly idleTimeoutMs: number;
}

export const RESP_DEFAULTS: Readonly<RespLimits> = Object.freeze({
  bulkBytesMax: 1024 * 1024 + 64 * 1024,
  arrayLengthMax: 1024 * 1024,
  inlineBytesMax: 64 * 1024,
  frameBytesMax: 64 * 1024 * 1024,
  inflightMax: 1024,
  inflightBytesMax: 16 * 1024 * 1024,
  outputBytesHighWater: 4 * 1024 * 1024,
  outputBufferBytesMax: 128 * 1024 * 1024,
  frameTimeoutMs: 30_000,
  idleTimeoutMs: 0,
});

/** The limits where 0 means "off" rather than being an error. */
const ZERO_MEANS_OFF: ReadonlySet<string> = new Set(['idleTimeoutMs']);

/**
 * Limits with defaults filled in, validated once at start-up: an unknown key or a value that is
 * not a positive safe integer stops the caller with RC_ERR_CONFIG naming the key.
 */
export function resolveRespLimits(overrides: Partial<RespLimits> = {}, where = 'resp.limits'): RespLimits {
  const known = Object.keys(RESP_DEFAULTS);
  for (const key of Object.keys(overrides)) {
    if (!known.includes(key)) {
      throw new RingcacheError('RC_ERR_CONFIG', `unknown option ${where}.${key} (known: ${known.join(', ')})`);
    }
  }
  const limits: RespLimits = { ...RESP_DEFAULTS, ...overrides };
  for (const [key, value] of Object.entries(limits)) {
    const min = ZERO_MEANS_OFF.has(key) ? 0 : 1;
    if (!Number.isSafeInteger(value) || (value as number) < min) {
      const what = min === 0 ? 'a non-negative integer (0: off)' : 'a positive integer';
      throw new RingcacheError('RC_ERR_CONFIG', `${where}.${key} must be ${what}, got ${JSON.stringify(value)}`);
    }
  }
  return Object.freeze(limits);
}
