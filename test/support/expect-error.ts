import { expect } from 'vitest';
import { isRingcacheError } from '../../src/runtime/index.js';
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
