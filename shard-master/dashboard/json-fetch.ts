/**
 * How the dashboard asks nodes and proxies for JSON: one GET with a deadline on the injected Clock
 * and a cap on the bytes read, that never throws. The collector takes it as a dependency, so unit
 * tests answer from memory and the integration tests use the real one against real processes.
 */
import type { Clock } from '../../src/runtime/index.js';

export type JsonAnswer =
  | { readonly kind: 'answered'; readonly status: number; readonly body: unknown; readonly elapsedMs: number }
  | { readonly kind: 'failed'; readonly reason: string; readonly elapsedMs: number };

export interface JsonRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly bytesMax: number;
}

export type JsonFetcher = (request: JsonRequest) => Promise<JsonAnswer>;

/**
 * The real fetcher, over Node's fetch (or `fetcher`: with cluster TLS, one that trusts the
 * cluster CA, src/tls). A body that is not JSON is `body: undefined`.
 */
export function httpJsonFetcher(clock: Clock, fetcher: typeof fetch = globalThis.fetch.bind(globalThis)): JsonFetcher {
  return async (request) => {
    const startedMs = clock.nowMs();
    const controller = new AbortController();
    const deadline = clock.schedule(request.timeoutMs, () => { controller.abort(); });
    const elapsed = (): number => clock.nowMs() - startedMs;
    try {
      const response = await fetcher(request.url, { headers: request.headers, signal: controller.signal, redirect: 'error' });
      const text = await boundedText(response, request.bytesMax);
      if (text === undefined) return { kind: 'failed', reason: `answer longer than ${request.bytesMax} bytes`, elapsedMs: elapsed() };
      return { kind: 'answered', status: response.status, body: parsed(text), elapsedMs: elapsed() };
    } catch (error) {
      const reason = controller.signal.aborted ? `no answer within ${request.timeoutMs} ms` : failureReason(error);
      return { kind: 'failed', reason, elapsedMs: elapsed() };
    } finally {
      deadline.cancel();
    }
  };
}

/** Reads at most bytesMax bytes; undefined (and the rest left unread) when the body is longer. */
async function boundedText(response: Response, bytesMax: number): Promise<string | undefined> {
  if (response.body === null) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > bytesMax) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** fetch() hides the socket error in `cause`: 'connection refused' reads better than 'fetch failed'. */
function failureReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code === 'ECONNREFUSED' ? 'connection refused' : cause.code;
  return error instanceof Error ? error.message : String(error);
}
