/**
 * GET /v1/moves: the executor's view (moves/move-executor.ts): moves in flight with what their
 * targets report copied (keys, bytes, synced), the queue in order, and totals since start.
 *
 *   200 {epoch, inFlight: [{vnode, from, to, keysCopied, bytesCopied, synced, startedAtMs}],
 *        queued: [{vnode, from, to, ...}], completed, bytesMoved, keysMoved}
 */
import { guardedRoute } from '../../src/http/index.js';
import type { FastifyInstance } from 'fastify';
import type { AdminDeps } from './servers.js';
import { registerServerRoutes } from './servers.js';

/** How many queued moves one answer lists (a drain of a large server queues thousands). */
const QUEUED_LISTED_MAX = 1000;

export function registerMoveRoutes(app: FastifyInstance, deps: AdminDeps): void {
  app.get('/v1/moves', guardedRoute(deps.guard), () => {
    const report = deps.executor.report();
    return { ...report, queued: report.queued.slice(0, QUEUED_LISTED_MAX), queuedCount: report.queued.length };
  });
}

/** Every admin route of moves and membership: the one line the HTTP API calls. */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  registerServerRoutes(app, deps);
  registerMoveRoutes(app, deps);
}
