/**
 * The node side of SCAN, KEYS and DBSIZE: pages of a vnode's live keys and counts of live keys
 * per vnode, read from the engine. "Live" is what TYPE would say of the key on this replica
 * alone (not 'none'), so deleted and expired keys waiting for the sweeper are not listed.
 *
 * A page sorts the vnode's keys by (order hash, key) on each call: O(K log K) for the K keys of
 * one vnode (about a V-th of the node's), bounded work per message.
 */
import type { NodeContext, PeerService } from '../node/peer-service.js';
import { keyType } from '../datatypes/index.js';
import type { KeyCountReply, KeyCountRequest, KeyPageReply, KeyScanRequest, ScannedKey } from './messages.js';
import { orderHash } from './order-hash.js';

export type KeyspaceServiceDeps = Pick<NodeContext, 'engine' | 'clock'>;

interface Positioned extends ScannedKey {
  readonly hash: number;
}

export class KeyspaceService implements PeerService {
  readonly name = 'keyspace';
  readonly handlers = {
    'key-scan': (request: KeyScanRequest): KeyPageReply => this.page(request),
    'key-count': (_request: KeyCountRequest): KeyCountReply => this.count(),
  };

  constructor(private readonly context: KeyspaceServiceDeps) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  private page(request: KeyScanRequest): KeyPageReply {
    const nowMs = this.context.clock.nowMs();
    const found: Positioned[] = [];
    for (const [key, versioned] of this.context.engine.entries(request.vnode)) {
      const hash = orderHash(key);
      if (hash < request.fromHash) continue;
      const type = keyType(versioned, nowMs);
      if (type !== 'none') found.push({ key: new Uint8Array(key), type, hash });
    }
    found.sort((a, b) => (a.hash !== b.hash ? a.hash - b.hash : Buffer.compare(a.key, b.key)));
    let end = Math.min(request.count, found.length);
    // Keys sharing an order hash go in one page, so the next page can start at a hash.
    while (end < found.length && (found[end] as Positioned).hash === (found[end - 1] as Positioned).hash) end++;
    const keys = found.slice(0, end).map(({ key, type }) => ({ key, type }));
    const next = found[end];
    return { kind: 'key-page', keys, nextHash: next === undefined ? null : next.hash };
  }

  private count(): KeyCountReply {
    const nowMs = this.context.clock.nowMs();
    const counts = new Map<number, number>();
    for (const vnode of this.context.engine.vnodes()) {
      let live = 0;
      for (const [, versioned] of this.context.engine.entries(vnode)) if (keyType(versioned, nowMs) !== 'none') live++;
      if (live > 0) counts.set(vnode, live);
    }
    return { kind: 'key-counts', counts, bytes: this.context.engine.stats().bytes };
  }
}
