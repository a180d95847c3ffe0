import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ERROR_CATALOGUE, RingcacheError } from '../runtime/index.js';
import type { ErrorCode, Logger } from '../runtime/index.js';

/**
 * One error shape for every HTTP server of every role (proxy, node, master), fastify's own
 * errors included:
 *
 *   HTTP/1.1 <catalogue status>
 *   { "code": "RC_ERR_...", "message": "...", "details": { ... } }
 *
 * Three paths lead to an error reply, and each is mapped here once:
 *   route throws / fastify rejects the request (body too large, bad content) -> setErrorHandler
 *   no route matches                                                          -> setNotFoundHandler
 *   node's parser refuses the bytes before fastify sees a request (431, 408, 400)
 *                                                   -> clientErrorHandler (written on the socket)
 */
export interface ErrorShapeOptions {
  /** Names the process in logs and in internal-error messages: 'proxy', 'node n1', 'shard-master'. */
  readonly where: string;
  readonly logger?: Logger | undefined;
  /** The role's body limit and the key that sets it, for the 413 message. */
  readonly bodyBytesMax: number;
  readonly bodyLimitName: string;
  /** Appended to the 404 message (the master points at GET /). */
  readonly notFoundHint?: string;
}

/** What fastify reports: its own errors carry a code (FST_ERR_*) and a 4xx statusCode. */
interface FrameworkError {
  readonly code?: string;
  readonly statusCode?: number;
  readonly message?: string;
}

/**
 * Anything a route or fastify throws, as a RingcacheError. A RingcacheError is kept; fastify's
 * 413 names the body limit; its other 4xx are RC_ERR_BAD_REQUEST (its code in details); anything
 * else is a bug: logged, and answered RC_ERR_INTERNAL without its text (it may hold internals).
 */
export function codedHttpError(error: unknown, options: ErrorShapeOptions): RingcacheError {
  if (error instanceof RingcacheError) return error;
  const framework = (typeof error === 'object' && error !== null ? error : {}) as FrameworkError;
  const status = typeof framework.statusCode === 'number' ? framework.statusCode : 500;
  if (framework.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
    const { bodyBytesMax, bodyLimitName } = options;
    return new RingcacheError('RC_ERR_VALUE_TOO_LARGE', `request body is over ${bodyLimitName}=${String(bodyBytesMax)} bytes`, { bodyBytesMax });
  }
  if (status >= 400 && status < 500) {
    return new RingcacheError('RC_ERR_BAD_REQUEST', framework.message ?? 'bad request', { fastifyCode: framework.code ?? null });
  }
  options.logger?.error({ err: error, where: options.where }, 'HTTP request failed unexpectedly');
  return new RingcacheError('RC_ERR_INTERNAL', `${options.where}: internal error`);
}

export function sendCodedError(reply: FastifyReply, error: RingcacheError): FastifyReply {
  if (error.code === 'RC_ERR_UNAUTHORIZED') void reply.header('www-authenticate', 'Bearer realm="ringcache"');
  return reply.code(error.httpStatus).type('application/json; charset=utf-8').send(error.toJSON());
}

/**
 * Fastify's frameworkErrors option (a URL it cannot decode, a bad content type header, before
 * any route runs); pass it to Fastify() with the same options as installErrorShape.
 */
export function frameworkErrorHandler(options: ErrorShapeOptions): (error: unknown, request: unknown, reply: FastifyReply) => void {
  return (error, _request, reply) => { void sendCodedError(reply, codedHttpError(error, options)); };
}

/** Installs the error and not-found handlers; call once, before the routes. */
export function installErrorShape(app: FastifyInstance, options: ErrorShapeOptions): void {
  app.setErrorHandler((error: unknown, _request, reply) => sendCodedError(reply, codedHttpError(error, options)));
  app.setNotFoundHandler((request, reply) => {
    const path = (request.url.split('?')[0] ?? request.url).slice(0, 200);
    const hint = options.notFoundHint === undefined ? '' : `; ${options.notFoundHint}`;
    return sendCodedError(reply, new RingcacheError('RC_ERR_NOT_FOUND', `no route ${request.method} ${path}${hint}`));
  });
}

/** node's parser errors, by its error code: what fastify's default handler answers, in our shape. */
const CLIENT_ERRORS: Readonly<Record<string, { code: ErrorCode; message: string }>> = {
  HPE_HEADER_OVERFLOW: { code: 'RC_ERR_HEADERS_TOO_LARGE', message: 'request line and headers are over the header limit' },
  ERR_HTTP_REQUEST_TIMEOUT: { code: 'RC_ERR_REQUEST_TIMEOUT', message: 'the request was not received within the request timeout' },
};
const CLIENT_ERROR_DEFAULT = { code: 'RC_ERR_BAD_REQUEST', message: 'malformed HTTP request' } as const;

/**
 * Fastify's clientErrorHandler option: answers what node's parser refused (headers too large,
 * a request too slow, garbage) in the one shape, then destroys the socket as node does.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { code, message } = CLIENT_ERRORS[error.code ?? ''] ?? CLIENT_ERROR_DEFAULT;
  const status = ERROR_CATALOGUE[code].httpStatus;
  const body = JSON.stringify({ code, message, details: { parserCode: error.code ?? null } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${String(status)} ${code}\r\nContent-Length: ${String(Buffer.byteLength(body))}\r\n`
      + `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
