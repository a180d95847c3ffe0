/**
 * The /v1/kv/<key> handlers (DESIGN.md section 7).
 *
 *   GET    200 value (application/octet-stream), X-Ringcache-Context: <token of the read>
 *          404 { code: RC_ERR_NOT_FOUND } when absent, deleted or expired (context header set too,
 *              so a client can create the key without clobbering a concurrent creation)
 *          200 { type, value } (application/json) on a hash, set or sorted set (typed-json.ts)
 *          300 { context, siblings: [{ value (base64), timestampMs, expiresAtMs, dot: { actor, counter } }] }
 *              only with ?siblings=all and two live siblings or more, newest first
 *   PUT    204, X-Ringcache-Context: <new token>; context in the same header (none: a blind write);
 *          ?w= replicas to acknowledge, ?pw= of them primaries (0..N; fallbacks holding hints count toward W only)
 *   DELETE with a context header: a tombstone superseding that context, 204
 *          without: read, then a tombstone with the read's context: 204, or 404 if nothing was visible
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RingcacheError, isRingcacheError } from '../runtime/index.js';
import type { ReadResult } from '../replication/index.js';
import type { Clock } from '../runtime/index.js';
import { compareRecency, liveSiblings } from '../version/index.js';
import type { Sibling } from '../version/index.js';
import { CONTEXT_HEADER, SIBLINGS_HEADER, contextHeader, expiryParameter, keyFromUrl, primariesParameter, quorumParameter, wantsSiblings } from './http-request.js';
import type { KvStore, KvWriteOptions } from './kv-store.js';
import { typedJson } from './typed-json.js';
import { OUTCOME_FAILED, OUTCOME_OK, OUTCOME_REJECTED } from './metrics.js';
import type { Outcome, ProxyMetrics } from './metrics.js';

export const KV_PREFIX = '/v1/kv/';

/**
 * What a handler resolves to; fastify sends it. Handlers return the payload rather than the
 * reply: an async handler resolving to the reply (a thenable) makes fastify wait for the
 * response's 'finish' event on every request.
 */
export type HttpPayload = Buffer | string | object;

/** A 204's body: fastify sends none for 204, but an async handler must resolve to something. */
const NO_CONTENT = '';

export interface SiblingJson {
  readonly value: string;
  readonly timestampMs: number;
  readonly expiresAtMs: number | null;
  readonly dot: { readonly actor: string; readonly counter: number };
}

const EMPTY_BODY = Buffer.alloc(0);
const NO_SIBLINGS: readonly Sibling[] = Object.freeze([]);

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

export function siblingJson(sibling: Sibling): SiblingJson {
  return {
    value: sibling.value === null ? '' : asBuffer(sibling.value).toString('base64'),
    timestampMs: sibling.timestampMs,
    expiresAtMs: sibling.expiresAtMs,
    dot: { actor: sibling.dot.actor, counter: sibling.dot.counter },
  };
}

/** Outcome of a failed request for the counters: a miss (404) is a normal answer. */
export function outcomeOf(error: unknown): Outcome {
  if (isRingcacheError(error, 'RC_ERR_NOT_FOUND')) return OUTCOME_OK;
  if (error instanceof RingcacheError) return error.httpStatus < 500 ? OUTCOME_REJECTED : OUTCOME_FAILED;
  return OUTCOME_FAILED;
}

export class KvRoutes {
  private readonly getSeries: number;

  constructor(private readonly kv: KvStore, private readonly clock: Clock, private readonly metrics: ProxyMetrics) {
    this.getSeries = metrics.series('http', 'get');
  }

