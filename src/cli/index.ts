/**
 * The CLI's surface for the rest of the package: the roles contract the process mains implement
 * (roles.ts), and the process machinery the benchmark (load/) reuses to start whole clusters.
 * The command line itself is main.ts, run by bin/ringcache.js.
 */
export { readyLine, parseReadyLine, serveUntilStopped, loadRole, ROLE_MODULES } from './roles.js';
export type { ReadyLine, RoleModule, RoleName, ServeOptions } from './roles.js';
export { ChildHandle, describeExit } from './child.js';
export type { ChildExit, ChildOptions } from './child.js';
export { LocalCluster, childEnv } from './cluster.js';
export type { LocalClusterOptions } from './cluster.js';
export { configAsJson, planCluster, resolveClusterConfig } from './cluster-plan.js';
export type { ClusterPlan, MemberPlan } from './cluster-plan.js';
export { freePort, httpGet, portIsFree, waitForHealth } from './http-probe.js';
export type { CliIo } from './command.js';
export type { LoadSettings } from './load.js';
