/**
 * `ringcache bench anti-entropy`: the figures of issue 6 for Merkle anti-entropy, measured on
 * two real StorageNodes in this process talking over TcpTransport (RESP on 127.0.0.1):
 *
 *   preload K keys on both, d = K x divergence of them differing (a quarter only on A, a quarter
 *   only on B, a quarter newer on A, a quarter newer on B) -> A visits every vnode with B ->
 *   bytes exchanged (RESP framing included) against the minimum, repair time, and what a write
 *   pays for the trees.
 *
 * The minimum is the issue's: the differing values plus one 8-byte hash per differing key. The
 * report also gives it with the keys and versions the values travel with (encodeVersioned), the
 * least any repair that carries states can send.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { CliIo } from '../src/cli/index.js';
import type { RingcacheConfig } from '../src/config/index.js';
import { loadConfig } from '../src/config/index.js';
import { RoutingTable } from '../src/ring/index.js';
import type { Table } from '../src/ring/index.js';
import { SeededRandom, SystemClock, silentLogger } from '../src/runtime/index.js';
import { StorageNode } from '../src/node/index.js';
import type { NodeTableView } from '../src/node/index.js';
import { AntiEntropyService } from '../src/anti-entropy/index.js';
import { coordinatedPut, encodeVersioned, versionsEqual } from '../src/version/index.js';
import type { Versioned } from '../src/version/index.js';
import { measureWriteCost } from './merkle-write-bench.js';
import type { WriteCost } from './merkle-write-bench.js';

export interface AntiEntropyBenchOptions {
  readonly keyCount: number;
  /** Fraction of keys that differ between the replicas. */
  readonly divergence: number;
  readonly valueBytes: number;
  readonly vnodeCount: number;
  /** Visits A leads at once. */
  readonly exchangesMax: number;
  /** Vnodes per visit (one exchange covers them all). */
  readonly vnodesPerExchange: number;
  readonly budgetSeconds: number;
  readonly outDir: string;
  readonly config: RingcacheConfig;
  readonly io: CliIo;
}

export interface AntiEntropyFigures {
  readonly keys: number;
  readonly differingKeys: number;
  readonly valueBytes: number;
  readonly vnodeCount: number;
  readonly treeDepth: number;
  readonly vnodesPerExchange: number;
  readonly transport: string;
  readonly bytesExchanged: number;
  readonly minimumBytes: number;
  readonly ratio: number;
  readonly minimumWithStatesBytes: number;
  readonly ratioWithStates: number;
  readonly bytesByKind: Readonly<Record<string, number>>;
  readonly requestsByKind: Readonly<Record<string, number>>;
  readonly repairSeconds: number;
  readonly preloadSeconds: number;
  readonly converged: boolean;
  readonly writeCost: WriteCost;
}

const encoder = new TextEncoder();

/** Passes over every vnode at most, when exchanges fail. */
const PASSES_MAX = 5;

function benchConfig(base: RingcacheConfig, options: AntiEntropyBenchOptions): RingcacheConfig {
  return loadConfig({
    file: {
      cluster: { vnodeCount: options.vnodeCount, replicaCount: 2, token: base.cluster.token },
      replication: { r: 1, w: 1 },
      storage: { bytesMax: 8 * 1024 ** 3, evictionPolicy: 'reject', tombstoneGraceMs: 30 * 86_400_000 },
      // Ticks an hour apart: the benchmark drives every exchange itself, so none overlaps.
      antiEntropy: {
        intervalMs: 3_600_000, exchangesMax: options.exchangesMax, vnodesPerExchangeMax: options.vnodesPerExchange,
        keysPerRoundMax: 1_000_000, bytesPerRoundMax: 1024 ** 3,
      },
      nodes: [{ id: 'n1', zone: 'a', port: 0, httpPort: 0 }, { id: 'n2', zone: 'b', port: 0, httpPort: 0 }],
    },
  });
}

interface Preloaded {
  readonly differing: string[];
  readonly minimumBytes: number;
  readonly minimumWithStatesBytes: number;
  readonly seconds: number;
}

