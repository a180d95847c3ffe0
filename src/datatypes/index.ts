/**
 * Typed values (docs/ARCHITECTURE.md, "Typed values"): the convergent replicated data types a key
 * can hold beside plain strings. Pure functions over plain data, like src/version.
 */
export type { CounterLane, CounterState, IncrementOutcome } from './pn-counter.js';
export {
  EMPTY_COUNTER, INT64_MAX, INT64_MIN, LANE_SUM_MAX, counterDelta, counterProblem, countersEqual, increment, isFullyReset, joinCounters,
  resetCounter,
} from './pn-counter.js';
export { COUNTER_FORMAT_VERSION, counterBytes, decodeCounter, encodeCounter } from './counter-codec.js';
export type { CounterView, IncrementRefusal, IncrementResult } from './counter-op.js';
export { coordinatedIncrement, counterView, parseInt64 } from './counter-op.js';
export type { CounterAddReply, CounterAddRequest } from './counter-messages.js';
export { COUNTER_ADD_CODEC, DATATYPE_MESSAGES } from './counter-messages.js';
export type { CounterServiceDeps } from './counter-service.js';
export { CounterService } from './counter-service.js';
export type { CounterListener, CounterOutcome } from './counter-round.js';
export { incrementCounter, incrementCounterAsync } from './counter-round.js';
