/** What every role's HTTP server shares (the proxy's, the nodes' and the master's): limits and the one error shape. */
export { HTTP_SERVER_DEFAULTS, fastifyLimitOptions, fastifyListener } from './server-limits.js';
export type { HttpServerLimits } from './server-limits.js';
export { clientErrorHandler, codedHttpError, frameworkErrorHandler, installErrorShape, sendCodedError } from './error-reply.js';
export type { ErrorShapeOptions } from './error-reply.js';
export { bearerGuard, guardedRoute } from './bearer-guard.js';
export type { BearerGuard, BearerSecret } from './bearer-guard.js';
