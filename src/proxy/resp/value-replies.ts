import { PendingReply, REPLIES, bulkReply } from '../../resp/index.js';
import type { Reply } from '../../resp/index.js';
import type { ReadListener, ReadResult, WriteListener } from '../../replication/index.js';
import { liveSiblings } from '../../version/index.js';
import type { Clock } from '../../runtime/index.js';
import type { KvStore } from '../kv-store.js';
import type { ProxyMetrics } from '../metrics.js';
import { ERRORS } from './error-replies.js';

/**
 * The GET path's continuations, created once per handler: `read(key).then(values.single)` costs
 * no closure per command. Hits and misses are counted here (INFO keyspace_hits, metrics).
 */
export class ValueReplies {
  constructor(private readonly kv: KvStore, private readonly clock: Clock, private readonly metrics: ProxyMetrics) {}

  /** The plain-GET value of a read as a bulk reply, or the nil bulk. */
  readonly single = (result: ReadResult): Reply => {
    const sibling = this.kv.visible(result);
    const reads = this.metrics.reads;
    if (sibling === undefined || sibling.value === null) {
      if (result.versioned?.collections !== undefined && this.kv.holdsCollection(result)) return ERRORS.wrongType;
      reads.misses++;
      return REPLIES.nullBulk;
    }
    reads.hits++;
    const versioned = result.versioned;
    // Two siblings or more: count it, so operators see how often careful clients should merge.
    if (versioned !== null && versioned.siblings.length > 1 && liveSiblings(versioned, this.clock.nowMs()).length > 1) {
      reads.withSiblings++;
    }
    return bulkReply(sibling.value);
  };
}

/**
 * The reply of a plain GET, waiting for its read: the read's listener and the connection's
 * pending reply in one object, so a GET costs no promise (pending-reply.ts says why).
 */
export class ValueReply extends PendingReply implements ReadListener {
  constructor(private readonly values: ValueReplies) {
    super();
  }

  onReadDone(result: ReadResult): void {
    this.resolve(this.values.single(result));
  }

  onReadFailed(error: Error): void {
    this.reject(error);
  }
}

/** The +OK of a plain SET, waiting for its write: the write's listener and the pending reply in one object. */
export class OkReply extends PendingReply implements WriteListener {
  onWriteDone(): void {
    this.resolve(REPLIES.ok);
  }

  onWriteFailed(error: Error): void {
    this.reject(error);
  }
}

/** Continuation of writes whose reply is +OK. */
export function okReply(): Reply {
  return REPLIES.ok;
}