/** Loads both engines; returns what the repair must at least carry. */
function preload(a: StorageNode, b: StorageNode, table: RoutingTable, options: AntiEntropyBenchOptions): Preloaded {
  const started = process.hrtime.bigint();
  const value = new Uint8Array(options.valueBytes);
  const every = Math.max(1, Math.round(1 / options.divergence));
  const differing: string[] = [];
  let minimumBytes = 0;
  let minimumWithStatesBytes = 0;
  let counter = 0;
  const write = (previous: Versioned | undefined, timestampMs: number): Versioned => coordinatedPut(previous, {
    value, context: previous?.context ?? null, dot: { actor: 'n1.bench0000', counter: ++counter }, timestampMs, expiresAtMs: null,
  });
  for (let i = 0; i < options.keyCount; i++) {
    const name = `key:${String(i).padStart(7, '0')}`;
    const key = encoder.encode(name);
    const vnode = table.vnodeOf(key);
    const base = write(undefined, 1_700_000_000_000 + i);
    if (i % every !== 0) {
      a.engine.put(key, vnode, base);
      b.engine.put(key, vnode, base);
      continue;
    }
    const newer = write(base, 1_700_000_000_000 + i + 1);
    const kind = (i / every) % 4;
    if (kind === 0) a.engine.put(key, vnode, base);
    else if (kind === 1) b.engine.put(key, vnode, base);
    else if (kind === 2) { a.engine.put(key, vnode, newer); b.engine.put(key, vnode, base); }
    else { a.engine.put(key, vnode, base); b.engine.put(key, vnode, newer); }
    const winner = kind < 2 ? base : newer;
    differing.push(name);
    minimumBytes += options.valueBytes + 8;
    minimumWithStatesBytes += key.length + encodeVersioned(winner).length + 8;
  }
  return { differing, minimumBytes, minimumWithStatesBytes, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function startPair(config: RingcacheConfig): Promise<{ a: StorageNode; b: StorageNode; table: RoutingTable }> {
  const clock = new SystemClock();
  // The nodes start before the table exists: it needs their bound ports.
  const holder: { table?: RoutingTable } = {};
  const view: NodeTableView = { current: () => holder.table, epoch: () => holder.table?.epoch ?? 0, observeEpoch: () => undefined };
  const make = (id: string, seed: number): StorageNode => new StorageNode({
    serverId: id, config, clock, random: new SeededRandom(seed), logger: silentLogger, registry: new Registry(), table: view,
    listen: { host: '127.0.0.1', port: 0, httpPort: 0 },
  });
  const a = make('n1', 1);
  const b = make('n2', 2);
  await a.start();
  await b.start();
  const placed: Table = {
    epoch: 1, vnodeCount: config.cluster.vnodeCount, replicaCount: 2,
    servers: [
      { id: 'n1', zone: 'a', capacity: 1, host: '127.0.0.1', port: a.respPort, httpPort: a.httpPort, state: 'active' },
      { id: 'n2', zone: 'b', capacity: 1, host: '127.0.0.1', port: b.respPort, httpPort: b.httpPort, state: 'active' },
    ],
    rows: Array.from({ length: config.cluster.vnodeCount }, () => ({ replicas: ['n1', 'n2'] })),
  };
  const table = new RoutingTable(placed);
  holder.table = table;
  return { a, b, table };
}

function serviceOf(node: StorageNode): AntiEntropyService {
  const service = node.core.services.find((candidate): candidate is AntiEntropyService => candidate instanceof AntiEntropyService);
  if (service === undefined) throw new Error('a storage node runs anti-entropy');
  return service;
}

/**
 * A visits every vnode with B, in groups of vnodesPerExchangeMax, exchangesMax groups at a time,
 * within the deadline. A pass with failed exchanges (a timeout on a busy machine) is followed by
 * another, as the next anti-entropy cycle would: at most PASSES_MAX, all counted in the figures.
 */
async function repairAll(service: AntiEntropyService, config: RingcacheConfig, deadlineMs: number): Promise<{ seconds: number; passes: number }> {
  const started = process.hrtime.bigint();
  const { vnodeCount } = config.cluster;
  const { exchangesMax, vnodesPerExchangeMax } = config.antiEntropy;
  let passes = 0;
  for (let failedBefore = -1; passes < PASSES_MAX && service.stats.exchangesFailed !== failedBefore && Date.now() < deadlineMs; passes++) {
    failedBefore = service.stats.exchangesFailed;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < vnodeCount && Date.now() < deadlineMs) {
        const group = Array.from({ length: Math.min(vnodesPerExchangeMax, vnodeCount - next) }, (_, i) => next + i);
        next += group.length;
        await service.visitGroupNow(group);
      }
    };
    await Promise.all(Array.from({ length: exchangesMax }, worker));
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, passes };
}

function converged(a: StorageNode, b: StorageNode, differing: readonly string[], vnodeCount: number): boolean {
  const treesA = serviceOf(a).trees;
  const treesB = serviceOf(b).trees;
  for (let vnode = 0; vnode < vnodeCount; vnode++) {
    const x = treesA.tree(vnode);
    const y = treesB.tree(vnode);
    if ((x?.hi(0, 0) ?? 0) !== (y?.hi(0, 0) ?? 0) || (x?.lo(0, 0) ?? 0) !== (y?.lo(0, 0) ?? 0)) return false;
  }
  return differing.every((name) => {
    const key = encoder.encode(name);
    const x = a.engine.get(key);
    const y = b.engine.get(key);
    return x !== undefined && y !== undefined && versionsEqual(x, y);
  });
}

