/**
 * The shard-master's answer to a load report: who else caches hot keys, and which keys (DESIGN.md
 * section 6, "invalidation messages from the other proxies"). The master already hears from every
 * proxy and client library each loadReportIntervalMs, so the reply is where they learn each other;
 * no second membership protocol.
 *
 *   { "peers": ["http://127.0.0.1:8081", ...],   invalidation URLs of the other caching reporters
 *     "watchedKeys": ["<base64>", ...] }          keys one of them may hold: the union of their
 *                                                 last reported hot keys (a proxy caches only keys
 *                                                 its own sketch found hot, and reports them all)
 *
 * Read off the network by every reporter, so both lists are bounded and every entry checked.
 */
import { RingcacheError } from '../runtime/index.js';
import { isInvalidationUrl } from './load-report.js';

export interface PeerDirectory {
  readonly peers: readonly string[];
  /** Keys as latin1 text (one char a byte), as the near cache and the sketch keep them. */
  readonly watchedKeys: readonly string[];
}

/** Peers one reply may name: far above a real fleet of proxies, and what a reporter keeps at most. */
export const PEERS_MAX = 1024;
/** Watched keys one reply may carry: 64 reporters' worth of the default 64 hot keys each. */
export const WATCHED_KEYS_MAX = 4096;

export const EMPTY_PEER_DIRECTORY: PeerDirectory = Object.freeze({ peers: [], watchedKeys: [] });

export function encodePeerDirectory(directory: PeerDirectory): unknown {
  return {
    peers: directory.peers.slice(0, PEERS_MAX),
    watchedKeys: directory.watchedKeys.slice(0, WATCHED_KEYS_MAX).map((key) => Buffer.from(key, 'latin1').toString('base64')),
  };
}

/** Reads the master's reply; anything malformed or past a limit is RC_ERR_PROTOCOL. */
export function readPeerDirectory(body: unknown, keyBytesMax: number): PeerDirectory {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) bad('not a JSON object');
  const record = body as Record<string, unknown>;
  for (const field of Object.keys(record)) if (field !== 'peers' && field !== 'watchedKeys') bad(`unknown field '${field}'`);
  const { peers, watchedKeys } = record;
  if (!Array.isArray(peers) || peers.length > PEERS_MAX) bad(`peers must be an array of at most ${PEERS_MAX}`);
  if (!Array.isArray(watchedKeys) || watchedKeys.length > WATCHED_KEYS_MAX) bad(`watchedKeys must be an array of at most ${WATCHED_KEYS_MAX}`);
  for (const peer of peers as unknown[]) if (!isInvalidationUrl(peer)) bad('a peer is not an http(s)://host:port URL');
  const keys = (watchedKeys as unknown[]).map((entry) => {
    if (typeof entry !== 'string' || entry.length > Math.ceil(keyBytesMax / 3) * 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(entry)) bad('a watched key is not base64 of a key');
    const key = Buffer.from(entry, 'base64');
    if (key.length === 0 || key.length > keyBytesMax) bad(`a watched key must be 1..${keyBytesMax} bytes`);
    return key.toString('latin1');
  });
  return { peers: peers as string[], watchedKeys: keys };
}

function bad(message: string): never {
  throw new RingcacheError('RC_ERR_PROTOCOL', `peer directory from the shard-master: ${message}`);
}
