/**
 * SCAN, KEYS and DBSIZE at the coordinator (proxy or client library), over the keyspace kinds.
 *
 *   cursor = vnode * 2^32 + order hash        0 starts, and 0 again means done (Redis's contract)
 *
 * A SCAN call walks vnodes from the cursor's, asking the first live replica of each row (the
 * next one if it fails) for a page, until it has COUNT keys or has visited VNODES_PER_CALL_MAX
 * vnodes. The cursor names a vnode and a fixed position inside it, never a server, so a table
 * change between calls skips nothing. What one replica lists is what it holds: a key whose
 * write has not reached it yet (W < N) shows up once read repair or anti-entropy brings it.
 */
import type { Coordinator, Exchange, TableView } from '../replication/index.js';
import type { ServerId } from '../ring/index.js';
import { RingcacheError } from '../runtime/index.js';
import type { PeerReply } from '../transport/index.js';
import type { KeyCountReply, KeyPageReply, KeyScanRequest, ScannedKey } from './messages.js';
import { KEYS_PER_PAGE_MAX } from './messages.js';

const HASH_SPAN = 2 ** 32;
/** Vnodes one SCAN call visits at most: bounds its latency when most vnodes are empty. */
export const VNODES_PER_CALL_MAX = 32;

export interface ScanPage {
  readonly keys: readonly ScannedKey[];
  /** The cursor to continue from; 0 when the whole keyspace has been walked. */
  readonly cursor: number;
}

/** One request to one server, as a promise (the coordinator's shared deadline applies). */
function ask<T extends PeerReply>(coordinator: Coordinator, server: ServerId, body: KeyScanRequest | { kind: 'key-count' }, kind: T['kind']): Promise<T> {
  return new Promise((resolve, reject) => {
    const exchange: Exchange = {
      onReply: (_server, reply) => {
        const answer = reply as PeerReply;
        if (answer.kind === kind) resolve(answer as T);
        else reject(new RingcacheError('RC_ERR_INTERNAL', `${server} answered '${answer.kind}' to '${body.kind}'`));
      },
      onFailure: (_server, error) => { reject(error instanceof Error ? error : new RingcacheError('RC_ERR_UNREACHABLE', `${server} failed`)); },
    };
    coordinator.send(server, body, exchange);
  });
}

/** Live replicas of the row first, then the others (a stale liveness view is not trusted blindly). */
function replicasOf(coordinator: Coordinator, table: TableView, vnode: number): ServerId[] {
  const replicas = table.current().row(vnode).replicas;
  return [...replicas.filter((server) => coordinator.liveness.isUp(server)), ...replicas.filter((server) => !coordinator.liveness.isUp(server))];
}

async function pageOf(coordinator: Coordinator, table: TableView, request: KeyScanRequest): Promise<KeyPageReply> {
  const failures: string[] = [];
  for (const server of replicasOf(coordinator, table, request.vnode)) {
    try {
      return await ask<KeyPageReply>(coordinator, server, request, 'key-page');
    } catch (error) {
      failures.push(`${server}: ${error instanceof Error ? error.message : 'failed'}`);
    }
  }
  throw new RingcacheError('RC_ERR_QUORUM_READ', `no replica of vnode ${String(request.vnode)} answered the scan (${failures.join('; ')})`);
}

/** One SCAN call from `cursor`, aiming at `count` keys. Throws RC_ERR_BAD_REQUEST on a cursor past the keyspace. */
export async function scanFrom(coordinator: Coordinator, table: TableView, cursor: number, count: number): Promise<ScanPage> {
  const vnodeCount = table.current().vnodeCount;
  let vnode = Math.floor(cursor / HASH_SPAN);
  let fromHash = cursor % HASH_SPAN;
  if (!Number.isSafeInteger(cursor) || vnode >= vnodeCount) throw new RingcacheError('RC_ERR_BAD_REQUEST', 'invalid cursor');
  const keys: ScannedKey[] = [];
  for (let visited = 0; visited < VNODES_PER_CALL_MAX && keys.length < count; visited++) {
    const want = Math.max(1, Math.min(KEYS_PER_PAGE_MAX, count - keys.length));
    const page = await pageOf(coordinator, table, { kind: 'key-scan', vnode, fromHash, count: want });
    keys.push(...page.keys);
    if (page.nextHash !== null) {
      fromHash = page.nextHash;
      continue;
    }
    vnode++;
    fromHash = 0;
    if (vnode >= vnodeCount) return { keys, cursor: 0 };
  }
  return { keys, cursor: vnode * HASH_SPAN + fromHash };
}

export interface KeyCounts {
  /** Live keys, each vnode counted at one replica (the first of its row that answered). */
  readonly keys: number;
  /** Storage bytes summed over the nodes that answered (every replica's copy counts). */
  readonly bytes: number;
  readonly serversAnswered: number;
  readonly servers: number;
}

/** DBSIZE: every server of the table once, in parallel; a vnode no replica answered for counts 0. */
export async function countKeys(coordinator: Coordinator, table: TableView): Promise<KeyCounts> {
  const routing = table.current();
  const servers = routing.table.servers.map((server) => server.id);
  const replies = await Promise.all(servers.map((server) =>
    ask<KeyCountReply>(coordinator, server, { kind: 'key-count' }, 'key-counts').then((reply) => [server, reply] as const, () => undefined)));
  const answered = new Map<ServerId, KeyCountReply>();
  let bytes = 0;
  for (const entry of replies) {
    if (entry === undefined) continue;
    answered.set(entry[0], entry[1]);
    bytes += entry[1].bytes;
  }
  let keys = 0;
  for (let vnode = 0; vnode < routing.vnodeCount; vnode++) {
    const counter = routing.row(vnode).replicas.map((server) => answered.get(server)).find((reply) => reply !== undefined);
    keys += counter?.counts.get(vnode) ?? 0;
  }
  return { keys, bytes, serversAnswered: answered.size, servers: servers.length };
}
