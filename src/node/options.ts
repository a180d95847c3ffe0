/** Options of a storage node's request handlers. */
export interface NodeServiceOptions {
  /** Longest key accepted off the wire; keys are re-checked here because a node trusts no peer. */
  readonly keyBytesMax: number;
  /** Longest value accepted off the wire (one sibling). */
  readonly valueBytesMax: number;
  /**
   * Recent coordinated-put request ids remembered, so a resent request (a client reconnect, a
   * duplicated packet in the simulator) is applied once instead of minting a second sibling.
   * At ~100k writes/s this covers the last ~40 ms, longer than any resend window of ioredis.
   */
  readonly dedupeEntriesMax: number;
}

export const NODE_SERVICE_DEFAULTS: NodeServiceOptions = Object.freeze({
  keyBytesMax: 1024,
  valueBytesMax: 1024 * 1024,
  dedupeEntriesMax: 4096,
});
