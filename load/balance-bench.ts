/**
 * `ringcache bench balance [--keys K] [--json]`: how evenly each placement spreads a Zipf load
 * over the servers (DESIGN.md section 6; issue figures: <= 1.05 after rebalancing when the
 * hottest key is below a server's mean load, <= 1.10 with the hot-key cache when it is not,
 * <= 5% of keys moved a round, a join moving <= 1.05 x the ideal K/(S+1)).
 *
 *   keys: "key:<rank>", rank r drawn with weight 1 / r^s (s = 0.9, 0.99, 1.2), K = 1,000,000
 *   model: 90% reads at R=2, 10% writes, N=3: a key of weight w costs each replica
 *          w (0.9 x 2/3 + 0.1) and its first replica 0.1 w x 0.5 more (COORDINATION_COST)
 *   servers: S = 5, 8, 32, capacity 1, one zone each (so no zone rule forces a server into every row)
 *
 *   ketama        160 points per server                      (balance-models.ts)
 *   boundedLoads  consistent hashing with bounded loads, epsilon 0.25
 *   before        ringcache's table as placed (V vnodes, evened replica counts)
 *   after         the planner on the modeled loads, a budget of 5% of the stored bytes (K x N copies)
 *   withCache     the same, after a near cache of S ln S x 8 keys at the proxies absorbs the reads
 *                 of the hottest keys (modeled: those keys' reads cost the servers nothing)
 *
 *   withCacheFloor  the lowest max/mean any placement can reach with the cache: the hottest
 *                 key's remaining load (its writes on every replica, its coordination on its
 *                 leader) sits on one server whatever the table, over the mean the cache leaves
 *
 * Then the real local cluster under a Zipf load through the proxy (balance-cluster.ts), unless
 * --no-cluster: the same before / after / with-cache figures measured from the nodes.
 */
import type { CliIo } from '../src/cli/index.js';
import type { RingcacheConfig } from '../src/config/index.js';
import type { ServerInfo, Table } from '../src/ring/index.js';
import { movedReplicas, placeTable } from '../shard-master/index.js';
import { COORDINATION_COST } from '../shard-master/load/vnode-loads.js';
import { planRebalance } from '../shard-master/rebalance/planner.js';
import type { Plan } from '../shard-master/rebalance/planner.js';
import { boundedLoads, hash32, ketamaLoads, ratio } from './balance-models.js';
import type { KeyLoads, KeySet } from './balance-models.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runClusterBalance } from './balance-cluster.js';
import type { ClusterBalanceRun } from './balance-cluster.js';

export interface BalanceOptions {
  readonly keyCount: number;
  readonly json: boolean;
  readonly config: RingcacheConfig;
  readonly io: CliIo;
  /** The real-cluster rows: Zipf exponents, keys and the measuring window; undefined: none (--no-cluster). */
  readonly cluster?: { readonly zipfs: readonly number[]; readonly keyCount: number; readonly windowMs: number };
}

/** The real-cluster row: node-measured; ketama and bounded loads are not placements the cluster can run. */
export interface ClusterBalanceRow {
  readonly kind: 'cluster';
  readonly zipf: number;
  readonly servers: number;
  readonly keys: number;
  readonly maxOverMean: { readonly ketama: null; readonly boundedLoads: null; readonly before: number; readonly after: number; readonly withCache: number };
  /** Vnodes moved over V x N (vnodes hold the same number of keys in expectation). */
  readonly movedFraction: number;
  readonly withoutCache: ClusterBalanceRun;
  readonly withCacheRun: ClusterBalanceRun;
}