export async function runAntiEntropyBench(options: AntiEntropyBenchOptions): Promise<AntiEntropyFigures> {
  const { io } = options;
  const deadlineMs = Date.now() + options.budgetSeconds * 1000;
  io.out(`bench anti-entropy: ${options.keyCount} keys, ${String(options.divergence * 100)}% differing, ${options.valueBytes}-byte values, V=${options.vnodeCount}; budget ${options.budgetSeconds}s`);
  const writeCost = measureWriteCost({ valueBytes: options.valueBytes, vnodeCount: options.vnodeCount });
  io.out(`  a write with the trees: ${writeCost.putTreesNs.toFixed(0)} ns (feed alone ${writeCost.putFeedNs.toFixed(0)}, no listener ${writeCost.putBareNs.toFixed(0)}); hash + tree update ${writeCost.hashAndToggleNs.toFixed(0)} ns`);
  const config = benchConfig(options.config, options);
  const { a, b, table } = await startPair(config);
  try {
    // Both started empty, so both are recovering: one pass over the (still empty) vnodes syncs them.
    const all = Array.from({ length: options.vnodeCount }, (_, vnode) => vnode);
    await serviceOf(a).visitGroupNow(all);
    await serviceOf(b).visitGroupNow(all);
    if (a.core.context.recovery.recovering || b.core.context.recovery.recovering) throw new Error('the two empty nodes did not leave recovering');
    serviceOf(a).stats.reset();
    const loaded = preload(a, b, table, options);
    io.out(`  preloaded ${options.keyCount} keys on each node in ${loaded.seconds.toFixed(1)} s; ${loaded.differing.length} differ`);
    const service = serviceOf(a);
    const { seconds: repairSeconds, passes } = await repairAll(service, config, deadlineMs);
    const { stats } = service;
    io.out(`  ${String(passes)} pass(es) over the vnodes: exchanges ${String(stats.exchanges)}, failed ${String(stats.exchangesFailed)}; vnode outcomes ${JSON.stringify(stats.vnodeOutcomes)}`);
    const bytesExchanged = stats.bytesSent + stats.bytesReceived;
    const figures: AntiEntropyFigures = {
      keys: options.keyCount, differingKeys: loaded.differing.length, valueBytes: options.valueBytes, vnodeCount: options.vnodeCount,
      treeDepth: service.trees.shape.depth, vnodesPerExchange: config.antiEntropy.vnodesPerExchangeMax, transport: 'two StorageNodes in one process, TcpTransport over 127.0.0.1',
      bytesExchanged, minimumBytes: loaded.minimumBytes, ratio: bytesExchanged / loaded.minimumBytes,
      minimumWithStatesBytes: loaded.minimumWithStatesBytes, ratioWithStates: bytesExchanged / loaded.minimumWithStatesBytes,
      bytesByKind: { ...stats.bytesByKind }, requestsByKind: { ...stats.requestsByKind },
      repairSeconds, preloadSeconds: loaded.seconds, converged: converged(a, b, loaded.differing, options.vnodeCount), writeCost,
    };
    report(io, figures, options.outDir);
    return figures;
  } finally {
    await a.stop();
    await b.stop();
  }
}

function report(io: CliIo, figures: AntiEntropyFigures, outDir: string): void {
  const kinds = Object.entries(figures.bytesByKind).map(([kind, bytes]) => `${kind} ${bytes} B / ${String(figures.requestsByKind[kind])} trips`).join(', ');
  io.out(`  bytes exchanged ${figures.bytesExchanged} (${kinds})`);
  io.out(`  minimum (values + 8 B per key) ${figures.minimumBytes}: ratio ${figures.ratio.toFixed(2)}`);
  io.out(`  minimum with keys and versions (+ 8 B per key) ${figures.minimumWithStatesBytes}: ratio ${figures.ratioWithStates.toFixed(2)}`);
  io.out(`  repair time ${figures.repairSeconds.toFixed(2)} s for ${figures.vnodeCount} vnodes (tree depth ${figures.treeDepth}, ${figures.vnodesPerExchange} vnodes an exchange); converged: ${String(figures.converged)}`);
  mkdirSync(outDir, { recursive: true });
  const stem = `anti-entropy-${new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}`;
  const path = join(outDir, `${stem}.json`);
  writeFileSync(path, `${JSON.stringify(figures, null, 2)}\n`);
  io.out(`  report: ${path}`);
}
