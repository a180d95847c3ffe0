/** What every role's HTTP server shares: its limits (the proxy's, the nodes' and the master's). */
export { HTTP_SERVER_DEFAULTS, fastifyLimitOptions } from './server-limits.js';
export type { HttpServerLimits } from './server-limits.js';