export interface BalanceRow {
  readonly kind: 'model';
  readonly zipf: number;
  readonly servers: number;
  readonly maxOverMean: { readonly ketama: number; readonly boundedLoads: number; readonly before: number; readonly after: number; readonly withCache: number };
  /** Key copies the plan moves over all K x N copies stored. */
  readonly movedFraction: number;
  /** The same copies over K (the stricter reading: as if each key were stored once). */
  readonly movedOverKeys: number;
  readonly vnodesMoved: number;
  readonly bytesMoved: number;
  readonly leaderChanges: number;
  /** The hottest key's load on one replica over a server's mean load: above 1, no move can fix it. */
  readonly hottestKeyOverServerMean: number;
  readonly cacheKeys: number;
  /** The cache alone, before the planner. */
  readonly withCacheBefore: number;
  readonly withCacheMovedFraction: number;
  /** No placement gets below this with the cache: the hottest key's writes and coordination on one server, over the cached mean. */
  readonly withCacheFloor: number;
}

const ZIPF = [0.9, 0.99, 1.2] as const;
const SERVER_COUNTS = [5, 8, 32] as const;
const REPLICAS = 3;
const READ_SHARE = 0.9;
const R = 2;
const VALUE_BYTES = 100;
const BUDGET_SHARE = 0.05;
const TOLERANCE = 0.02;
const EPSILON = 0.25;
const CACHE_FACTOR = 8;

