/**
 * Every peer message is validated before it touches the store (src/node/validate.ts), against a
 * real StorageNode over its authenticated internode port:
 *   - the attacks of the security issue, reproduced: an RC.MERGE filing a key under another
 *     vnode (the key became unwritable), contexts claiming 2^53 - 1 of an actor (SET, DEL and
 *     EXPIRE failed for good);
 *   - counter lanes bounded like dots: a key's (INCR), a hash field's (HINCRBY), and a float
 *     counter's (HINCRBYFLOAT, ZINCRBY), so no forged lane blocks a key or a field for good;
 *   - a seeded fuzz of hostile and byte-mutated messages (merges, coordinated puts, counter
 *     operations, hints): every one refused, and not one stored value changed.
 */
import net from 'node:net';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { coordinatedIncrement } from '../../src/datatypes/index.js';
import { hintRequest } from '../../src/hinted-handoff/index.js';
import { nodeCatalogue, StorageNode } from '../../src/node/index.js';
import { Coordinator } from '../../src/replication/index.js';
import type { TableView } from '../../src/replication/index.js';
import { RESP_DEFAULTS, ReplyParser, encodeCommand } from '../../src/resp/index.js';
import type { RespValue } from '../../src/resp/index.js';
import { RoutingTable, vnodeOf } from '../../src/ring/index.js';
import type { Table } from '../../src/ring/index.js';
import { RingcacheError, SeededRandom, SystemClock, silentLogger } from '../../src/runtime/index.js';
import { encodePeerCommand, TcpTransport } from '../../src/transport/index.js';
import type { Envelope, PeerRequest } from '../../src/transport/index.js';
import { compareActors, encodeVersioned } from '../../src/version/index.js';
import type { Actor, Versioned, VersionVector } from '../../src/version/index.js';
import { byteMutation, mutate } from '../support/byte-mutation.js';
import { versionedArbitrary } from '../support/version-arbitraries.js';

const clock = new SystemClock();
const VNODES = 64;
const TOKEN = 'peer-validation-token';
const KEYS = 200;
/** Above what any actor can have issued (validate.ts bounds even an unreadable actor near 1.8e15 today). */
const HUGE = fc.integer({ min: 2 ** 52, max: Number.MAX_SAFE_INTEGER });

const config = loadConfig({
  file: {
    cluster: { vnodeCount: VNODES, replicaCount: 1, token: TOKEN },
    replication: { r: 1, w: 1, requestTimeoutMs: 2000 },
    nodes: [{ id: 'n1', zone: 'a', host: '127.0.0.1', port: 0, httpPort: 0 }],
  },
});
const routing = new RoutingTable({
  epoch: 3, vnodeCount: VNODES, replicaCount: 1,
  servers: [{ id: 'n1', zone: 'a', capacity: 1, host: '127.0.0.1', port: 0, httpPort: 0, state: 'active' }],
  rows: Array.from({ length: VNODES }, () => ({ replicas: ['n1'] })),
} satisfies Table);
const catalogue = nodeCatalogue();

let node: StorageNode;
let transport: TcpTransport;
let coordinator: Coordinator;

beforeAll(async () => {
  node = new StorageNode({
    serverId: 'n1', config, clock, random: new SeededRandom(1), logger: silentLogger, registry: new Registry(),
    table: { current: () => routing, epoch: () => 3, observeEpoch: () => undefined },
  });
  await node.start();
  transport = new TcpTransport({ resolve: () => ({ host: '127.0.0.1', port: node.respPort }), clock, token: TOKEN, catalogue: nodeCatalogue() });
  const table: TableView = { current: () => routing, observeEpoch: () => undefined };
  coordinator = new Coordinator({ name: 'test', transport, clock, random: new SeededRandom(2), table, options: { r: 1, w: 1, requestTimeoutMs: 2000 } });
});

afterAll(async () => {
  await transport.close();
  await node.stop();
});

const bytes = (text: string): Buffer => Buffer.from(text);
const wrongVnode = (key: Uint8Array, shift = 1): number => (vnodeOf(key, VNODES) + shift) % VNODES;

