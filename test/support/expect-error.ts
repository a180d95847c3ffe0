import { expect } from 'vitest';
import { RingcacheError, isRingcacheError } from '../../src/runtime/index.js';
import type { ErrorCode } from '../../src/runtime/index.js';

/** Runs `run` and checks it threw a RingcacheError with `code` and a message matching `message`. */
export function expectError(run: () => unknown, code: ErrorCode, message: RegExp | string): void {
  let error: unknown;
  try {
    run();
  } catch (caught) {
    error = caught;
  }
  expect(isRingcacheError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
  expect(error instanceof Error ? error.message : '').toMatch(message);
}

/** Awaits a promise that must reject with a RingcacheError, and returns that error. */
export async function rejection(promise: Promise<unknown>): Promise<RingcacheError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RingcacheError);
    return error as RingcacheError;
  }
  return expect.unreachable('the promise should have rejected');
}
