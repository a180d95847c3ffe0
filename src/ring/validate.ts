/**
 * Checks on a table and on quorum sizes. A table is checked where it is written (the master,
 * before it bumps the epoch) and again where it is read (every proxy and node, before routing on
 * it): TigerBeetle's paired assertions. A bad table is an operating error (RC_ERR_PLACEMENT), not
 * a crash, because it arrives from another process and may be a master bug or a corrupt file;
 * the receiver keeps routing on its last good table.
 */
import { RingcacheError } from '../runtime/index.js';
import type { ServerId, Table, TableRow } from './table.js';

function placementError(message: string, details: Record<string, unknown> = {}): RingcacheError {
  return new RingcacheError('RC_ERR_PLACEMENT', `invalid table: ${message}`, details);
}

/** Throws RC_ERR_PLACEMENT naming what is wrong and where (row index, server id). */
export function validateTable(table: Table): void {
  const { epoch, vnodeCount, replicaCount } = table;
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw placementError(`epoch=${String(epoch)} is not a non-negative integer`, { epoch });
  }
  if (!Number.isInteger(vnodeCount) || vnodeCount < 1 || (vnodeCount & (vnodeCount - 1)) !== 0) {
    throw placementError(`V=${String(vnodeCount)} is not a power of two (see cluster.vnodeCount)`, {
      epoch,
      vnodeCount,
    });
  }
  if (!Number.isInteger(replicaCount) || replicaCount < 1) {
    throw placementError(`N=${String(replicaCount)} is not a positive integer (see cluster.replicaCount)`, {
      epoch,
      replicaCount,
    });
  }
  const known = new Set<ServerId>();
  for (const server of table.servers) {
    if (known.has(server.id)) {
      throw placementError(`server id ${server.id} appears twice in servers`, { epoch, server: server.id });
    }
    known.add(server.id);
  }
  if (replicaCount > known.size) {
    throw placementError(
      `N=${replicaCount} is above the number of servers (${known.size}); see cluster.replicaCount`,
      { epoch, replicaCount, serverCount: known.size },
    );
  }
  if (table.rows.length !== vnodeCount) {
    throw placementError(`${table.rows.length} rows for V=${vnodeCount} vnodes (one row per vnode)`, {
      epoch,
      rowCount: table.rows.length,
      vnodeCount,
    });
  }
  table.rows.forEach((row, vnode) => {
    validateRow(row, vnode, replicaCount, known, epoch);
  });
}

function validateRow(
  row: TableRow,
  vnode: number,
  replicaCount: number,
  known: ReadonlySet<ServerId>,
  epoch: number,
): void {
  const where = `row ${vnode}`;
  const details = { epoch, vnode, replicas: row.replicas };
  if (row.replicas.length !== replicaCount) {
    throw placementError(`${where} has ${row.replicas.length} replicas, expected N=${replicaCount}`, details);
  }
  const seen = new Set<ServerId>();
  for (const server of row.replicas) {
    if (!known.has(server)) throw placementError(`${where} names unknown server ${server}`, details);
    if (seen.has(server)) throw placementError(`${where} lists server ${server} twice`, details);
    seen.add(server);
  }
  const pending = row.pending;
  if (pending === undefined) return;
  if (!seen.has(pending.from)) {
    throw placementError(`${where} has a pending move from ${pending.from}, which is not a replica of the row`, details);
  }
  if (seen.has(pending.to)) {
    throw placementError(`${where} has a pending move to ${pending.to}, which is already a replica of the row`, details);
  }
  if (!known.has(pending.to)) {
    throw placementError(`${where} has a pending move to unknown server ${pending.to}`, details);
  }
}

function quorumError(message: string, details: Record<string, unknown>): RingcacheError {
  return new RingcacheError('RC_ERR_BAD_QUORUM', message, details);
}

/** `limit` reads after "is above", e.g. "N=3". */
function checkCount(name: string, setting: string, value: number, max: number, limit: string): void {
  const details = { [name]: value, max, setting };
  if (!Number.isInteger(value)) throw quorumError(`${name}=${String(value)} is not an integer; see ${setting}`, details);
  if (value < 1) throw quorumError(`${name}=${value} is below 1; see ${setting}`, details);
  if (value > max) throw quorumError(`${name}=${value} is above ${limit}; see ${setting}`, details);
}

/**
 * Throws RC_ERR_BAD_QUORUM unless 1 <= r, w <= n (and n <= serverCount when given).
 *
 * R + W <= N is allowed on purpose: read and write quorums then need not intersect, so a read may
 * miss the latest acknowledged write, traded for latency and availability (Dynamo 2007 section 4.5
 * lists such configurations; Cassandra's ONE/ONE is the same). Read repair and anti-entropy still
 * make replicas converge. The defaults (N=3, R=2, W=2) keep R + W > N.
 */
export function validateQuorum(n: number, r: number, w: number, serverCount?: number): void {
  const servers = serverCount ?? Number.MAX_SAFE_INTEGER;
  // Coordinators call this on every request: the common valid case builds no strings.
  if (isCount(n, servers) && isCount(r, n) && isCount(w, n)) return;
  checkCount('N', 'cluster.replicaCount', n, servers, `the number of servers (${servers})`);
  checkCount('r', 'replication.r', r, n, `N=${n}`);
  checkCount('w', 'replication.w', w, n, `N=${n}`);
}

function isCount(value: number, max: number): boolean {
  return Number.isSafeInteger(value) && value >= 1 && value <= max;
}
