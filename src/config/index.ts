export { SCHEMA, NODE_ENTRY_SCHEMA } from './schema.js';
export type { Leaf, NodeEntry, RingcacheConfig } from './schema.js';
export { applyOverride, envName, loadConfig, readConfigFile } from './load.js';
export type { ConfigSources } from './load.js';
export { renderConfigurationReference } from './reference.js';