  /**
   * GET, the hot path: no async function and one continuation (the 0.7x-of-bare-fastify target in
   * BENCHMARKS.md), counted and timed here rather than by a wrapper.
   */
  readonly get = (request: FastifyRequest, reply: FastifyReply): Promise<HttpPayload> => {
    const startMs = this.clock.monotonicMs();
    let read: Promise<ReadResult>;
    let all: boolean;
    try {
      const key = keyFromUrl(request.originalUrl, KV_PREFIX);
      this.kv.checkKey(key);
      const r = quorumParameter(request.query, 'r');
      all = wantsSiblings(request.query);
      read = all ? this.kv.read(key, r === undefined ? undefined : this.kv.checkQuorum('r', r)) : this.kv.readCached(key, r === undefined ? undefined : this.kv.checkQuorum('r', r));
    } catch (error) {
      this.metrics.record(this.getSeries, outcomeOf(error), this.clock.monotonicMs() - startMs);
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return read.then((result) => {
      let payload: HttpPayload;
      try {
        payload = this.answerRead(result, all, reply);
      } catch (error) {
        this.metrics.record(this.getSeries, outcomeOf(error), this.clock.monotonicMs() - startMs);
        throw error;
      }
      this.metrics.record(this.getSeries, OUTCOME_OK, this.clock.monotonicMs() - startMs);
      return payload;
    }, (error: unknown) => {
      this.metrics.record(this.getSeries, outcomeOf(error), this.clock.monotonicMs() - startMs);
      throw error;
    });
  };

  private answerRead(result: ReadResult, all: boolean, reply: FastifyReply): HttpPayload {
    const kv = this.kv;
    const token = kv.readToken(result);
    void reply.header(CONTEXT_HEADER, token);
    // One sibling (the usual case) needs no filtering pass: only a count above 1 matters here.
    const live = result.versioned !== null && result.versioned.siblings.length > 1 ? liveSiblings(result.versioned, this.clock.nowMs()) : NO_SIBLINGS;
    if (all && live.length > 1) {
      this.metrics.reads.withSiblings++;
      void reply.code(300);
      return { context: token, siblings: [...live].sort(compareRecency).map(siblingJson) };
    }
    const sibling = kv.visible(result);
    if (sibling === undefined || sibling.value === null) {
      const type = kv.typeOf(result);
      if (result.versioned !== null && type !== 'none' && type !== 'string') {
        this.metrics.reads.hits++;
        return typedJson(result.versioned, type, this.clock.nowMs());
      }
      this.metrics.reads.misses++;
      throw new RingcacheError('RC_ERR_NOT_FOUND', 'key not found (absent, deleted or expired)');
    }
    this.metrics.reads.hits++;
    if (live.length > 1) {
      this.metrics.reads.withSiblings++;
      void reply.header(SIBLINGS_HEADER, String(live.length));
    }
    void reply.type('application/octet-stream');
    return asBuffer(sibling.value);
  }

  readonly put = async (request: FastifyRequest, reply: FastifyReply): Promise<HttpPayload> => {
    const kv = this.kv;
    const key = keyFromUrl(request.originalUrl, KV_PREFIX);
    kv.checkKey(key);
    // The '*' content-type parser hands over the raw bytes; no body at all is the empty value.
    const value = Buffer.isBuffer(request.body) ? request.body : EMPTY_BODY;
    kv.checkValue(value);
    const options = this.writeOptions(request, expiryParameter(request.query, this.clock.nowMs()));
    const result = await kv.write(key, value, options);
    void reply.code(204).header(CONTEXT_HEADER, kv.writeToken(result, options.context));
    return NO_CONTENT;
  };

  readonly delete = async (request: FastifyRequest, reply: FastifyReply): Promise<HttpPayload> => {
    const kv = this.kv;
    const key = keyFromUrl(request.originalUrl, KV_PREFIX);
    kv.checkKey(key);
    const options = this.writeOptions(request, null);
    if (options.context !== null) {
      const result = await kv.write(key, null, options);
      void reply.code(204).header(CONTEXT_HEADER, kv.writeToken(result, options.context));
      return NO_CONTENT;
    }
    const existed = await kv.remove(key, options.w, options.pw);
    if (!existed) throw new RingcacheError('RC_ERR_NOT_FOUND', 'key not found (absent, deleted or expired): nothing to delete');
    void reply.code(204);
    return NO_CONTENT;
  };

  private writeOptions(request: FastifyRequest, expiresAtMs: number | null): KvWriteOptions {
    const w = quorumParameter(request.query, 'w');
    const pw = primariesParameter(request.query);
    const token = contextHeader(request.headers);
    const context = token === undefined ? null : this.kv.decodeContext(token);
    return {
      context, expiresAtMs,
      ...(w === undefined ? {} : { w: this.kv.checkQuorum('w', w) }),
      ...(pw === undefined ? {} : { pw: this.kv.checkPrimaries(pw) }),
    };
  }
}
