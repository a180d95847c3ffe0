/**
 * shard-master/dashboard/: the operator's page at the master's `/` and the JSON it polls. Its
 * public surface; http.ts registers it.
 */
export { registerDashboard } from './routes.js';
export type { Dashboard, DashboardDeps } from './routes.js';
export { DASHBOARD_DEFAULTS, detectionBoundMs } from './options.js';
export type { DashboardOptions } from './options.js';
export { httpJsonFetcher } from './json-fetch.js';
export type { JsonAnswer, JsonFetcher, JsonRequest } from './json-fetch.js';
export type { DashboardOverview, DashboardProxy, DashboardServer, Holdings, HistoryPoint, ProbeView, ServerStatus, VnodeView } from '../../src/client/dashboard-api.js';
