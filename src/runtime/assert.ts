/**
 * Assertions are for programmer errors: a broken invariant crashes loudly (TigerBeetle style).
 * Operating errors (bad input, timeouts, quorum not met) are `RingcacheError`s instead.
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function unreachable(value: never, message = 'unreachable'): never {
  throw new AssertionError(`${message}: ${JSON.stringify(value)}`);
}
