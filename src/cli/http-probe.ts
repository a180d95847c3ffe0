import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../runtime/index.js';
import { RingcacheError } from '../runtime/index.js';

/** Outcome of one GET: the status, or why there was none. */
export type ProbeResult =
  | { readonly kind: 'answered'; readonly status: number; readonly body: string }
  | { readonly kind: 'failed'; readonly reason: string };

/** One GET with a deadline; never throws. */
export async function httpGet(url: string, timeoutMs: number, headers: Record<string, string> = {}, fetcher: typeof fetch = globalThis.fetch.bind(globalThis)): Promise<ProbeResult> {
  try {
    const response = await fetcher(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    return { kind: 'answered', status: response.status, body: await response.text() };
  } catch (error) {
    return { kind: 'failed', reason: failureReason(error, timeoutMs) };
  }
}

/** fetch() hides the socket error in `cause`; dig out 'ECONNREFUSED' and friends. */
function failureReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code === 'ECONNREFUSED' ? 'connection refused' : cause.code;
  return error instanceof Error ? error.message : String(error);
}

export interface WaitOptions {
  readonly clock: Clock;
  readonly deadlineMs: number;
  readonly intervalMs?: number;
  /** Gives up early when this says so (the process being waited on died). */
  readonly abandon?: () => string | undefined;
  /** With cluster TLS, a fetch that trusts the cluster CA (src/tls). @default the global fetch */
  readonly fetch?: typeof fetch;
}

/**
 * Polls GET `url` until it answers 200. Bounded in time (deadlineMs) and so in attempts
 * (deadlineMs / intervalMs). Resolves with undefined when healthy, else with why not.
 */
export async function waitForHealth(url: string, options: WaitOptions): Promise<string | undefined> {
  const intervalMs = options.intervalMs ?? 100;
  const started = options.clock.nowMs();
  const attemptsMax = Math.ceil(options.deadlineMs / intervalMs) + 1;
  let last = 'not probed';
  for (let attempt = 0; attempt < attemptsMax; attempt++) {
    const abandoned = options.abandon?.();
    if (abandoned !== undefined) return abandoned;
    const result = await httpGet(url, Math.max(200, intervalMs * 5), {}, options.fetch);
    if (result.kind === 'answered' && result.status === 200) return undefined;
    last = result.kind === 'answered' ? `HTTP ${result.status}` : result.reason;
    if (options.clock.nowMs() - started >= options.deadlineMs) break;
    await options.clock.sleep(intervalMs);
  }
  return `${url} not healthy after ${options.deadlineMs} ms (last: ${last})`;
}

/** Ports this process has already handed out: the kernel may offer a just-released port again. */
const handedOut = new Set<number>();

/**
 * A free TCP port on `host`, by binding port 0 and releasing it. Never the same port twice in one
 * process (a cluster config once got two nodes on one port because the kernel offered a port it
 * had just released). Still racy against other processes: callers start the child right away and
 * report a bind failure with the port's name.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 64; attempt++) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => { resolve(); });
    });
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => { server.close(() => { resolve(); }); });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new RingcacheError('RC_ERR_UNREACHABLE', `no free port on ${host} that this process has not handed out already (64 attempts)`);
}

/** True when nothing listens on host:port (we could bind it). */
export async function portIsFree(host: string, port: number): Promise<boolean> {
  const server = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => { resolve(false); });
    server.listen(port, host, () => { resolve(true); });
  });
  if (bound) await new Promise<void>((resolve) => { server.close(() => { resolve(); }); });
  return bound;
}
