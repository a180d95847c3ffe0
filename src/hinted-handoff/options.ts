/**
 * Options of a node's hint store and replayer (config section `hints`, DESIGN.md section 5).
 * Sizes are the store's own accounting of the heap a hint holds (versionedBytes plus the key and
 * the entry), the same measure storage.bytesMax uses.
 */
export interface HintOptions {
  /**
   * Bytes of hints kept for one owner. A fallback at the limit refuses the next hint for that
   * owner (RC_ERR_HINTS_FULL) rather than acknowledging and dropping it, so the coordinator tries
   * the next fallback and W counts only what is held. Per owner, so one long outage cannot crowd
   * out the hints of a node that blinked.
   */
  readonly bytesMax: number;
  /**
   * Age after which a hint is dropped (counted as `expired`), measured from when it was first
   * stored: anti-entropy covers it from then on. storage.tombstoneGraceMs must outlive it plus an
   * anti-entropy cycle, or a replayed hint could bring back a value whose tombstone was collected.
   */
  readonly ageMsMax: number;
  /**
   * Replay budget to all owners together, in bytes per second (a token bucket with a one-second
   * burst on the node's clock), so a node returning from a long outage is not flooded while it
   * also serves traffic and anti-entropy.
   */
  readonly replayBytesPerSec: number;
  /** Replay MERGEs in flight at once, over all owners. */
  readonly replayConcurrency: number;
  /**
   * How often the replayer retries owners it holds hints for (besides replaying at once when the
   * peer board shows an owner come up) and drops expired hints.
   */
  readonly replayIntervalMs: number;
}

export const HINT_DEFAULTS: HintOptions = Object.freeze({
  bytesMax: 64 * 1024 * 1024,
  // Cassandra's max_hint_window: three hours of an outage are covered by hints.
  ageMsMax: 3 * 3600 * 1000,
  replayBytesPerSec: 4 * 1024 * 1024,
  replayConcurrency: 8,
  replayIntervalMs: 1000,
});
