/**
 * The tests every Transport passes (js-libp2p's compliance suites; STYLE.md practice 4): the
 * coordinator is written against the contract, so the simulated network and RESP over TCP must
 * keep it alike. Run it from an implementation's own test file:
 *
 *   transportContract('SimNetwork', async () => ({ transport, listen, crash, teardown }));
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejection } from '../support/expect-error.js';
import { RingcacheError, isRingcacheError } from '../../src/runtime/index.js';
import type { ServerId } from '../../src/ring/index.js';
import type { Envelope, InternodeHandler, InternodeReply, InternodeRequest, PeerReply, Transport } from '../../src/transport/index.js';
import { coordinatedPut } from '../../src/version/index.js';
import type { Versioned, VersionVector } from '../../src/version/index.js';

export interface TransportHarness {
  readonly transport: Transport;
  /** Makes `server` answer with `handler` (a node starting). */
  listen(server: ServerId, handler: InternodeHandler): Promise<void>;
  /** Makes `server` refuse connections, as a crashed node does. */
  crash(server: ServerId): Promise<void>;
  teardown(): Promise<void>;
}

/** Deadline of sends that must not time out; sends that must fail fast do so well before it. */
const TIMEOUT_MS = 2000;
const HANG_TIMEOUT_MS = 250;
const MiB = 1024 * 1024;

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const CRLF_KEY = Buffer.from('\r\n$-1\r\n*3\r\nkey\u0000');

function randomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** Uint8Arrays as hex strings: decoded bytes may be Buffers or views, only the bytes matter. */
export function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `hex:${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
  }
  return value;
}

const NODE_ACTOR = 'n1.test';

/** The state a node would store for a put: a fresh dot over the client's context. */
function stateOf(value: Uint8Array | null, context: VersionVector | null, expiresAtMs: number | null, counter: number): Versioned {
  return coordinatedPut(undefined, { value, context, dot: { actor: NODE_ACTOR, counter }, timestampMs: 1_700_000_000_123, expiresAtMs });
}

/**
 * A node in miniature: remembers what it stored, answers every kind, records every request as
 * it arrived, replies with its own epoch.
 */
class EchoNode implements InternodeHandler {
  readonly received: Envelope<InternodeRequest>[] = [];
  readonly stored = new Map<string, Versioned>();
  private counter = 100;

  constructor(readonly serverId: ServerId, readonly epoch: number) {}

  handle(request: Envelope<InternodeRequest>): Envelope<InternodeReply> {
    this.received.push(request);
    const body = request.body;
    const keyText = (key: Uint8Array): string => Buffer.from(key).toString('hex');
    switch (body.kind) {
      case 'coord-put': {
        const counter = ++this.counter;
        const versioned = stateOf(body.value === null ? null : Buffer.from(body.value), body.context, body.expiresAtMs, counter);
        this.stored.set(keyText(body.key), versioned);
        return { epoch: this.epoch, body: { kind: 'put-result', dot: { actor: NODE_ACTOR, counter }, versioned } };
      }
      case 'merge':
        this.stored.set(keyText(body.key), body.versioned);
        return { epoch: this.epoch, body: { kind: 'ack' } };
      case 'read':
        return { epoch: this.epoch, body: { kind: 'versioned', versioned: this.stored.get(keyText(body.key)) ?? null } };
      case 'ping':
        return { epoch: this.epoch, body: { kind: 'pong', serverId: this.serverId } };
    }
  }
}

const put = (key: Uint8Array, value: Uint8Array | null, extra: Partial<{ context: VersionVector | null; expiresAtMs: number | null; requestId: string }> = {}): InternodeRequest => ({
  kind: 'coord-put', requestId: extra.requestId ?? `c.1.${Buffer.from(key).toString('hex').slice(0, 16)}`, key, vnode: 5, value,
  context: extra.context ?? null, expiresAtMs: extra.expiresAtMs ?? null,
});

export function transportContract(name: string, setup: () => Promise<TransportHarness>): void {
  describe(`Transport contract: ${name}`, () => {
    let harness: TransportHarness;
    let transport: Transport;
    const releases: (() => void)[] = [];

    beforeEach(async () => {
      harness = await setup();
      transport = harness.transport;
    });

    afterEach(async () => {
      for (const release of releases.splice(0)) release();
      await harness.teardown();
    });

    it('round-trips every message kind with binary keys and values, epochs both ways', async () => {
      const node = new EchoNode('n1', 9);
      await harness.listen('n1', node);
      const big = randomBytes(MiB, 7);
      const cases: InternodeRequest[] = [
        put(ALL_BYTES, big, { expiresAtMs: 1_800_000_000_000 }),
        put(CRLF_KEY, new Uint8Array(0)),
        put(Buffer.from('deleted'), null, { context: [] }),
        put(Buffer.from('with-context'), ALL_BYTES, { context: [{ actor: 'n2.a', counter: 3 }, { actor: 'n3.\u00e9', counter: 9 }] }),
        { kind: 'read', key: ALL_BYTES, vnode: 0 },
        { kind: 'read', key: CRLF_KEY, vnode: 1023 },
        { kind: 'read', key: Buffer.from('absent'), vnode: 17 },
        { kind: 'merge', key: Buffer.from('merged'), vnode: 3, versioned: stateOf(randomBytes(MiB, 9), [{ actor: 'n0.z', counter: 1 }], null, 4) },
        { kind: 'read', key: Buffer.from('merged'), vnode: 3 },
        { kind: 'ping' },
      ];
      for (const [index, body] of cases.entries()) {
        const epoch = 7 + index;
        const reply = await transport.send('n1', { epoch, body }, TIMEOUT_MS);
        const received = node.received[index];
        expect(plain(received)).toEqual(plain({ epoch, body }));
        expect(reply.epoch).toBe(9);
        expect(plain(reply.body)).toEqual(plain(expectedReply(node, body)));
      }
    });

    it('tells a delete from an empty value and a null context from an empty one', async () => {
      const node = new EchoNode('n1', 1);
      await harness.listen('n1', node);
      const key = Buffer.from('k');
      const empty = await transport.send('n1', { epoch: 1, body: put(key, new Uint8Array(0)) }, TIMEOUT_MS);
      const deleted = await transport.send('n1', { epoch: 1, body: put(key, null, { context: [] }) }, TIMEOUT_MS);
      expect(node.received.map((request) => request.body.kind === 'coord-put' && [request.body.value?.length ?? null, request.body.context]))
        .toEqual([[0, null], [null, []]]);
      const stored = (reply: Envelope<PeerReply>): Uint8Array | null | undefined => (reply.body.kind === 'put-result' ? reply.body.versioned.siblings[0]?.value : undefined);
      expect(stored(empty)?.length).toBe(0);
      expect(stored(deleted)).toBeNull();
    });

    it('passes a handler\'s RingcacheError back with its code and message', async () => {
      await harness.listen('n1', { handle: () => { throw new RingcacheError('RC_ERR_STORAGE_FULL', 'storage full: 10 of 10 bytes used'); } });
      await harness.listen('n2', { handle: () => Promise.reject(new RingcacheError('RC_ERR_STALE_TABLE', 'epoch 3 is behind 5')) });
      await harness.listen('n3', { handle: () => { throw new TypeError('a bug'); } });
      const full = await rejection(transport.send('n1', { epoch: 1, body: { kind: 'ping' } }, TIMEOUT_MS));
      expect([full.code, full.message]).toEqual(['RC_ERR_STORAGE_FULL', 'storage full: 10 of 10 bytes used']);
      const stale = await rejection(transport.send('n2', { epoch: 1, body: { kind: 'read', key: ALL_BYTES, vnode: 2 } }, TIMEOUT_MS));
      expect([stale.code, stale.message]).toEqual(['RC_ERR_STALE_TABLE', 'epoch 3 is behind 5']);
      expect((await rejection(transport.send('n3', { epoch: 1, body: { kind: 'ping' } }, TIMEOUT_MS))).code).toBe('RC_ERR_INTERNAL');
      // The connection is still good after errors.
      await harness.listen('n4', new EchoNode('n4', 1));
      expect((await transport.send('n4', { epoch: 1, body: { kind: 'ping' } }, TIMEOUT_MS)).body).toEqual({ kind: 'pong', serverId: 'n4' });
    });

    it('rejects a send to a crashed or unknown node with RC_ERR_UNREACHABLE, fast', async () => {
      await harness.listen('n1', new EchoNode('n1', 1));
      await transport.send('n1', { epoch: 1, body: { kind: 'ping' } }, TIMEOUT_MS);
      await harness.crash('n1');
      for (const server of ['n1', 'n1', 'never-listened']) {
        const started = performance.now();
        const error = await rejection(transport.send(server, { epoch: 1, body: { kind: 'ping' } }, TIMEOUT_MS));
        expect(error.code).toBe('RC_ERR_UNREACHABLE');
        expect(performance.now() - started).toBeLessThan(TIMEOUT_MS / 4);
      }
    });

    it('rejects with RC_ERR_TIMEOUT at about timeoutMs when a node never answers', async () => {
      await harness.listen('n1', {
        handle: () => new Promise<Envelope<InternodeReply>>((resolve) => {
          releases.push(() => { resolve({ epoch: 1, body: { kind: 'ack' } }); });
        }),
      });
      const started = performance.now();
      const error = await rejection(transport.send('n1', { epoch: 1, body: { kind: 'ping' } }, HANG_TIMEOUT_MS));
      const elapsedMs = performance.now() - started;
      expect(error.code).toBe('RC_ERR_TIMEOUT');
      expect(elapsedMs).toBeGreaterThanOrEqual(HANG_TIMEOUT_MS - 5);
      expect(elapsedMs).toBeLessThan(HANG_TIMEOUT_MS * 4);
    });

    it('answers many concurrent sends, each with its own reply', async () => {
      const node = new EchoNode('n1', 2);
      await harness.listen('n1', node);
      const count = 2000;
      const key = (i: number): Buffer => Buffer.from(`key-${i}`);
      await Promise.all(Array.from({ length: count }, (_, i) => transport.send('n1', { epoch: 1, body: put(key(i), Buffer.from(`value-${i}`), { requestId: `r${i}` }) }, TIMEOUT_MS * 5)));
      const replies = await Promise.all(Array.from({ length: count }, (_, i) => transport.send('n1', { epoch: 1, body: { kind: 'read', key: key(i), vnode: 1 } }, TIMEOUT_MS * 5)));
      replies.forEach((reply, i) => {
        expect(reply.body.kind === 'versioned' && Buffer.from(reply.body.versioned?.siblings[0]?.value ?? []).toString()).toBe(`value-${i}`);
      });
    });

    it('close() rejects nothing that already settled and is idempotent', async () => {
      await harness.listen('n1', new EchoNode('n1', 1));
      const settled = await Promise.allSettled(Array.from({ length: 20 }, () => transport.send('n1', { epoch: 1, body: { kind: 'ping' } }, TIMEOUT_MS)));
      await transport.close();
      await transport.close();
      expect(settled.every((result) => result.status === 'fulfilled')).toBe(true);
      const sendsAfter = await Promise.allSettled([transport.send('n1', { epoch: 1, body: { kind: 'ping' } }, HANG_TIMEOUT_MS)]);
      // Either a closed transport refuses (TCP) or it still delivers (the simulator has no sockets).
      for (const result of sendsAfter) {
        if (result.status === 'rejected') expect(isRingcacheError(result.reason, 'RC_ERR_UNREACHABLE')).toBe(true);
      }
    });
  });
}

function expectedReply(node: EchoNode, body: InternodeRequest): InternodeReply {
  switch (body.kind) {
    case 'coord-put': {
      const stored = node.stored.get(Buffer.from(body.key).toString('hex'));
      const counter = stored?.siblings[0]?.dot.counter ?? 0;
      return { kind: 'put-result', dot: { actor: NODE_ACTOR, counter }, versioned: stored ?? { context: [], siblings: [] } };
    }
    case 'merge': return { kind: 'ack' };
    case 'read': return { kind: 'versioned', versioned: node.stored.get(Buffer.from(body.key).toString('hex')) ?? null };
    case 'ping': return { kind: 'pong', serverId: node.serverId };
  }
}
