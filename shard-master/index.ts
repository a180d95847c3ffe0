/**
 * shard-master/: the owner of the members and the table (DESIGN.md sections 2, 6, 7). Its public
 * surface; main.ts and the CLI import this, never the files behind it.
 */
export { TOKENS_PER_SERVER_DEFAULT, movedReplicas, placeTable, replicaCounts, targetCounts } from './placement.js';
export type { PlacementInput } from './placement.js';
export { STATE_FORMAT_VERSION, loadState, parseState, saveState } from './state-store.js';
export type { MasterState } from './state-store.js';
export { SHARD_MASTER_DEFAULTS, ShardMaster } from './master.js';
export type { ShardMasterDeps, ShardMasterOptions } from './master.js';
export { clusterSummary } from './cluster-summary.js';
export type { ClusterSummary, ServerSummary, ZoneSummary } from './cluster-summary.js';
export { EPOCH_HEADER, buildMasterHttp, buildMasterHttpWithDashboard } from './http.js';
export type { MasterHttpDeps } from './http.js';
export { startMaster } from './server.js';
export type { MasterProcessDeps, RunningMaster } from './server.js';
export { MoveExecutor } from './moves/move-executor.js';
export type { MoveProbe, MoveStatus, MoveStore, MovesReport, TransferProgress } from './moves/move-executor.js';
export { finishMoves, fits, movesBetween, projectedTable, settledTable, startMoves } from './moves/move-plan.js';
export type { Move } from './moves/move-plan.js';
export { planAdd, planDrain, planRemove } from './moves/membership.js';
export type { MembershipPlan, MembershipState } from './moves/membership.js';
