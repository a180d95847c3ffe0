/**
 * Limits on versions read from clients (context tokens) and from peers (the internode codec).
 * STYLE.md practice 6: a limit on everything read off the wire. Error messages name the options
 * as `limits.<field>` (the config key they are loaded from).
 */
export interface VersionLimits {
  /** Siblings kept per key (DESIGN.md section 3): bounds memory per key; above it the newest win. */
  readonly siblingsMax: number;
  /** Entries in a context token or a wire context: one per server that coordinated a write. */
  readonly contextEntriesMax: number;
  /** UTF-8 bytes of an actor ("n1.k3f9"): server ids are short, so anything longer is garbage. */
  readonly actorBytesMax: number;
  /** Bytes of one value, the same bound the proxy applies to client values (DESIGN.md section 8). */
  readonly valueBytesMax: number;
  /** Fields of a hash, members of a set or a sorted set: bounds a typed value's memory. */
  readonly collectionElementsMax: number;
  /** Bytes of one hash field name or one set or sorted-set member. */
  readonly memberBytesMax: number;
}

export const VERSION_DEFAULTS: VersionLimits = Object.freeze({
  siblingsMax: 64,
  contextEntriesMax: 1024,
  actorBytesMax: 64,
  valueBytesMax: 1024 * 1024,
  collectionElementsMax: 65_536,
  memberBytesMax: 64 * 1024,
});
