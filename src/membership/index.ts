/**
 * membership/: gossip failure detection (DESIGN.md section 5). SWIM probing with indirect probes
 * (Das et al. 2002), Lifeguard's suspicion timeout and local health (Dadgar et al. 2017),
 * epidemic dissemination piggybacked on probes and gossip. It decides up / suspect / down (and
 * carries each member's own recovering flag); who is a member is the shard-master's table.
 *
 * Inside a node: MembershipService (nodeServices() lists it) writes the node's PeerStatusBoard.
 * Outside: ViewPuller pulls a node's whole view for proxies, client libraries and the master.
 */
export { MembershipService, membershipService } from './membership-service.js';
export { MemberView } from './member-view.js';
export type { MemberViewDeps } from './member-view.js';
export { ViewPuller, VIEW_MEMBERS_MAX } from './view-puller.js';
export type { PulledView, ViewPullerDeps, ViewPullerOptions, ViewPullerStats } from './view-puller.js';
export { MEMBERSHIP_DEFAULTS, retransmitLimit, suspicionBoundsMs, validateMembershipOptions } from './options.js';
export type { MembershipOptions } from './options.js';
export { compareClaims, livenessOf, unheardOf } from './member-state.js';
export type { MemberLiveness, MemberUpdate } from './member-state.js';
export { Suspicion, suspicionTimeoutMs } from './suspicion.js';
export { Awareness } from './awareness.js';
export { BroadcastQueue } from './broadcast-queue.js';
export { NAME_BYTES_MAX, decodeUpdates, encodeUpdates, updateBytes } from './update-codec.js';
export { MEMBERSHIP_MESSAGES, VIEW_MESSAGES } from './messages.js';
export type {
  GossipReply, GossipRequest, MemberViewReply, MemberViewRequest, PingReqReply, PingReqRequest, ProbeAck, ProbeRequest,
} from './messages.js';
export { newMembershipStats } from './metrics.js';
export type { MembershipStats } from './metrics.js';
