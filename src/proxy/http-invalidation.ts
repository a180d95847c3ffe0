/**
 * POST /v1/near-cache/invalidate on the proxy's HTTP port: the other proxies and client
 * libraries tell this one of writes they started of keys it may cache (src/load/invalidation-sender.ts).
 *
 *   {"keys": ["<base64>", ...]}   at most proxy.invalidationBatchKeysMax, each 1..limits.keyBytesMax
 *   -> 200 {"invalidated": n}     n: keys this proxy held (the rest were not cached here)
 *
 * Guarded by the cluster token (the peers' secret, not the clients' proxy.password). A malformed
 * or oversized batch is refused whole with RC_ERR_BAD_REQUEST; the cache is untouched.
 */
import type { FastifyInstance } from 'fastify';
import { bearerGuard, guardedRoute } from '../http/index.js';
import { INVALIDATION_PATH } from '../load/index.js';
import { RingcacheError } from '../runtime/index.js';
import type { NearCache } from './near-cache.js';
import type { ProxyConfig } from './options.js';

export function registerInvalidationRoute(app: FastifyInstance, cache: NearCache | undefined, config: ProxyConfig): void {
  const guarded = guardedRoute(bearerGuard(config.cluster.token, 'cluster.token'));
  const { invalidationBatchKeysMax, invalidationFenceMs } = config.proxy;
  const keyBytesMax = config.limits.keyBytesMax;
  app.post(INVALIDATION_PATH, guarded, (request) => {
    const keys = readBatch(request.body, invalidationBatchKeysMax, keyBytesMax);
    if (cache === undefined) return Promise.resolve({ invalidated: 0 });
    const before = cache.size;
    for (const key of keys) cache.invalidateFromPeer(key, invalidationFenceMs);
    return Promise.resolve({ invalidated: before - cache.size });
  });
}

function readBatch(body: unknown, keysMax: number, keyBytesMax: number): Buffer[] {
  // The proxy parses no body (values are bytes): this route reads its own JSON.
  let parsed: unknown;
  try {
    parsed = Buffer.isBuffer(body) ? JSON.parse(body.toString('utf8')) : undefined;
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) bad('the body must be a JSON object {"keys": [...]}');
  const record = parsed as Record<string, unknown>;
  for (const field of Object.keys(record)) if (field !== 'keys') bad(`unknown field '${field}' (only "keys")`);
  const keys = record.keys;
  if (!Array.isArray(keys) || keys.length > keysMax) bad(`keys must be an array of at most proxy.invalidationBatchKeysMax=${keysMax}`);
  return (keys as unknown[]).map((entry) => {
    if (typeof entry !== 'string' || entry.length > Math.ceil(keyBytesMax / 3) * 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(entry)) bad('each key must be base64');
    const key = Buffer.from(entry, 'base64');
    if (key.length === 0 || key.length > keyBytesMax) bad(`each key must be 1..limits.keyBytesMax=${keyBytesMax} bytes`);
    return key;
  });
}

function bad(message: string): never {
  throw new RingcacheError('RC_ERR_BAD_REQUEST', `near-cache invalidation: ${message}`);
}
