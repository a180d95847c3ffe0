import { RingcacheError } from '../runtime/index.js';

/**
 * What a full memory engine does (append only: the names are config values):
 * - 'reject': refuse the write with RC_ERR_STORAGE_FULL; an acknowledged write is never dropped.
 * - 'lru': evict the least recently used other keys, cache semantics (Redis allkeys-lru).
 */
export type EvictionPolicy = 'reject' | 'lru';

export interface MemoryEngineOptions {
  /** Heap the engine may hold, by its own estimate (versionedBytes + key + entry overhead). */
  readonly bytesMax: number;
  /** 'reject' by default: losing acknowledged writes must be the operator's explicit choice. */
  readonly evictionPolicy: EvictionPolicy;
  /** Siblings kept per key (DESIGN.md section 3); the newest win, the rest count as overflow. */
  readonly siblingsMax: number;
}

export const MEMORY_ENGINE_DEFAULTS: MemoryEngineOptions = Object.freeze({
  bytesMax: 256 * 1024 * 1024,
  evictionPolicy: 'reject',
  siblingsMax: 64,
});

const EVICTION_POLICIES: readonly string[] = ['reject', 'lru'];

/** Fills defaults and rejects unknown keys and bad values with RC_ERR_CONFIG naming the key. */
export function memoryEngineOptions(overrides: Partial<MemoryEngineOptions> = {}): MemoryEngineOptions {
  for (const key of Object.keys(overrides)) {
    if (!(key in MEMORY_ENGINE_DEFAULTS)) {
      throw new RingcacheError('RC_ERR_CONFIG', `storage.${key} is not a memory engine option`);
    }
  }
  const options: MemoryEngineOptions = { ...MEMORY_ENGINE_DEFAULTS, ...overrides };
  if (!Number.isSafeInteger(options.bytesMax) || options.bytesMax < 1) {
    throw new RingcacheError('RC_ERR_CONFIG', `storage.bytesMax is ${String(options.bytesMax)}, not a positive integer`);
  }
  if (!EVICTION_POLICIES.includes(options.evictionPolicy)) {
    throw new RingcacheError('RC_ERR_CONFIG', `storage.evictionPolicy is ${JSON.stringify(options.evictionPolicy)}, not 'reject' or 'lru'`);
  }
  if (!Number.isSafeInteger(options.siblingsMax) || options.siblingsMax < 1) {
    throw new RingcacheError('RC_ERR_CONFIG', `storage.siblingsMax is ${String(options.siblingsMax)}, not an integer >= 1`);
  }
  return Object.freeze(options);
}
