/**
 * Reading HTTP requests of the proxy: keys from the raw URL (so any byte can be percent-encoded,
 * which the router's UTF-8 decoding would refuse), and the ?r= &w= &ttl= &siblings= options.
 */
import { RingcacheError } from '../runtime/index.js';

/** The causal context header, in and out (DESIGN.md section 7; Riak's X-Riak-Vclock). */
export const CONTEXT_HEADER = 'x-ringcache-context';
/** Set on a GET answered 200 when the key has this many (> 1) live siblings: ask ?siblings=all. */
export const SIBLINGS_HEADER = 'x-ringcache-siblings';

const PERCENT = 0x25;

function badRequest(message: string, details: Record<string, unknown> = {}): RingcacheError {
  return new RingcacheError('RC_ERR_BAD_REQUEST', message, details);
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/**
 * The key of `/v1/kv/<key>` from the URL as received: the path after `prefix`, up to '?',
 * percent-decoded to bytes ('/' may appear raw or as %2F). The raw URL is latin1 text, one
 * character per byte.
 */
export function keyFromUrl(url: string, prefix: string): Buffer {
  const start = url.indexOf(prefix);
  if (start < 0) throw badRequest(`URL does not start with ${prefix}`);
  const query = url.indexOf('?', start);
  const raw = Buffer.from(url.slice(start + prefix.length, query < 0 ? url.length : query), 'latin1');
  if (!raw.includes(PERCENT)) return raw;
  const out = Buffer.allocUnsafe(raw.length);
  let length = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i] as number;
    if (byte !== PERCENT) {
      out[length++] = byte;
      continue;
    }
    const high = hexValue(raw[i + 1] ?? 0);
    const low = hexValue(raw[i + 2] ?? 0);
    if (high < 0 || low < 0) throw badRequest(`key has a malformed percent-escape at byte ${String(i)}`, { at: i });
    out[length++] = (high << 4) | low;
    i += 2;
  }
  return out.subarray(0, length);
}

type Query = Readonly<Record<string, string | string[] | undefined>>;

/** A query parameter given once, or undefined; twice is an error (which one would win?). */
export function queryValue(query: unknown, name: string): string | undefined {
  const value = (query as Query | undefined)?.[name];
  if (Array.isArray(value)) throw badRequest(`query parameter '${name}' is given ${String(value.length)} times`, { parameter: name });
  return value;
}

const POSITIVE_INTEGER = /^[1-9][0-9]{0,14}$/;

/** ?r= / ?w=: a positive integer; the range 1..N is checked against the table (KvStore.checkQuorum). */
export function quorumParameter(query: unknown, name: 'r' | 'w'): number | undefined {
  const value = queryValue(query, name);
  if (value === undefined) return undefined;
  if (!POSITIVE_INTEGER.test(value)) {
    throw new RingcacheError('RC_ERR_BAD_QUORUM', `?${name}=${value.slice(0, 32)} is not an integer in 1..N`, { [name]: value.slice(0, 32) });
  }
  return Number(value);
}

/** ?pw= (primaries that must acknowledge a write): a non-negative integer; KvStore checks it against N. */
export function primariesParameter(query: unknown): number | undefined {
  const value = queryValue(query, 'pw');
  if (value === undefined) return undefined;
  if (value !== '0' && !POSITIVE_INTEGER.test(value)) {
    throw new RingcacheError('RC_ERR_BAD_QUORUM', `?pw=${value.slice(0, 32)} is not an integer in 0..N`, { pw: value.slice(0, 32) });
  }
  return Number(value);
}

/** ?ttl= in seconds: a positive integer; the absolute expiry must stay an exact integer of ms. */
export function expiryParameter(query: unknown, nowMs: number): number | null {
  const value = queryValue(query, 'ttl');
  if (value === undefined) return null;
  const seconds = POSITIVE_INTEGER.test(value) ? Number(value) : Number.NaN;
  const expiresAtMs = Math.floor(nowMs) + seconds * 1000;
  if (!Number.isSafeInteger(expiresAtMs)) {
    throw new RingcacheError('RC_ERR_BAD_TTL', `?ttl=${value.slice(0, 32)} is not a positive integer number of seconds`, { ttl: value.slice(0, 32) });
  }
  return expiresAtMs;
}

/** ?siblings=all asks for every live sibling (300 Multiple Choices when there are several); 'one' is the default. */
export function wantsSiblings(query: unknown): boolean {
  const value = queryValue(query, 'siblings');
  if (value === undefined || value === 'one') return false;
  if (value === 'all') return true;
  throw badRequest(`?siblings=${value.slice(0, 32)} is neither 'all' nor 'one'`, { siblings: value.slice(0, 32) });
}

/** The context header, once at most: undefined when absent. */
export function contextHeader(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const value = headers[CONTEXT_HEADER];
  if (Array.isArray(value)) throw new RingcacheError('RC_ERR_BAD_CONTEXT', `${CONTEXT_HEADER} is given ${String(value.length)} times`);
  return value;
}
