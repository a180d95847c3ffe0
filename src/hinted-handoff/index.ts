/**
 * hinted-handoff/: sloppy quorum's other half (Dynamo 2007 section 4.6, DESIGN.md section 5). A
 * coordinator that finds a replica down sends the write to the next fallback of the ring walk
 * with a hint naming the replica (RC.HINT); the fallback keeps it in a bounded hint store, serves
 * it to sloppy reads (RC.HINTREAD) and replays it to the owner with the one `merge` once the peer
 * board shows the owner up, deleting it only after the owner acknowledged.
 */
export { HINT_MESSAGES, hintRequest, stateBytesMax } from './hint-messages.js';
export type { HintReadRequest, HintRequest } from './hint-messages.js';
export { HINT_DROP_REASONS, HINT_OVERHEAD_BYTES, HintStore } from './hint-store.js';
export type { AddOutcome, Hint, HintDropReason, HintStoreOptions } from './hint-store.js';
export { HintReplayer } from './hint-replayer.js';
export type { HintReplayerDeps, HintReplayerStats } from './hint-replayer.js';
export { HintedHandoff } from './hinted-handoff.js';
export type { HintedHandoffOptions } from './hinted-handoff.js';
export { HINT_DEFAULTS } from './options.js';
export type { HintOptions } from './options.js';
export { TokenBucket } from './token-bucket.js';
