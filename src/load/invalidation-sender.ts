/**
 * Near-cache invalidations to the other proxies (DESIGN.md section 6): a write through this
 * coordinator (a proxy or a client library) of a key another proxy may be caching is told to that
 * proxy within flushDelayMs, instead of being seen there only when its entry expires.
 *
 *   write of k --watched? (the master's peer directory: every caching proxy's hot keys)--> pending
 *   every flushDelayMs with something pending: POST {keys} to each peer's
 *   /v1/near-cache/invalidate, one request in flight per peer
 *
 * Bounded everywhere, and a drop is never wrong, only slower: a key past batchKeysMax, a batch
 * for a peer whose previous one is still in flight, and a failed post are counted and fall back
 * to the TTL (proxy.hotKeyCacheTtlMs), the staleness the cache has without invalidations.
 * Only watched keys are sent, so a cold write costs a filter probe and no message.
 */
import type { Clock, Logger, Startable, Timer } from '../runtime/index.js';
import { KeyFilter, keyText } from './key-filter.js';
import type { PeerDirectory } from './peer-directory.js';

export interface InvalidationSenderOptions {
  /** Keys one batch carries at most (proxy.invalidationBatchKeysMax); more in one window are dropped. */
  readonly batchKeysMax: number;
  /** How long writes gather before a batch goes (proxy.invalidationFlushMs). */
  readonly flushDelayMs: number;
  /** A post older than this is abandoned and counted failed. */
  readonly requestTimeoutMs: number;
}

export interface InvalidationSenderDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The cluster token: the proxies' invalidation route wants it. */
  readonly token?: string;
  readonly options: InvalidationSenderOptions;
  /** Injected for tests; the global fetch otherwise. */
  readonly fetch?: typeof fetch;
}

export interface InvalidationSenderStats {
  /** Keys queued for the peers. */
  queued: number;
  /** Batches delivered (one per peer per flush). */
  batches: number;
  /** Keys not sent: past batchKeysMax in one window, or their peer busy. */
  dropped: number;
  /** Batches whose post failed or timed out. */
  failed: number;
}

export const INVALIDATION_PATH = '/v1/near-cache/invalidate';

export class InvalidationSender implements Startable {
  readonly stats: InvalidationSenderStats = { queued: 0, batches: 0, dropped: 0, failed: 0 };
  private watched = new KeyFilter();
  private peers: readonly string[] = [];
  private pending = new Set<string>();
  private timer: Timer | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  private stopped = false;
  private readonly fetch: typeof fetch;

  constructor(private readonly deps: InvalidationSenderDeps) {
    this.fetch = deps.fetch ?? globalThis.fetch.bind(globalThis);
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  /** The master's latest directory (each load report's answer). */
  update(directory: PeerDirectory): void {
    this.peers = directory.peers;
    this.watched = new KeyFilter(directory.watchedKeys);
  }

  get peerCount(): number {
    return this.peers.length;
  }

  /** A write of `key` is starting through this coordinator (LoadCounter.watchWrites). */
  onWrite(key: Uint8Array): void {
    if (this.peers.length === 0 || !this.watched.mayHold(key)) return;
    const text = keyText(key);
    if (!this.watched.has(text) || this.pending.has(text)) return;
    if (this.pending.size >= this.deps.options.batchKeysMax) {
      this.stats.dropped++;
      return;
    }
    this.pending.add(text);
    this.stats.queued++;
    if (this.timer === undefined && !this.stopped) this.timer = this.deps.clock.schedule(this.deps.options.flushDelayMs, () => { this.flush(); });
  }

  /** Sends what is pending to every peer (the timer calls it; tests may too). */
  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const keys = [...this.pending].map((text) => Buffer.from(text, 'latin1').toString('base64'));
    this.pending = new Set();
    const body = JSON.stringify({ keys });
    for (const peer of this.peers) {
      if (this.inFlight.has(peer)) {
        this.stats.dropped += keys.length;
        continue;
      }
      const post = this.post(peer, body).finally(() => { this.inFlight.delete(peer); });
      this.inFlight.set(peer, post);
    }
  }

  /** Idempotent: what is pending is dropped, posts in flight are abandoned. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.pending.clear();
    for (const controller of this.controllers) controller.abort();
    await Promise.all([...this.inFlight.values()]);
  }

  private async post(peer: string, body: string): Promise<void> {
    const controller = new AbortController();
    this.controllers.add(controller);
    const deadline = this.deps.clock.schedule(this.deps.options.requestTimeoutMs, () => { controller.abort(); });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.deps.token !== undefined && this.deps.token !== '') headers.authorization = `Bearer ${this.deps.token}`;
    try {
      const response = await this.fetch(`${peer}${INVALIDATION_PATH}`, { method: 'POST', headers, body, signal: controller.signal });
      await response.arrayBuffer();
      if (response.ok) this.stats.batches++;
      else {
        this.stats.failed++;
        this.deps.logger.debug({ peer, status: response.status }, 'near-cache invalidation refused');
      }
    } catch (error) {
      this.stats.failed++;
      this.deps.logger.debug({ peer, err: error }, 'near-cache invalidation not delivered');
    } finally {
      deadline.cancel();
      this.controllers.delete(controller);
    }
  }
}