export async function runBalanceBench(options: BalanceOptions): Promise<{ rows: (BalanceRow | ClusterBalanceRow)[]; addServerMovedOverIdeal: number }> {
  const { io } = options;
  const vnodeCount = options.config.cluster.vnodeCount;
  io.out(`balance: ${options.keyCount.toLocaleString('en-US')} keys, N=${REPLICAS}, V=${vnodeCount}, 90% reads at R=${R}; hashing the keys...`);
  const keys = hashKeys(options.keyCount);
  const shift = 32 - Math.log2(vnodeCount);
  const vnodes = Uint32Array.from(keys.hashes, (hash) => (shift >= 32 ? 0 : hash >>> shift));
  const rows: BalanceRow[] = [];
  for (const zipf of ZIPF) {
    const loads = keyLoads(options.keyCount, zipf, 0);
    for (const servers of SERVER_COUNTS) {
      rows.push(measureRow({ zipf, servers, keys, vnodes, vnodeCount, loads, keyCount: options.keyCount }));
      await Promise.resolve();
    }
  }
  const joins = SERVER_COUNTS.map((servers) => joinMovedOverIdeal(servers, vnodeCount));
  const addServerMovedOverIdeal = Math.max(...joins);
  for (const line of renderRows(rows, joins)) io.out(line);
  const clusterRows: ClusterBalanceRow[] = [];
  for (const zipf of options.cluster?.zipfs ?? []) {
    const settings = { zipf, keyCount: options.cluster?.keyCount ?? 100_000, windowMs: options.cluster?.windowMs ?? 5_000, config: options.config, io };
    io.out(`balance: the real cluster (6 nodes, 2 a zone, N=3), Zipf ${zipf} over ${settings.keyCount.toLocaleString('en-US')} keys through the proxy, near cache off then on...`);
    const folder = mkdtempSync(join(tmpdir(), 'ringcache-balance-'));
    try {
      const off = await runClusterBalance(settings, false, join(folder, 'off'));
      const on = await runClusterBalance(settings, true, join(folder, 'on'));
      clusterRows.push({
        kind: 'cluster', zipf, servers: 6, keys: settings.keyCount,
        maxOverMean: { ketama: null, boundedLoads: null, before: off.before, after: off.after, withCache: on.after },
        movedFraction: off.moves / (vnodeCount * REPLICAS), withoutCache: off, withCacheRun: on,
      });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }
  for (const line of renderClusterRows(clusterRows)) io.out(line);
  const all = [...rows, ...clusterRows];
  if (options.json) io.out(JSON.stringify({ keys: options.keyCount, vnodeCount, replicaCount: REPLICAS, rows: all, addServerMovedOverIdeal }));
  return { rows: all, addServerMovedOverIdeal };
}

function renderClusterRows(rows: readonly ClusterBalanceRow[]): string[] {
  if (rows.length === 0) return [];
  const f = (value: number): string => value.toFixed(3);
  const lines = [
    '| real cluster: zipf | S | before | after | moves (leader changes) | cache: before | cache: after | cache: moves | node ops/s off / on | master model before -> after (off) | client errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const off = row.withoutCache;
    const on = row.withCacheRun;
    lines.push(`| ${row.zipf} | ${row.servers} | ${f(off.before)} | ${f(off.after)} | ${off.moves} (${off.leaderChanges}) | ${f(on.before)} | ${f(on.after)} | ${on.moves} (${on.leaderChanges}) | ` +
      `${off.nodeOpsPerSecAfter.toFixed(0)} / ${on.nodeOpsPerSecAfter.toFixed(0)} | ${f(off.masterBefore)} -> ${f(off.masterAfter)} | ${off.errors + on.errors} |`);
  }
  for (const row of rows) {
    for (const [label, run] of [['cache off', row.withoutCache], ['cache on', row.withCacheRun]] as const) {
      const kinds = Object.entries(run.errorKinds).map(([kind, count]) => `${String(count)} x "${kind}"`);
      if (kinds.length > 0) lines.push('', `client errors, zipf ${String(row.zipf)}, ${label}: ${kinds.join(', ')}`);
    }
  }
  return lines;
}

function hashKeys(count: number): KeySet {
  const hashes = new Uint32Array(count);
  for (let rank = 0; rank < count; rank++) hashes[rank] = hash32(Buffer.from(`key:${rank}`));
  return { hashes };
}

/** Per-key loads for Zipf exponent s; the `cached` hottest keys have their reads absorbed. */
function keyLoads(count: number, s: number, cached: number): KeyLoads {
  const replica = new Float64Array(count);
  const leader = new Float64Array(count);
  let total = 0;
  for (let rank = 0; rank < count; rank++) total += (rank + 1) ** -s;
  for (let rank = 0; rank < count; rank++) {
    const weight = (rank + 1) ** -s / total;
    const reads = rank < cached ? 0 : READ_SHARE * R / REPLICAS;
    replica[rank] = weight * (reads + (1 - READ_SHARE));
    leader[rank] = weight * (1 - READ_SHARE) * COORDINATION_COST;
  }
  return { replica, leader };
}

interface RowInput {
  readonly zipf: number;
  readonly servers: number;
  readonly keys: KeySet;
  readonly vnodes: Uint32Array;
  readonly vnodeCount: number;
  readonly loads: KeyLoads;
  readonly keyCount: number;
}

function measureRow(input: RowInput): BalanceRow {
  const { zipf, servers, keys, vnodes, vnodeCount, loads, keyCount } = input;
  const table = placeTable({ servers: serverList(servers), vnodeCount, replicaCount: REPLICAS, epoch: 1 });
  const keysPerVnode = new Float64Array(vnodeCount);
  for (const vnode of vnodes) keysPerVnode[vnode] = (keysPerVnode[vnode] ?? 0) + 1;
  const storedBytes = keysPerVnode.map((k) => k * VALUE_BYTES);
  const budget = BUDGET_SHARE * keyCount * REPLICAS * VALUE_BYTES;
  const plan = planOn(table, vnodeSums(vnodes, vnodeCount, loads), storedBytes, budget);
  const cacheKeys = Math.ceil(servers * Math.log(servers) * CACHE_FACTOR);
  const cached = keyLoads(keyCount, zipf, cacheKeys);
  const cachedPlan = planOn(table, vnodeSums(vnodes, vnodeCount, cached), storedBytes, budget);
  const meanServerLoad = totalOf(loads) / servers;
  // The hottest key's load with the cache (rank 0 is always cached: its reads are gone) sits on
  // its leader whatever the table; the cache also lowers the mean it is compared with.
  const withCacheFloor = Math.max(1, ((cached.replica[0] ?? 0) + (cached.leader[0] ?? 0)) / (totalOf(cached) / servers));
  const movedKeys = (p: Plan): number => p.moves.reduce((sum, move) => sum + (keysPerVnode[move.vnode] ?? 0), 0);
  return {
    kind: 'model', zipf, servers,
    maxOverMean: {
      ketama: ratio(ketamaLoads(keys, loads, servers, REPLICAS)),
      boundedLoads: ratio(boundedLoads(keys, loads, servers, REPLICAS, EPSILON)),
      before: plan.before.maxOverMean,
      after: plan.after.maxOverMean,
      withCache: cachedPlan.after.maxOverMean,
    },
    movedFraction: movedKeys(plan) / (keyCount * REPLICAS),
    movedOverKeys: movedKeys(plan) / keyCount,
    vnodesMoved: plan.moves.length,
    bytesMoved: plan.bytesToMove,
    leaderChanges: plan.leaderChanges.length,
    hottestKeyOverServerMean: ((loads.replica[0] ?? 0) + (loads.leader[0] ?? 0)) / meanServerLoad,
    cacheKeys,
    withCacheBefore: cachedPlan.before.maxOverMean,
    withCacheMovedFraction: movedKeys(cachedPlan) / (keyCount * REPLICAS),
    withCacheFloor,
  };
}

function planOn(table: Table, sums: { replicaOps: Float64Array; leaderOps: Float64Array }, storedBytes: Float64Array, budget: number): Plan {
  return planRebalance({ table, loads: { ...sums, storedBytes }, moveBudgetBytes: budget, imbalanceTolerance: TOLERANCE });
}

function vnodeSums(vnodes: Uint32Array, vnodeCount: number, loads: KeyLoads): { replicaOps: Float64Array; leaderOps: Float64Array } {
  const replicaOps = new Float64Array(vnodeCount);
  const leaderOps = new Float64Array(vnodeCount);
  vnodes.forEach((vnode, key) => {
    replicaOps[vnode] = (replicaOps[vnode] ?? 0) + (loads.replica[key] ?? 0);
    leaderOps[vnode] = (leaderOps[vnode] ?? 0) + (loads.leader[key] ?? 0);
  });
  return { replicaOps, leaderOps };
}

function totalOf(loads: KeyLoads): number {
  let total = 0;
  for (let key = 0; key < loads.replica.length; key++) total += REPLICAS * (loads.replica[key] ?? 0) + (loads.leader[key] ?? 0);
  return total;
}

function serverList(count: number): ServerInfo[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `n${index + 1}`, zone: `z${index + 1}`, capacity: 1, host: '127.0.0.1', port: 0, httpPort: 0, state: 'active' as const,
  }));
}

