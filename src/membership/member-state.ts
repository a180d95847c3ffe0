import type { PeerStatus, PeerView } from '../node/index.js';
import type { ServerId } from '../ring/index.js';

/**
 * One claim about one member, as gossip carries it: SWIM's alive / suspect / confirm messages
 * folded into one record. Only the member itself raises its incarnation (to refute a suspicion
 * or to announce a change of its own: recovering, restarted), so a claim with a higher
 * incarnation is newer news whatever its status; at equal incarnations down beats suspect beats
 * up (Das et al. 2002 section 4.2):
 *
 *   (incarnation, rank)  ordered lexicographically, rank up=0 < suspect=1 < down=2
 *
 *   up i --probe fails--> suspect i --timeout--> down i
 *     ^                       |                    |
 *     `---- up i+1 (refute) --'--------------------'   only the member can say up i+1
 */
export interface MemberUpdate {
  readonly member: ServerId;
  readonly status: PeerStatus;
  readonly incarnation: number;
  /** Self-reported by the member: it restarted empty and anti-entropy has not synced it yet. */
  readonly recovering: boolean;
  /** The table epoch the member last reported; a newer one tells the receiver to fetch the table. */
  readonly epoch: number;
  /** Who suspected or declared it down (Lifeguard counts distinct accusers); null for 'up'. */
  readonly accuser: ServerId | null;
}

/** What a proxy, the master or the dashboard shows per server. */
export type MemberLiveness = 'up' | 'suspect' | 'down' | 'recovering';

const RANK: Readonly<Record<PeerStatus, number>> = { up: 0, suspect: 1, down: 2 };

/** > 0: `a` is newer news than `b`; 0: the same claim (perhaps another accuser or epoch). */
export function compareClaims(a: MemberUpdate, b: MemberUpdate): number {
  if (a.incarnation !== b.incarnation) return a.incarnation - b.incarnation;
  return RANK[a.status] - RANK[b.status];
}

/** Down and suspect are what others say; recovering is what an up member says of itself. */
export function livenessOf(view: PeerView): MemberLiveness {
  if (view.status !== 'up') return view.status;
  return view.recovering ? 'recovering' : 'up';
}

/** A member nobody has heard from yet: up until shown otherwise (peer-status.ts). */
export function unheardOf(member: ServerId): MemberUpdate {
  return { member, status: 'up', incarnation: 0, recovering: false, epoch: 0, accuser: null };
}
