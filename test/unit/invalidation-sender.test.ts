import { describe, expect, it } from 'vitest';
import { InvalidationSender, LoadCounter, readPeerDirectory, encodePeerDirectory } from '../../src/load/index.js';
import { NearCache } from '../../src/proxy/near-cache.js';
import { VirtualClock, silentLogger } from '../../src/runtime/index.js';
import type { ReadResult } from '../../src/replication/index.js';

interface Posted { readonly url: string; readonly keys: string[]; release(): void }

/** A fetch that records each post and answers it when the test says so (a peer that is slow or fast). */
function recordingFetch(posted: Posted[]): typeof fetch {
  return ((url: string, init: RequestInit) => new Promise<Response>((resolve) => {
    const keys = (JSON.parse(init.body as string) as { keys: string[] }).keys.map((key) => Buffer.from(key, 'base64').toString('latin1'));
    posted.push({ url, keys, release: () => { resolve(new Response('{"invalidated":0}', { status: 200 })); } });
  })) as unknown as typeof fetch;
}

const settle = (): Promise<void> => new Promise((resolve) => { setImmediate(resolve); });

describe('InvalidationSender', () => {
  it('sends only watched keys, once per window, to every peer; drops past the batch bound and while a peer is busy', async () => {
    const clock = new VirtualClock();
    const posted: Posted[] = [];
    const sender = new InvalidationSender({ clock, logger: silentLogger, fetch: recordingFetch(posted), options: { batchKeysMax: 2, flushDelayMs: 5, requestTimeoutMs: 1000 } });
    sender.onWrite(Buffer.from('hot'));
    expect(sender.stats.queued).toBe(0);
    sender.update({ peers: ['http://127.0.0.1:1', 'http://127.0.0.1:2'], watchedKeys: ['hot', 'warm', 'mild'] });
    for (const key of ['cold', 'hot', 'hot', 'warm', 'mild']) sender.onWrite(Buffer.from(key));
    expect(sender.stats).toMatchObject({ queued: 2, dropped: 1 });
    clock.runUntil(clock.nowMs() + 5);
    expect(posted.map((post) => [post.url, post.keys])).toEqual([
      ['http://127.0.0.1:1/v1/near-cache/invalidate', ['hot', 'warm']], ['http://127.0.0.1:2/v1/near-cache/invalidate', ['hot', 'warm']],
    ]);
    // Peer 1 answers, peer 2 stays busy: the next batch goes to peer 1 only.
    posted[0]?.release();
    await settle();
    sender.onWrite(Buffer.from('mild'));
    clock.runUntil(clock.nowMs() + 5);
    expect(posted.slice(2).map((post) => post.url)).toEqual(['http://127.0.0.1:1/v1/near-cache/invalidate']);
    expect(sender.stats).toMatchObject({ batches: 1, dropped: 2 });
    for (const post of posted) post.release();
    await sender.stop();
  });

  it('counts a peer that times out as failed and frees it', async () => {
    const clock = new VirtualClock();
    const hanging = ((_url: string, init: RequestInit) => new Promise<Response>((_resolve, reject) => {
      init.signal?.addEventListener('abort', () => { reject(new Error('aborted')); });
    })) as unknown as typeof fetch;
    const sender = new InvalidationSender({ clock, logger: silentLogger, fetch: hanging, options: { batchKeysMax: 8, flushDelayMs: 1, requestTimeoutMs: 50 } });
    sender.update({ peers: ['http://127.0.0.1:1'], watchedKeys: ['k'] });
    sender.onWrite(Buffer.from('k'));
    clock.runUntil(clock.nowMs() + 1);
    clock.runUntil(clock.nowMs() + 50);
    await settle();
    expect(sender.stats.failed).toBe(1);
    await sender.stop();
  });
});

describe('the peer directory', () => {
  it('round-trips and refuses what breaks a bound', () => {
    const directory = { peers: ['http://127.0.0.1:8080', 'https://[::1]:8443'], watchedKeys: ['a', '\u00ff\u0000b'] };
    expect(readPeerDirectory(encodePeerDirectory(directory), 16)).toEqual(directory);
    const refused = [
      [], { peers: [], watchedKeys: [], extra: 1 }, { peers: ['ftp://x:1'], watchedKeys: [] }, { peers: ['http://x:1/path'], watchedKeys: [] },
      { peers: [], watchedKeys: [''] }, { peers: [], watchedKeys: [Buffer.alloc(17).toString('base64')] },
      { peers: Array.from({ length: 1025 }, () => 'http://h:1'), watchedKeys: [] },
    ];
    for (const body of refused) expect(() => readPeerDirectory(body, 16)).toThrow(/RC_ERR_PROTOCOL|peer directory/);
  });
});

describe('NearCache with invalidations from peers', () => {
  const strict: ReadResult = { versioned: null, replies: 2, quorum: 'strict' };

  it('drops the entry, refuses reads in flight, and fences the key for fenceMs', () => {
    const clock = new VirtualClock();
    const counter = new LoadCounter(16, { hotKeySampleEvery: 1 });
    for (let i = 0; i < 10; i++) counter.onRequest(0, Buffer.from('hot'), 'read');
    counter.take();
    const cache = new NearCache(clock, counter, { capacity: 4, ttlMs: 10_000, hotCountMin: 2 });
    const first = cache.lookup(Buffer.from('hot'));
    if (first === undefined || !('ticket' in first)) throw new Error('expected a miss ticket');
    cache.admit(first, strict, 2);
    expect(cache.size).toBe(1);
    const inFlight = cache.lookup(Buffer.from('hot'));
    expect(inFlight !== undefined && 'hit' in inFlight).toBe(true);
    cache.invalidateFromPeer(Buffer.from('hot'), 250);
    expect(cache.size).toBe(0);
    const during = cache.lookup(Buffer.from('hot'));
    if (during === undefined || !('ticket' in during)) throw new Error('expected a miss ticket');
    clock.runUntil(clock.nowMs() + 249);
    cache.admit(during, strict, 2);
    expect(cache.size).toBe(0);
    clock.runUntil(clock.nowMs() + 1);
    const after = cache.lookup(Buffer.from('hot'));
    if (after === undefined || !('ticket' in after)) throw new Error('expected a miss ticket');
    cache.admit(after, strict, 2);
    expect(cache.size).toBe(1);
    expect(cache.stats.peerInvalidations).toBe(1);
  });

  it('keeps a cached key hot: hits feed the sketch, so the next interval still finds it', () => {
    const clock = new VirtualClock();
    const counter = new LoadCounter(16, { hotKeySampleEvery: 1 });
    for (let i = 0; i < 10; i++) counter.onRequest(0, Buffer.from('hot'), 'read');
    counter.take();
    const cache = new NearCache(clock, counter, { capacity: 4, ttlMs: 10_000, hotCountMin: 2 });
    const miss = cache.lookup(Buffer.from('hot'));
    if (miss === undefined || !('ticket' in miss)) throw new Error('expected a miss ticket');
    cache.admit(miss, strict, 2);
    for (let i = 0; i < 10; i++) expect(cache.lookup(Buffer.from('hot'))).toEqual({ hit: strict });
    counter.take();
    expect(cache.lookup(Buffer.from('hot'))).toEqual({ hit: strict });
  });
});
