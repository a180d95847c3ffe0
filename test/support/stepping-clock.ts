import { VirtualClock } from '../../src/runtime/index.js';

/**
 * A VirtualClock whose monotonic reading moves `stepMs` forward every time it is read, so code
 * that times itself (start, end) measures exactly one step: sub-millisecond latencies, chosen by
 * the test, without depending on how fast the machine is.
 */
export class SteppingClock extends VirtualClock {
  private monotonic = 0;

  constructor(public stepMs: number) {
    super();
  }

  override monotonicMs(): number {
    this.monotonic += this.stepMs;
    return this.monotonic;
  }
}
