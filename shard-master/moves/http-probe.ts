/**
 * The executor's probe over HTTP: GET /v1/transfers/:vnode on the target's node port (node/http.ts),
 * with a deadline, a byte cap and the cluster token, read through the dashboard's bounded fetcher.
 */
import type { ServerInfo } from '../../src/ring/index.js';
import { RingcacheError } from '../../src/runtime/index.js';
import type { JsonFetcher } from '../dashboard/index.js';
import type { MoveProbe, TransferProgress } from './move-executor.js';

const PROBE_TIMEOUT_MS = 2_000;
const PROBE_BYTES_MAX = 4096;

export function httpMoveProbe(fetcher: JsonFetcher, token: string, scheme: 'http' | 'https' = 'http'): MoveProbe {
  const headers: Record<string, string> = token === '' ? {} : { authorization: `Bearer ${token}` };
  return {
    async progress(target: ServerInfo, vnode: number): Promise<TransferProgress> {
      const host = target.host.includes(':') ? `[${target.host}]` : target.host;
      const answer = await fetcher({ url: `${scheme}://${host}:${String(target.httpPort)}/v1/transfers/${String(vnode)}`, headers, timeoutMs: PROBE_TIMEOUT_MS, bytesMax: PROBE_BYTES_MAX });
      if (answer.kind === 'failed') throw new RingcacheError('RC_ERR_UNREACHABLE', `${target.id}: ${answer.reason}`);
      const body = answer.body as Partial<TransferProgress> | undefined;
      if (answer.status !== 200 || typeof body?.synced !== 'boolean' || typeof body.keys !== 'number' || typeof body.bytes !== 'number') {
        throw new RingcacheError('RC_ERR_UNREACHABLE', `${target.id} answered ${String(answer.status)} to its transfer progress`);
      }
      return { synced: body.synced, keys: body.keys, bytes: body.bytes };
    },
  };
}
