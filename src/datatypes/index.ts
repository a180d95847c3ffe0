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
export type { FloatCounterState, FloatLane } from './float-counter.js';
export {
  EMPTY_FLOAT_COUNTER, floatCounterProblem, floatCountersEqual, floatDelta, incrementFloat, isFloatFullyReset, joinFloatCounters,
  resetFloatCounter,
} from './float-counter.js';
export { FLOAT_COUNTER_FORMAT_VERSION, decodeFloatCounter, encodeFloatCounter, floatCounterBytes } from './float-counter-codec.js';
export type { CounterView, IncrementRefusal, IncrementResult } from './counter-op.js';
export { coordinatedIncrement, counterView, parseInt64 } from './counter-op.js';
export type { CounterAddReply, CounterAddRequest } from './counter-messages.js';
export { COUNTER_ADD_CODEC, DATATYPE_MESSAGES } from './counter-messages.js';
export type { CounterServiceDeps } from './counter-service.js';
export { CounterService } from './counter-service.js';
export type { CounterListener, CounterOutcome, OperationOutcome } from './counter-round.js';
export { incrementCounter, incrementCounterAsync, operateAsync } from './counter-round.js';
export type { Collection, CollectionType, Element, ElementDot } from './or-map.js';
export {
  COLLECTION_TYPES, collectionListsEqual, collectionOf, collectionsEmpty, compareAddRecency, compareMembers, isPresent, joinCollections, newestAdd,
  presentElements, removeObserved, resetElementCounters,
} from './or-map.js';
export { COLLECTIONS_FORMAT_VERSION, EMPTY_VALUE, collectionsBytes, copyCollections, decodeCollections, encodeCollections } from './or-map-codec.js';
export type { ArgumentRefusal, CollectionOperation, OperationAnswer, OperationName, OperationRefusal, OperationResult } from './collection-op.js';
export { OPERATION_NAMES, coordinatedOperation, operationType, parseOperation } from './collection-op.js';
export type { FieldView } from './hash-op.js';
export { fieldBytes, fieldView } from './hash-op.js';
export type { KeyType } from './key-type.js';
export { collectionExpiryMs, keyType } from './key-type.js';
export type { CollectionExpiry, ExpirySetting } from './collection-expiry.js';
export { expiriesEqual, expiryCutMs, expiryProblem, joinExpiry, newestSetting, pendingExpiryMs } from './collection-expiry.js';
export { expireConditionHolds, settleExpiry } from './expiry-op.js';
export { formatFloatText, parseFloatText } from './float-text.js';
export type { CollectionOpReply, CollectionOpRequest } from './collection-messages.js';
export { COLLECTION_OP_CODEC } from './collection-messages.js';
export { SCORE_BYTES, ZADD_CH, ZADD_GT, ZADD_INCR, ZADD_LT, ZADD_NX, ZADD_XX, byScore, encodeScore, scoreOf } from './zset-op.js';
