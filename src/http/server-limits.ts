import type { TlsOptions } from 'node:tls';
import { clientErrorHandler } from './error-reply.js';

/**
 * Limits of an HTTP server, the HTTP side of the RESP server's (resp.*, proxy.maxClients). The
 * body limit is per route family and stays with each role (fastify's bodyLimit).
 */
export interface HttpServerLimits {
  /**
   * Request line plus headers. Why: node's own default (16 KiB), written down so it is a decision;
   * a longer header block is answered 431 before any route runs.
   */
  readonly headerBytesMax: number;
  /**
   * Time to receive a whole request (headers and body). Why: fastify turns node's 300 s default
   * off, so a client sending one byte a minute held a connection forever (slowloris); a 1 MiB
   * body crosses even a slow link well within 30 s. Replies may take longer (long polls).
   */
  readonly requestTimeoutMs: number;
  /**
   * Connections open at once; more are dropped at accept (node's server.maxConnections). Why
   * 8192: with the RESP port's 10,000 and a reserve it stays under a 20,000 descriptor limit.
   */
  readonly connectionsMax: number;
}

export const HTTP_SERVER_DEFAULTS: Readonly<HttpServerLimits> = Object.freeze({
  headerBytesMax: 16 * 1024,
  requestTimeoutMs: 30_000,
  connectionsMax: 8192,
});

/** The Fastify() options that carry the limits; spread them into the role's own options. */
export function fastifyLimitOptions(limits: HttpServerLimits = HTTP_SERVER_DEFAULTS): {
  http: { maxHeaderSize: number }; requestTimeout: number; clientErrorHandler: typeof clientErrorHandler;
} {
  // The parser's refusals (431 over the header limit, 408 past the timeout) answer in our shape.
  return { http: { maxHeaderSize: limits.headerBytesMax }, requestTimeout: limits.requestTimeoutMs, clientErrorHandler };
}

/**
 * The Fastify() listener options: plain HTTP, or HTTPS with `tls` (the proxy's own files, or the
 * cluster's, src/tls). An https server is an http server for every route and hook; only its
 * listener differs, so the header limit rides along.
 */
export function fastifyListener(limits: ReturnType<typeof fastifyLimitOptions>, tls: TlsOptions | undefined): Record<string, never> {
  // Fastify types https servers as another instance type; the routes and hooks are the same.
  return (tls === undefined ? {} : { https: { ...limits.http, ...tls } }) as unknown as Record<string, never>;
}