/** Replicas a join copies over the ideal V x N / (S + 1). */
function joinMovedOverIdeal(servers: number, vnodeCount: number): number {
  const before = placeTable({ servers: serverList(servers), vnodeCount, replicaCount: REPLICAS, epoch: 1 });
  const after = placeTable({ servers: serverList(servers + 1), vnodeCount, replicaCount: REPLICAS, epoch: 2, previous: before });
  return movedReplicas(before, after) / (vnodeCount * REPLICAS / (servers + 1));
}

function renderRows(rows: readonly BalanceRow[], joins: readonly number[]): string[] {
  const f = (value: number): string => value.toFixed(3);
  const lines = [
    '| zipf | S | ketama | bounded 0.25 | before | after | cache alone | cache + planner | floor with cache | copies moved (/K) | vnodes moved | leader changes | hottest key / mean |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const m = row.maxOverMean;
    lines.push(`| ${row.zipf} | ${row.servers} | ${f(m.ketama)} | ${f(m.boundedLoads)} | ${f(m.before)} | ${f(m.after)} | ${f(row.withCacheBefore)} | ${f(m.withCache)} | ${f(row.withCacheFloor)} | ${(row.movedFraction * 100).toFixed(2)}% (${(row.movedOverKeys * 100).toFixed(2)}%) | ${row.vnodesMoved} | ${row.leaderChanges} | ${f(row.hottestKeyOverServerMean)} |`);
  }
  lines.push(`adding a server moves ${joins.map((value, i) => `${f(value)} (S=${SERVER_COUNTS[i] ?? 0}->${(SERVER_COUNTS[i] ?? 0) + 1})`).join(', ')} x the ideal V*N/(S+1)`);
  return lines;
}
