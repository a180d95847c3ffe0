/**
 * Storage: the engine contract that replication, repair, hinted handoff, anti-entropy and
 * transfers are written against (riak_core's backend behaviour), and its engines.
 */
export type { ChangeCause, ChangeListener, EngineStats, MergeResult, StorageEngine, VnodeStats } from './engine.js';
export type { EvictionPolicy, MemoryEngineOptions } from './memory-engine-options.js';
export { MEMORY_ENGINE_DEFAULTS, memoryEngineOptions } from './memory-engine-options.js';
export { ENTRY_OVERHEAD_BYTES, MemoryEngine, WIRE_OVERHEAD_BYTES, entryBytes } from './memory-engine.js';
