/**
 * Order of one connection's commands on the same key. Redis executes a connection's commands one
 * after the other; the proxy runs them concurrently (each is a quorum round trip), so a pipelined
 * `SET k v` then `GET k` could read before the write lands. This keeps Redis's guarantees that
 * clients rely on:
 *
 *   write after write of a key   waits for it      SET k a; SET k b   ends with b
 *   read after write of a key    waits for it      SET k v; GET k     answers v
 *   read after read              runs at once      (reads commute)
 *   write after read             runs at once      a pipelined GET may already see the later SET
 *
 * Keys are tracked by a 32-bit FNV-1a hash, so no string is built per command; two keys sharing a
 * hash only make one wait for the other, never reorder. Only writes are tracked, so a connection
 * doing reads (redis-benchmark GET) pays one size check per command.
 *
 *   pendingWrites: hash -> the last write of that key still in flight (InFlightWrite)
 */
/** Bytes of a key that are hashed: keys are bounded (limits.keyBytesMax) and this bounds the work further. */
const HASHED_BYTES_MAX = 256;

export type KeyPositions = readonly [first: number, last: number, step: number];

function keyHash(key: Uint8Array): number {
  let hash = 0x811c9dc5;
  const end = Math.min(key.length, HASHED_BYTES_MAX);
  for (let i = 0; i < end; i++) hash = Math.imul(hash ^ (key[i] as number), 0x01000193);
  // Signed 32 bits: a small integer to V8 (>>> 0 made half the hashes heap numbers, a Map key each).
  return (hash ^ key.length) | 0;
}

/** A write in flight: later commands on its keys wait for finish(). */
export class InFlightWrite {
  /** Hashes of its keys, so finish() forgets them without the command's arguments. */
  readonly hashes: number[] = [];
  private finished = false;
  private waiters: (() => void)[] | undefined;

  constructor(private readonly pendingWrites: Map<number, InFlightWrite>) {}

  /** A promise for those who wait on it: made only when a command does (rare), not per write. */
  whenDone(): Promise<void> {
    if (this.finished) return Promise.resolve();
    return new Promise((resolve) => { (this.waiters ??= []).push(resolve); });
  }

  /** The write settled (either way): its keys are free, its waiters run. Idempotent. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const hash of this.hashes) {
      if (this.pendingWrites.get(hash) === this) this.pendingWrites.delete(hash);
    }
    for (const resolve of this.waiters ?? []) resolve();
  }
}

export class KeyOrder {
  private readonly pendingWrites = new Map<number, InFlightWrite>();

  /** True when no write of this connection is in flight: nothing to wait for. */
  get idle(): boolean {
    return this.pendingWrites.size === 0;
  }

  /** What a command on these keys must wait for, or undefined when it can run now. */
  waitFor(args: readonly Buffer[], keys: KeyPositions): Promise<unknown> | undefined {
    let wait: InFlightWrite | undefined;
    let waits: InFlightWrite[] | undefined;
    // Indexes, not destructuring: that goes through the iterator protocol on these frozen arrays.
    const first = keys[0];
    const last = keys[1] < 0 ? args.length + keys[1] : keys[1];
    const step = keys[2];
    for (let i = first; i > 0 && i <= last && i < args.length; i += step) {
      const pending = this.pendingWrites.get(keyHash(args[i] as Buffer));
      if (pending === undefined || pending === wait || waits?.includes(pending) === true) continue;
      if (wait === undefined) wait = pending;
      else (waits ??= [wait]).push(pending);
    }
    if (waits !== undefined) return Promise.all(waits.map((write) => write.whenDone()));
    return wait?.whenDone();
  }

  /**
   * Records a write in flight on these keys; later commands on them wait until its finish().
   * Why not a promise per write: a SET paid four (the write's settling and a cleanup per key);
   * with the promise-free SET they took the in-process SET bench from ~95k to ~120k SET/s.
   */
  register(args: readonly Buffer[], keys: KeyPositions): InFlightWrite {
    const write = new InFlightWrite(this.pendingWrites);
    const first = keys[0];
    const last = keys[1] < 0 ? args.length + keys[1] : keys[1];
    const step = keys[2];
    for (let i = first; i > 0 && i <= last && i < args.length; i += step) {
      const hash = keyHash(args[i] as Buffer);
      write.hashes.push(hash);
      this.pendingWrites.set(hash, write);
    }
    return write;
  }

  /** register() for a write that is a promise: finished when it settles. */
  registerPromise(args: readonly Buffer[], keys: KeyPositions, promise: Promise<unknown>): void {
    const write = this.register(args, keys);
    const finish = (): void => { write.finish(); };
    promise.then(finish, finish);
  }
}
