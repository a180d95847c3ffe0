/**
 * `ringcache bench memory`: bytes of memory per hash field, set member and sorted-set member,
 * against a plain string key, in one node's storage engine in this process.
 *
 *   string   K x E string keys, each written as SET does (coordinatedPut)
 *   hash     K keys x E fields, each field one HSET   \
 *   set      K keys x E members, each one SADD          > the real coordinator code (coordinatedOperation),
 *   zset     K keys x E members, each one ZADD         /  one operation per element, as a client adds them
 *
 * Each key is stored the way a replica holds it: the coordinator's state, encoded, decoded and
 * copied (what RC.MERGE, hints and anti-entropy deliver), merged into a MemoryEngine. Every type
 * fills a fresh engine; the heap and RSS are measured after a full GC before and after the fill,
 * and the delta is divided by the number of elements (strings: by the number of keys). Also
 * printed: the engine's own estimate of those bytes (storage.bytesMax accounting), to show how
 * far the budget is from the heap.
 *
 * The GC is reached with v8.setFlagsFromString('--expose-gc'), so no node flag is needed.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { CliIo } from '../src/cli/index.js';
import { coordinatedOperation, parseOperation } from '../src/datatypes/index.js';
import type { OperationName } from '../src/datatypes/index.js';
import { vnodeOf } from '../src/ring/index.js';
import { MemoryEngine } from '../src/storage/index.js';
import { EMPTY_VERSIONED, VERSION_DEFAULTS, coordinatedPut, copyVersioned, decodeVersioned, encodeVersioned } from '../src/version/index.js';
import type { Versioned } from '../src/version/index.js';

export interface MemoryBenchOptions {
  /** Keys per collection type (strings: keys x elements keys). */
  readonly keyCount: number;
  readonly elementsPerKey: number;
  readonly valueBytes: number;
  readonly json: boolean;
  readonly io: CliIo;
}

export type MemoryType = 'string' | 'hash' | 'set' | 'zset';

export interface MemoryRow {
  readonly type: MemoryType;
  readonly elements: number;
  readonly heapBytesPerElement: number;
  readonly rssBytesPerElement: number;
  /** The engine's accounting (entryBytes) per element. */
  readonly estimatedBytesPerElement: number;
  /** heapBytesPerElement over the string row's. */
  readonly heapRatioToString: number;
}

const VNODE_COUNT = 1024;
const ACTOR = 'n1.membench';
const NOW_MS = 1_700_000_000_000;

function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  if (typeof gc !== 'function') throw new Error('bench memory: the GC could not be exposed (v8.setFlagsFromString)');
  return () => { gc(); gc(); };
}

function keyOf(type: MemoryType, index: number): Buffer {
  return Buffer.from(`${type}:${String(index).padStart(10, '0')}`);
}

function memberOf(index: number): Buffer {
  return Buffer.from(`member:${String(index).padStart(6, '0')}`);
}

/** One key's state, element by element, as the coordinating replica builds it. */
function buildCollection(type: Exclude<MemoryType, 'string'>, elements: number, value: Buffer, counter: { next: number }): Versioned {
  const name: OperationName = type === 'hash' ? 'hset' : type === 'set' ? 'sadd' : 'zadd';
  let state: Versioned = EMPTY_VERSIONED;
  for (let e = 0; e < elements; e++) {
    const member = memberOf(e);
    const args = type === 'hash' ? [member, value] : type === 'set' ? [member] : [Buffer.from(String(e)), member];
    const operation = parseOperation(name, args, VERSION_DEFAULTS);
    if (typeof operation === 'string') throw new Error(`bench memory: ${name} refused (${operation})`);
    const result = coordinatedOperation(state, operation, { actor: `${ACTOR}.t`, counter: ++counter.next }, NOW_MS + e, VERSION_DEFAULTS, () => 0);
    if (result.outcome !== 'ok') throw new Error(`bench memory: ${name} answered ${result.outcome}`);
    state = result.versioned;
  }
  return state;
}

/** What a replica holds: the state through the wire codec, in buffers of its own. */
function asReplica(state: Versioned): Versioned {
  return copyVersioned(decodeVersioned(encodeVersioned(state)));
}

function fill(engine: MemoryEngine, type: MemoryType, options: MemoryBenchOptions, value: Buffer): number {
  const counter = { next: 0 };
  if (type === 'string') {
    const keys = options.keyCount * options.elementsPerKey;
    for (let i = 0; i < keys; i++) {
      const key = keyOf(type, i);
      const written = coordinatedPut(undefined, { value: Buffer.from(value), context: null, dot: { actor: ACTOR, counter: ++counter.next }, timestampMs: NOW_MS, expiresAtMs: null });
      engine.merge(key, vnodeOf(key, VNODE_COUNT), asReplica(written));
    }
    return keys;
  }
  for (let i = 0; i < options.keyCount; i++) {
    const key = keyOf(type, i);
    engine.merge(key, vnodeOf(key, VNODE_COUNT), asReplica(buildCollection(type, options.elementsPerKey, value, counter)));
  }
  return options.keyCount * options.elementsPerKey;
}

function measure(type: MemoryType, options: MemoryBenchOptions, gc: () => void, value: Buffer): Omit<MemoryRow, 'heapRatioToString'> {
  gc();
  const before = process.memoryUsage();
  // Unreachable once this returns: the next type's baseline does not count it.
  const engine = new MemoryEngine({ bytesMax: Number.MAX_SAFE_INTEGER, evictionPolicy: 'reject' });
  const elements = fill(engine, type, options, value);
  gc();
  const after = process.memoryUsage();
  const estimated = engine.stats().bytes;
  return {
    type, elements,
    heapBytesPerElement: (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / elements,
    rssBytesPerElement: (after.rss - before.rss) / elements,
    estimatedBytesPerElement: estimated / elements,
  };
}

export function runMemoryBench(options: MemoryBenchOptions): MemoryRow[] {
  const gc = collectGarbage();
  const value = Buffer.alloc(options.valueBytes, 0x78);
  const io = options.io;
  io.out(`bench memory: ${String(options.keyCount)} keys x ${String(options.elementsPerKey)} elements per type (strings: ${String(options.keyCount * options.elementsPerKey)} keys), ` +
    `${String(options.valueBytes)}-byte values, 17-byte keys, 13-byte members; one MemoryEngine per type, heap and RSS after a full GC (node ${process.version})`);
  const rows: Omit<MemoryRow, 'heapRatioToString'>[] = [];
  // Strings first: the baseline the ratios divide by.
  for (const type of ['string', 'hash', 'set', 'zset'] as const) rows.push(measure(type, options, gc, value));
  const baseline = rows[0]?.heapBytesPerElement ?? Number.NaN;
  const result = rows.map((row) => ({ ...row, heapRatioToString: row.heapBytesPerElement / baseline }));
  io.out('| type | elements | heap B/element | RSS B/element | engine estimate B/element | heap / string key |');
  io.out('|---|---|---|---|---|---|');
  for (const row of result) {
    io.out(`| ${row.type === 'string' ? 'string (per key)' : row.type} | ${row.elements.toLocaleString('en-US')} | ${row.heapBytesPerElement.toFixed(0)} | ` +
      `${row.rssBytesPerElement.toFixed(0)} | ${row.estimatedBytesPerElement.toFixed(0)} | ${row.heapRatioToString.toFixed(2)} |`);
  }
  if (options.json) io.out(JSON.stringify({ options: { keyCount: options.keyCount, elementsPerKey: options.elementsPerKey, valueBytes: options.valueBytes }, rows: result }));
  return result;
}
