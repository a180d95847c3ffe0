/**
 * ring/: keys -> vnodes -> rows of the table (DESIGN.md section 2). The read side only: hashing,
 * table types, lookups, placements and fallbacks. Building and rebalancing tables is the
 * shard-master's job (shard-master/placement.ts), which imports this surface.
 */
export { ALL_UP } from './table.js';
export type { Liveness, PendingMove, ServerId, ServerInfo, ServerState, Table, TableRow } from './table.js';
export { VNODE_COUNT_MAX, checkVnodeCount, keyHash, serverTokens, vnodeOf } from './hash.js';
export { RoutingTable, placementOf } from './routing-table.js';
export type { Placement } from './routing-table.js';
export { validateQuorum, validateTable } from './validate.js';
