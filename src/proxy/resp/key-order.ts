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
 *   pendingWrites: hash -> completion of the last write of that key still in flight
 */
/** Bytes of a key that are hashed: keys are bounded (limits.keyBytesMax) and this bounds the work further. */
const HASHED_BYTES_MAX = 256;

export type KeyPositions = readonly [first: number, last: number, step: number];

function keyHash(key: Uint8Array): number {
  let hash = 0x811c9dc5;
  const end = Math.min(key.length, HASHED_BYTES_MAX);
  for (let i = 0; i < end; i++) hash = Math.imul(hash ^ (key[i] as number), 0x01000193);
  return (hash ^ key.length) >>> 0;
}

function ignore(): undefined {
  return undefined;
}

export class KeyOrder {
  private readonly pendingWrites = new Map<number, Promise<unknown>>();

  /** True when no write of this connection is in flight: nothing to wait for. */
  get idle(): boolean {
    return this.pendingWrites.size === 0;
  }

  /** What a command on these keys must wait for, or undefined when it can run now. */
  waitFor(args: readonly Buffer[], keys: KeyPositions): Promise<unknown> | undefined {
    let wait: Promise<unknown> | undefined;
    let waits: Promise<unknown>[] | undefined;
    const [first, lastSpec, step] = keys;
    const last = lastSpec < 0 ? args.length + lastSpec : lastSpec;
    for (let i = first; i > 0 && i <= last && i < args.length; i += step) {
      const pending = this.pendingWrites.get(keyHash(args[i] as Buffer));
      if (pending === undefined || pending === wait) continue;
      if (wait === undefined) wait = pending;
      else (waits ??= [wait]).push(pending);
    }
    return waits === undefined ? wait : Promise.all(waits);
  }

  /** Records a write in flight on these keys; later commands on them wait for it to settle. */
  register(args: readonly Buffer[], keys: KeyPositions, write: Promise<unknown>): void {
    const settled = write.then(ignore, ignore);
    const [first, lastSpec, step] = keys;
    const last = lastSpec < 0 ? args.length + lastSpec : lastSpec;
    for (let i = first; i > 0 && i <= last && i < args.length; i += step) {
      const hash = keyHash(args[i] as Buffer);
      this.pendingWrites.set(hash, settled);
      void settled.then(() => {
        if (this.pendingWrites.get(hash) === settled) this.pendingWrites.delete(hash);
      });
    }
  }
}
