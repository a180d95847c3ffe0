import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerCredentials, SecretCheck } from '../auth/index.js';
import { RingcacheError } from '../runtime/index.js';

/** Which secret a route wants: named in the 401, so the caller knows what to send. */
export type BearerSecret = 'cluster.token' | 'proxy.password';

export type BearerGuard = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

const LABELS: Readonly<Record<BearerSecret, string>> = { 'cluster.token': 'cluster token', 'proxy.password': 'proxy password' };

/**
 * The `Authorization: Bearer` check of every role (DESIGN.md section 8), as a fastify onRequest
 * hook; undefined when the secret is empty, so an open route pays no hook at all. A refusal is
 * 401 RC_ERR_UNAUTHORIZED in the one error shape, raised before the route reads anything.
 */
export function bearerGuard(secret: string, option: BearerSecret): BearerGuard | undefined {
  const check = SecretCheck.of(secret);
  if (check === undefined) return undefined;
  const label = LABELS[option];
  return (request, _reply, done) => {
    const given = bearerCredentials(request.headers.authorization);
    if (given !== undefined && check.matches(given)) {
      done();
      return;
    }
    done(new RingcacheError('RC_ERR_UNAUTHORIZED', `${label} ${given === undefined ? 'missing' : 'wrong'}: send 'Authorization: Bearer <${option}>'`));
  };
}

/** Route options that run `guard` first, or none. */
export function guardedRoute(guard: BearerGuard | undefined): { onRequest?: BearerGuard } {
  return guard === undefined ? {} : { onRequest: guard };
}
