/**
 * Fencing (DESIGN.md section 6): the node's one check of a data request's epoch and vnode against
 * its own table, so a coordinator routing on an old table cannot write to or read from a replica
 * the table has moved away.
 *
 *   request epoch  < node epoch          RC_ERR_STALE_EPOCH  "... node epoch E ..."
 *   request epoch == node epoch, and the node does not hold the vnode there:
 *        coord-put, read, counter-add    not a replica of the row             RC_ERR_NOT_OWNER
 *        merge                           not a replica, not the pending target RC_ERR_NOT_OWNER
 *        hint, hint-read                 any server may be a fallback: epoch only
 *   request epoch  > node epoch          accepted: the coordinator knows a newer table than ours
 *                                        (a pending target learns of its move from the MERGEs)
 *   no table yet                         accepted: a node serves before its first table
 *
 * The refusal carries the node's epoch in its message (the wire keeps a code and a message only),
 * as `node epoch E` (src/replication/errors.ts fencedEpoch reads it back), so the coordinator
 * knows which table to wait for before it retries. No barrier waits for every
 * coordinator to learn an epoch: a request on the old one is refused, refetched and retried
 * (up to FENCING_REFRESHES_MAX fetches, src/replication/write-round.ts).
 * Why the check suffices for quorum intersection during a move: an anti-entropy exchange only
 * runs between holders in the responder's table, so once a target has synced with a replica, that
 * replica is at the move's epoch and refuses every write stamped before it.
 */
import type { RoutingTable, ServerId } from '../ring/index.js';
import { RingcacheError } from '../runtime/index.js';
import type { PeerKind } from '../transport/index.js';

/** What a data kind needs of the node: a replica of the row, a holder (replica or target), or nothing beyond the epoch. */
type Ownership = 'replica' | 'holder' | 'any';

const FENCED_KINDS: ReadonlyMap<PeerKind, Ownership> = new Map<PeerKind, Ownership>([
  ['coord-put', 'replica'],
  ['read', 'replica'],
  ['counter-add', 'replica'],
  ['merge', 'holder'],
  ['hint', 'any'],
  ['hint-read', 'any'],
]);

/**
 * Throws RC_ERR_STALE_EPOCH or RC_ERR_NOT_OWNER when the node must refuse `kind` for `vnode`
 * stamped with `requestEpoch`. `table` is the node's table (undefined before it has one).
 */
export function fence(serverId: ServerId, table: RoutingTable | undefined, kind: PeerKind, requestEpoch: number, vnode: number | undefined): void {
  const ownership = FENCED_KINDS.get(kind);
  if (ownership === undefined || table === undefined) return;
  const epoch = table.epoch;
  if (requestEpoch > epoch) return;
  if (requestEpoch < epoch) {
    throw new RingcacheError(
      'RC_ERR_STALE_EPOCH',
      `${serverId} refused ${kind} stamped with epoch ${String(requestEpoch)}: node epoch ${String(epoch)}; the coordinator fetches the table and retries`,
      { epoch, requestEpoch },
    );
  }
  if (ownership === 'any' || vnode === undefined || vnode < 0 || vnode >= table.vnodeCount) return;
  const row = table.row(vnode);
  if (row.replicas.includes(serverId)) return;
  if (ownership === 'holder' && row.pending?.to === serverId) return;
  throw new RingcacheError(
    'RC_ERR_NOT_OWNER',
    `${serverId} does not hold vnode ${String(vnode)} at node epoch ${String(epoch)} (row ${row.replicas.join(',')}); refused ${kind}`,
    { epoch, vnode },
  );
}

/** The vnode a data request names, if its body has one. */
export function vnodeOfBody(body: { readonly kind: string }): number | undefined {
  const vnode = (body as { readonly vnode?: unknown }).vnode;
  return typeof vnode === 'number' ? vnode : undefined;
}