async function refusal(body: PeerRequest): Promise<RingcacheError> {
  const error = await transport.send('n1', { epoch: 3, body }, 2000).then(() => undefined, (caught: unknown) => caught);
  expect(error, `${body.kind} should be refused`).toBeInstanceOf(RingcacheError);
  return error as RingcacheError;
}

async function refusedByReason(): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^ringcache_node_peer_messages_refused_total\{reason="(\w+)"\} (\d+)$/gm)) counts[match[1] ?? ''] = Number(match[2]);
  return counts;
}

async function value(key: string): Promise<string | undefined> {
  const result = await coordinator.get(bytes(key));
  const state = result.versioned;
  if (state === null) return undefined;
  const live = state.siblings.filter((sibling) => sibling.value !== null);
  return live.map((sibling) => Buffer.from(sibling.value ?? []).toString()).sort().join(',');
}

/** A context with `entry` added, kept canonical (sorted by actor, one entry per actor). */
function withEntry(vector: VersionVector, actor: Actor, counter: number): VersionVector {
  return [...vector.filter((entry) => entry.actor !== actor), { actor, counter }].sort((a, b) => compareActors(a.actor, b.actor));
}

describe('the issue\'s attacks on the internode port are refused', () => {
  it('an RC.MERGE naming the wrong vnode is refused, so the key stays writable', async () => {
    const key = bytes('victim');
    await coordinator.put(key, bytes('before'));
    const forged: Versioned = { context: [{ actor: 'evil.1', counter: 1 }], siblings: [{ dot: { actor: 'evil.1', counter: 1 }, value: bytes('pwned'), timestampMs: 1, expiresAtMs: null }] };
    const error = await refusal({ kind: 'merge', key, vnode: wrongVnode(key), versioned: forged });
    expect(error.code).toBe('RC_ERR_PROTOCOL');
    expect(error.message).toMatch(/vnode \d+ is not the key's/);
    // A fresh key too: it would have been filed under the attacker's vnode.
    expect((await refusal({ kind: 'merge', key: bytes('fresh'), vnode: wrongVnode(bytes('fresh')), versioned: forged })).code).toBe('RC_ERR_PROTOCOL');
    expect(await value('victim')).toBe('before');
    await coordinator.put(key, bytes('after'));
    await coordinator.put(bytes('fresh'), bytes('mine'));
    expect(await value('victim')).toBe('after');
    expect(await value('fresh')).toBe('mine');
    await coordinator.put(key, null);
    expect(await value('victim')).toBe('');
    expect((await refusedByReason()).wrong_vnode).toBeGreaterThanOrEqual(2);
  });

  it('a context claiming 2^53 - 1 of this node\'s actor or of another is refused, so SET and DEL keep working', async () => {
    const key = bytes('counters');
    await coordinator.put(key, bytes('one'));
    const stored = node.engine.get(key);
    expect(stored).toBeDefined();
    const own = node.core.actor;
    const vnode = vnodeOf(key, VNODES);
    for (const actor of [own, 'n2.mzx3k1p0a1b2', 'anyone']) {
      const claim: Versioned = { ...stored!, context: withEntry(stored!.context, actor, Number.MAX_SAFE_INTEGER) };
      const error = await refusal({ kind: 'merge', key, vnode, versioned: claim });
      expect(error.code).toBe('RC_ERR_PROTOCOL');
      expect(error.message).toMatch(actor === own ? /this node's actor has issued/ : /more than that actor can have issued/);
    }
    // One past what this node issued is refused as well: its own counter is known exactly.
    const issued = stored!.siblings[0]!.dot.counter;
    const ahead: Versioned = { ...stored!, context: withEntry(stored!.context, own, issued + 1) };
    expect((await refusal({ kind: 'merge', key, vnode, versioned: ahead })).message).toMatch(/issued/);
    // A client context forged the same way (RC.SETV through a proxy) is a bad context.
    const forgedPut = await refusal({ kind: 'coord-put' as const, requestId: 'forged-1', key, vnode, value: bytes('x'), context: [{ actor: 'n2.mzx3k1p0a1b2', counter: Number.MAX_SAFE_INTEGER }], expiresAtMs: null });
    expect(forgedPut.code).toBe('RC_ERR_BAD_CONTEXT');
    expect(await value('counters')).toBe('one');
    await coordinator.put(key, bytes('two'));
    expect(await value('counters')).toBe('two');
    await coordinator.put(key, null);
    const refused = await refusedByReason();
    expect(refused.unissued_counter).toBeGreaterThanOrEqual(2);
    expect(refused.implausible_counter).toBeGreaterThanOrEqual(3);
  });
});

/** A state holding one counter lane of `actor`: dot `counter`, sums `added` and `removed`. */
function laneState(actor: Actor, counter: number, added: bigint, removed = 0n): Versioned {
  return { context: [{ actor, counter }], siblings: [], counter: { lanes: [{ actor, counter, added, removed }], offsets: [] } };
}

/** The same lane as a hash field's counter (HINCRBY) of field `f`. */
function fieldLaneState(actor: Actor, counter: number, added: bigint, removed = 0n): Versioned {
  const lane = { actor, counter, added, removed };
  // The context claims dot 1 only: the lane itself is what is checked (a lane need not be covered).
  return { context: [{ actor, counter: 1 }], siblings: [], collections: [{ type: 'hash', elements: [{ member: bytes('f'), dots: [], counter: { lanes: [lane], offsets: [] } }] }] };
}

/** A float counter lane (HINCRBYFLOAT) of field `f`: dot `counter`, running sum `sum`. */
function floatLaneState(actor: Actor, counter: number, sum: number): Versioned {
  return { context: [{ actor, counter: 1 }], siblings: [], collections: [{ type: 'hash', elements: [{ member: bytes('f'), dots: [], floats: { lanes: [{ actor, counter, sum }], offsets: [] } }] }] };
}

async function operate(key: Uint8Array, requestId: string, name: 'hincrby' | 'hincrbyfloat' | 'hset', args: readonly string[]): Promise<unknown> {
  const body = { kind: 'collection-op' as const, requestId, key, vnode: vnodeOf(key, VNODES), name, args: args.map(bytes) };
  return (await transport.send('n1', { epoch: 3, body }, 2000)).body;
}

async function increment(key: Uint8Array, requestId: string, amount: bigint): Promise<unknown> {
  const reply = await transport.send('n1', { epoch: 3, body: { kind: 'counter-add', requestId, key, vnode: vnodeOf(key, VNODES), amount } }, 2000);
  return reply.body;
}

describe('counter lanes are bounded like dots', () => {
  it('a lane claiming 2^64 - 1 of this node\'s typed actor, or of another on its first dot, is refused, so INCR keeps working', async () => {
    const key = bytes('lanes');
    const vnode = vnodeOf(key, VNODES);
    expect(await increment(key, 'lane-1', 5n)).toMatchObject({ outcome: 'ok', value: 5n });
    const typed = `${node.core.actor}.t`;
    const stored = node.engine.get(key);
    expect(stored?.counter?.lanes.map((lane) => lane.actor)).toEqual([typed]);
    // Why it matters: lanes only grow, so with this lane stored every INCR here would overflow.
    const forged = laneState(typed, 1, 2n ** 64n - 1n);
    expect(coordinatedIncrement(forged, 1n, { actor: typed, counter: 2 }, clock.nowMs())).toBe('overflow');
    const own = await refusal({ kind: 'merge', key, vnode, versioned: forged });
    expect(own.code).toBe('RC_ERR_PROTOCOL');
    expect(own.message).toMatch(/this node's actor has added 5 and removed 0 in all/);
    // One more than it ever removed is refused too: the sums are known exactly.
    expect((await refusal({ kind: 'merge', key, vnode, versioned: laneState(typed, 1, 5n, 1n) })).message).toMatch(/removed 0 in all/);
    const other = await refusal({ kind: 'merge', key, vnode, versioned: laneState('n2.mzx3k1p0a1b2', 1, 2n ** 64n - 1n) });
    expect(other.message).toMatch(/more than 1 increments of at most 2\^63/);
    expect(node.engine.get(key)).toEqual(stored);
    // An honest lane of another actor within its bound is merged, and INCR goes on from both.
    await transport.send('n1', { epoch: 3, body: { kind: 'merge', key, vnode, versioned: laneState('n2.mzx3k1p0a1b2', 2, 7n) } }, 2000);
    expect(await increment(key, 'lane-2', -1n)).toMatchObject({ outcome: 'ok', value: 11n });
    const refused = await refusedByReason();
    expect(refused.unissued_lane_sum).toBeGreaterThanOrEqual(2);
    expect(refused.implausible_lane_sum).toBeGreaterThanOrEqual(1);
  });

  it('a hash field\'s HINCRBY lane is bounded the same way, so HINCRBY keeps working', async () => {
    const key = bytes('field-lanes');
    const vnode = vnodeOf(key, VNODES);
    expect(await operate(key, 'field-1', 'hincrby', ['f', '4'])).toMatchObject({ outcome: 'ok', answer: { integer: 4n } });
    const typed = `${node.core.actor}.t`;
    const stored = node.engine.get(key);
    const own = await refusal({ kind: 'merge', key, vnode, versioned: fieldLaneState(typed, 1, 2n ** 64n - 1n) });
    expect(own.message).toMatch(/hash element: counter lane of .* this node's actor has added/);
    const other = await refusal({ kind: 'merge', key, vnode, versioned: fieldLaneState('n2.mzx3k1p0a1b2', 1, 2n ** 64n - 1n) });
    expect(other.message).toMatch(/more than 1 increments of at most 2\^63/);
    expect((await refusal({ kind: 'merge', key, vnode, versioned: fieldLaneState(typed, 2 ** 52, 1n) })).message).toMatch(/hash element: counter lane claims .* this node's actor has issued/);
    expect(node.engine.get(key)).toEqual(stored);
    expect(await operate(key, 'field-2', 'hincrby', ['f', '-1'])).toMatchObject({ outcome: 'ok', answer: { integer: 3n } });
  });

  it('a float lane is bounded by its dots, and a forged sum never blocks HINCRBYFLOAT for good', async () => {
    const key = bytes('float-lanes');
    const vnode = vnodeOf(key, VNODES);
    expect(await operate(key, 'float-1', 'hincrbyfloat', ['f', '0.5'])).toMatchObject({ outcome: 'ok' });
    const typed = `${node.core.actor}.t`;
    const stored = node.engine.get(key);
    expect((await refusal({ kind: 'merge', key, vnode, versioned: floatLaneState(typed, 2 ** 52, 1) })).message).toMatch(/float counter lane .* this node's actor has issued/);
    expect((await refusal({ kind: 'merge', key, vnode, versioned: floatLaneState('n2.mzx3k1p0a1b2', Number.MAX_SAFE_INTEGER, 1) })).message).toMatch(/float counter lane .* more than that actor can have issued/);
    expect(node.engine.get(key)).toEqual(stored);
    // A sum near the largest double within the dot bounds is a state some actor could reach: merged.
    await transport.send('n1', { epoch: 3, body: { kind: 'merge', key, vnode, versioned: floatLaneState('n2.mzx3k1p0a1b2', 1, 1.7e308) } }, 2000);
    expect(await operate(key, 'float-2', 'hincrbyfloat', ['f', '1e308'])).toMatchObject({ outcome: 'nan-or-infinity' });
    // An HSET resets what it saw, and increments go on; this node's own lane grown far past
    // the value (or the finite doubles) is written as a plain value instead, so it never
    // blocks the field or swallows a small increment either.
    expect(await operate(key, 'float-3', 'hset', ['f', '1'])).toMatchObject({ outcome: 'ok' });
    expect(await operate(key, 'float-4', 'hincrbyfloat', ['f', '1.5e308'])).toMatchObject({ outcome: 'ok' });
    expect(await operate(key, 'float-5', 'hset', ['f', '1'])).toMatchObject({ outcome: 'ok' });
    expect(await operate(key, 'float-6', 'hincrbyfloat', ['f', '1.5e308'])).toMatchObject({ outcome: 'ok' });
    expect(await operate(key, 'float-7', 'hset', ['f', '1'])).toMatchObject({ outcome: 'ok' });
    expect(await operate(key, 'float-8', 'hincrbyfloat', ['f', '0.25'])).toMatchObject({ outcome: 'ok', answer: { items: [bytes('1.25')] } });
    expect(await operate(key, 'float-9', 'hincrbyfloat', ['f', '0.25'])).toMatchObject({ outcome: 'ok', answer: { items: [bytes('1.5')] } });
  });
});

/** One authenticated internode connection that sends a frame and waits for its one reply (or the close). */
class RawPeer {
  private socket: net.Socket | undefined;
  private waiting: ((reply: RespValue | 'closed') => void) | undefined;

  async send(args: readonly Uint8Array[]): Promise<RespValue | 'closed'> {
    const socket = this.socket ?? await this.open();
    return new Promise((resolve) => {
      this.waiting = resolve;
      socket.write(encodeCommand(args));
    });
  }

  close(): void {
    this.socket?.destroy();
  }

  private async open(): Promise<net.Socket> {
    const socket = net.connect(node.respPort, '127.0.0.1');
    const parser = new ReplyParser({ ...RESP_DEFAULTS, bulkBytesMax: 64 * 1024 * 1024 }, (reply) => { this.settle(reply); });
    socket.on('data', (chunk: Buffer) => { parser.feed(chunk); });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.settle('closed');
    });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => { socket.once('connect', () => { resolve(); }); });
    this.socket = socket;
    const auth = await new Promise<RespValue | 'closed'>((resolve) => {
      this.waiting = resolve;
      socket.write(encodeCommand(['AUTH', TOKEN]));
    });
    expect(auth).toEqual({ kind: 'simple', text: 'OK' });
    return socket;
  }

  private settle(reply: RespValue | 'closed'): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(reply);
  }
}

/** Every stored state, encoded: the store is unchanged exactly when this is. */
function snapshot(): Map<string, string> {
  const states = new Map<string, string>();
  for (const vnode of node.engine.vnodes()) {
    for (const [key, state] of node.engine.entries(vnode)) states.set(Buffer.from(key).toString('hex'), Buffer.from(encodeVersioned(state)).toString('hex'));
  }
  return states;
}

describe('an internode fuzz of hostile messages against a real node', () => {
  it('refuses every one and changes no stored value; the node stays up and serves', async () => {
    for (let i = 0; i < KEYS; i++) await coordinator.put(bytes(`fuzz:${String(i)}`), bytes(`v${String(i)}`));
    // The typed actor has issued a dot, so a lane on dot 1 passes the dot bound and meets the sum bound.
    expect(await increment(bytes('fuzz:counter'), 'fuzz-counter', 2n)).toMatchObject({ outcome: 'ok' });
    const keys = Array.from({ length: KEYS }, (_, i) => bytes(`fuzz:${String(i)}`));
    const own = node.core.actor;
    const before = snapshot();
    const refusedBefore = await refusedByReason();
    const key = fc.oneof(fc.constantFrom(...keys), fc.uint8Array({ minLength: 1, maxLength: 40 }));
    const plausible = versionedArbitrary(3, 3, 1_000_000);
    const shift = fc.integer({ min: 1, max: VNODES - 1 });
    const hugeActor = fc.oneof(fc.constant(own), fc.constant(`${own}.t`), fc.constantFrom('n2.mzx3k1p0a1b2', 'x'));
    /** A state claiming more of some actor than it can have issued: in the context, and as a covered dot. */
    const overclaim = fc.record({ state: plausible, actor: hugeActor, counter: HUGE, asDot: fc.boolean() }).map(({ state, actor, counter, asDot }): Versioned => {
      const context = withEntry(state.context, actor, counter);
      if (!asDot) return { ...state, context };
      return { context, siblings: [{ dot: { actor, counter }, value: bytes('forged'), timestampMs: 1, expiresAtMs: null }] };
    });
    /** A counter lane whose sums no increments of its dots can reach: this node's typed actor (which added little) or another on its first dot. */
    const laneOverclaim = fc.record({
      actor: fc.constantFrom(`${own}.t`, 'n2.mzx3k1p0a1b2', 'x'),
      sum: fc.bigInt({ min: 2n ** 63n + 1n, max: 2n ** 64n - 1n }),
      small: fc.bigInt({ min: 0n, max: 3n }),
      removedSide: fc.boolean(),
      asField: fc.boolean(),
    }).map(({ actor, sum, small, removedSide, asField }) => {
      const of = asField ? fieldLaneState : laneState;
      return removedSide ? of(actor, 1, small, sum) : of(actor, 1, sum, small);
    });
    /** A float counter lane claiming a dot its actor cannot have issued. */
    const floatOverclaim = fc.record({ actor: hugeActor, counter: HUGE, sum: fc.double({ noNaN: true, noDefaultInfinity: true }) })
      .map(({ actor, counter, sum }) => floatLaneState(actor, counter, sum + 0));
    let requestIds = 0;
    // Byte mutations go only to messages that break two rules in two different arguments: a
    // mutation corrupts one argument, so one rule stays broken whatever it does (a mutation of
    // the one broken argument could repair a message, and that message would rightly be stored).
    const hostile: fc.Arbitrary<{ body: PeerRequest; rule: string; mutable?: true }> = fc.oneof(
      fc.record({ key, state: overclaim, shift }).map(({ key: k, state, shift: s }) => ({ rule: 'merge: wrong vnode and overclaim', mutable: true as const, body: { kind: 'merge' as const, key: k, vnode: wrongVnode(k, s), versioned: state } })),
      fc.record({ key, state: plausible, shift }).map(({ key: k, state, shift: s }) => ({ rule: 'merge: wrong vnode', body: { kind: 'merge' as const, key: k, vnode: wrongVnode(k, s), versioned: state } })),
      fc.record({ key, state: overclaim }).map(({ key: k, state }) => ({ rule: 'merge: overclaim', body: { kind: 'merge' as const, key: k, vnode: vnodeOf(k, VNODES), versioned: state } })),
      fc.record({ key, state: overclaim, shift }).map(({ key: k, state, shift: s }) => ({
        rule: 'coord-put: wrong vnode and forged context', mutable: true as const,
        body: { kind: 'coord-put' as const, requestId: `fuzz-${String(++requestIds)}`, key: k, vnode: wrongVnode(k, s), value: bytes('x'), context: state.context, expiresAtMs: null },
      })),
      fc.record({ key, state: overclaim }).map(({ key: k, state }) => ({
        rule: 'coord-put: forged context',
        body: { kind: 'coord-put' as const, requestId: `fuzz-${String(++requestIds)}`, key: k, vnode: vnodeOf(k, VNODES), value: bytes('x'), context: state.context, expiresAtMs: null },
      })),
      fc.record({ key, shift, amount: fc.bigInt({ min: -5n, max: 5n }) }).map(({ key: k, shift: s, amount }) => ({
        rule: 'counter-add: wrong vnode', body: { kind: 'counter-add' as const, requestId: `fuzz-${String(++requestIds)}`, key: k, vnode: wrongVnode(k, s), amount },
      })),
      fc.record({ key, shift, member: fc.constantFrom('a', 'b', 'c') }).map(({ key: k, shift: s, member }) => ({
        rule: 'collection-op: wrong vnode', body: { kind: 'collection-op' as const, requestId: `fuzz-${String(++requestIds)}`, key: k, vnode: wrongVnode(k, s), name: 'sadd' as const, args: [bytes(member)] },
      })),
      fc.record({ key, state: overclaim }).map(({ key: k, state }) => ({ rule: 'hint for this node: overclaim', body: hintRequest('n1', k, vnodeOf(k, VNODES), state) })),
      fc.record({ key, state: laneOverclaim }).map(({ key: k, state }) => ({ rule: 'merge: counter lane sum overclaim', body: { kind: 'merge' as const, key: k, vnode: vnodeOf(k, VNODES), versioned: state } })),
      fc.record({ key, state: laneOverclaim, shift }).map(({ key: k, state, shift: s }) => ({ rule: 'merge: wrong vnode and lane sum overclaim', mutable: true as const, body: { kind: 'merge' as const, key: k, vnode: wrongVnode(k, s), versioned: state } })),
      fc.record({ key, state: laneOverclaim }).map(({ key: k, state }) => ({ rule: 'hint for this node: lane sum overclaim', body: hintRequest('n1', k, vnodeOf(k, VNODES), state) })),
      fc.record({ key, state: floatOverclaim }).map(({ key: k, state }) => ({ rule: 'merge: float lane dot overclaim', body: { kind: 'merge' as const, key: k, vnode: vnodeOf(k, VNODES), versioned: state } })),
      fc.record({ key, state: floatOverclaim, shift }).map(({ key: k, state, shift: s }) => ({ rule: 'merge: wrong vnode and float lane dot overclaim', mutable: true as const, body: { kind: 'merge' as const, key: k, vnode: wrongVnode(k, s), versioned: state } })),
      fc.record({ key, state: overclaim, shift }).map(({ key: k, state, shift: s }) => ({ rule: 'hint for this node: wrong vnode and overclaim', mutable: true as const, body: hintRequest('n1', k, wrongVnode(k, s), state) })),
    );
    const peer = new RawPeer();
    let tried = 0;
    let refused = 0;
    const accepted: string[] = [];
    try {
      await fc.assert(fc.asyncProperty(hostile, fc.option(fc.tuple(fc.nat(), fc.array(byteMutation, { minLength: 1, maxLength: 3 })), { freq: 2 }), async ({ body, rule, mutable }, mutated) => {
        const mutation = mutable === true ? mutated : null;
        const envelope: Envelope<PeerRequest> = { epoch: 3, body };
        const args = encodePeerCommand(catalogue, envelope).map((arg) => Buffer.from(arg));
        if (mutation !== null) {
          // Never the command name or the epoch: every other argument may be corrupted.
          const [at, mutations] = mutation;
          const index = 2 + (at % Math.max(1, args.length - 2));
          args[index] = Buffer.from(mutate(args[index] ?? Buffer.alloc(0), mutations));
        }
        tried++;
        const reply = await peer.send(args);
        if (reply === 'closed' || reply.kind === 'error') refused++;
        else accepted.push(`${rule}${mutation === null ? '' : ' (mutated)'}: ${JSON.stringify(reply).slice(0, 200)}`);
      }), { seed: 8_8_2026, numRuns: 2000 });
    } finally {
      peer.close();
    }
    console.log(`internode fuzz: ${tried} hostile messages tried, ${refused} refused, ${accepted.length} accepted`);
    expect(accepted).toEqual([]);
    expect(refused).toBe(tried);
    const after = snapshot();
    const changed = [...before].filter(([k, state]) => after.get(k) !== state).length + [...after.keys()].filter((k) => !before.has(k)).length;
    console.log(`internode fuzz: ${changed} of ${before.size} stored values changed`);
    expect(changed).toBe(0);
    expect(after.size).toBe(before.size);
    const refusedAfter = await refusedByReason();
    for (const reason of ['wrong_vnode', 'unissued_counter', 'implausible_counter', 'unissued_lane_sum', 'implausible_lane_sum']) {
      expect(refusedAfter[reason] ?? 0, reason).toBeGreaterThan(refusedBefore[reason] ?? 0);
    }
    // Still up and serving, with every key as it was.
    expect((await fetch(`http://127.0.0.1:${node.httpPort}/health`)).status).toBe(200);
    expect(await value('fuzz:7')).toBe('v7');
    await coordinator.put(bytes('fuzz:7'), bytes('later'));
    expect(await value('fuzz:7')).toBe('later');
  }, 120_000);
});
