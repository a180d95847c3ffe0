import type { ErrorCode } from '../runtime/index.js';
import { ERROR_CATALOGUE } from '../runtime/index.js';
import { CommandFailure } from './command.js';
import type { CommandContext } from './command.js';
import { clusterFetchOf, masterUrl } from './master-url.js';

const MASTER_ADVICE = 'is the cluster running (npm start)? the config must point at its master: --config FILE or --master.port=PORT';

/**
 * One request to the shard-master's admin API (`ringcache admin`): the cluster token, a deadline,
 * and the master's coded errors turned into a CommandFailure that says what it said.
 */
export async function adminRequest(context: CommandContext, method: 'GET' | 'POST' | 'DELETE', path: string, timeoutMs: number, body?: unknown): Promise<unknown> {
  const url = `${masterUrl(context.config)}${path}`;
  const headers: Record<string, string> = context.config.cluster.token === '' ? {} : { authorization: `Bearer ${context.config.cluster.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  let text: string;
  try {
    response = await clusterFetchOf(context.config)(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(timeoutMs) });
    text = await response.text();
  } catch (error) {
    const reason = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError') ? `no answer within ${timeoutMs} ms` : causeOf(error);
    throw new CommandFailure('RC_ERR_UNREACHABLE', `cannot reach the shard-master at ${url}: ${reason}`, MASTER_ADVICE);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CommandFailure('RC_ERR_PROTOCOL', `the shard-master at ${url} answered HTTP ${response.status} with something that is not JSON: ${text.slice(0, 200)}`, MASTER_ADVICE);
  }
  if (response.ok) return value;
  const coded = (typeof value === 'object' && value !== null ? value : {}) as { code?: unknown; message?: unknown };
  const code = typeof coded.code === 'string' && Object.hasOwn(ERROR_CATALOGUE, coded.code) ? coded.code as ErrorCode : 'RC_ERR_PROTOCOL';
  const message = typeof coded.message === 'string' ? coded.message : text.slice(0, 200);
  if (response.status === 404 && code === 'RC_ERR_NOT_FOUND' && !path.startsWith('/v1/route/')) {
    throw new CommandFailure(code, `the shard-master at ${url} has no ${path.split('?')[0] ?? path}: it runs an older ringcache than this command`, 'restart the cluster with this version of ringcache');
  }
  throw new CommandFailure(code, message, code === 'RC_ERR_UNAUTHORIZED' ? 'give the cluster token: RINGCACHE_CLUSTER_TOKEN=... or --cluster.token=...' : undefined);
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code === 'ECONNREFUSED' ? 'connection refused' : cause.code;
  return error instanceof Error ? error.message : String(error);
}
