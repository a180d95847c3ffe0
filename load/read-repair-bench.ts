/**
 * How many N=3 reads repair a replica, and what a mixed workload costs, through the proxy's RESP
 * command layer over an in-process cluster (as proxy-inprocess-bench.ts: no sockets, no codec).
 * The workload of BENCHMARKS.md: 90/10 GET/SET over 100,000 keys drawn Zipf(0.99), 3-byte values,
 * so hot keys are read while their last write's MERGEs are still on the way. Not a test: it
 * prints numbers.
 *
 *   npm run build && node dist/load/read-repair-bench.js [seconds=3] [connections=50] [pipeline=16] [runs=3]
 *
 * Transport 'sim' delivers each hop on the next turn of the event loop, so a write's background
 * MERGE is in flight while later commands run: the case read repair used to fire on.
 */
import { performance } from 'node:perf_hooks';
import { ProxyRespHandler } from '../src/proxy/index.js';
import { InProcessCluster } from '../test/helpers/in-process-cluster.js';
import { FakeConnection } from '../test/helpers/resp-driver.js';
import { ZipfKeys, keyName } from './zipf-keys.js';

const seconds = Number(process.argv[2] ?? 3);
const connections = Number(process.argv[3] ?? 50);
const pipeline = Number(process.argv[4] ?? 16);
const runs = Number(process.argv[5] ?? 3);
const KEY_COUNT = 100_000;
const GET_RATIO = 0.9;
const VALUE = Buffer.from('xyz');
const SET = Buffer.from('SET');
const GET = Buffer.from('GET');
/** Bounds a run in commands as well as in time. */
const COMMANDS_MAX = 50_000_000;

interface RunFigures {
  readonly opsPerSec: number;
  readonly reads: number;
  readonly repairs: number;
}

const keys = Array.from({ length: KEY_COUNT }, (_, i) => Buffer.from(keyName(i)));

async function run(seed: number): Promise<RunFigures> {
  const cluster = new InProcessCluster({
    servers: 5, replicaCount: 3, vnodeCount: 1024, transport: 'sim',
    replication: { requestTimeoutMs: 5000, speculativeRetryMs: 1000 },
  });
  const handler = new ProxyRespHandler(cluster.proxyDeps());
  for (let i = 0; i < KEY_COUNT; i += 1000) {
    await Promise.all(keys.slice(i, i + 1000).map((key) => Promise.resolve(handler.onCommand([SET, key, VALUE], new FakeConnection(0)))));
  }
  const stats = cluster.coordinator.stats;
  const readsBefore = stats.reads;
  const repairsBefore = stats.readRepairs;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let done = 0;
  const client = async (id: number): Promise<void> => {
    const connection = new FakeConnection(id);
    const draw = new ZipfKeys({ keyCount: KEY_COUNT, seed: seed * 1000 + id });
    const batch: unknown[] = new Array<unknown>(pipeline);
    while (performance.now() < deadline && done < COMMANDS_MAX) {
      for (let p = 0; p < pipeline; p++) {
        const key = keys[draw.nextIndex()] as Buffer;
        batch[p] = handler.onCommand(draw.nextFraction() < GET_RATIO ? [GET, key] : [SET, key, VALUE], connection);
      }
      await Promise.all(batch);
      done += pipeline;
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, i) => client(i + 1)));
  const elapsedS = (performance.now() - started) / 1000;
  // Let the last rounds' background MERGEs and repairs land before counting.
  await new Promise((resolve) => { setTimeout(resolve, 50); });
  await cluster.stop();
  return { opsPerSec: done / elapsedS, reads: stats.reads - readsBefore, repairs: stats.readRepairs - repairsBefore };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] as number : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function main(): Promise<void> {
  console.log(`read repair bench: N=3 R=2 W=2, ${String(connections)} connections, pipeline ${String(pipeline)}, 90/10 GET/SET, ` +
    `${String(KEY_COUNT)} keys Zipf(0.99), ${String(seconds)} s x ${String(runs)} runs (node ${process.version})`);
  console.log('| run | ops/s | reads | repairs | repairs per read |');
  console.log('|---|---:|---:|---:|---:|');
  const rates: number[] = [];
  const throughputs: number[] = [];
  for (let i = 1; i <= runs; i++) {
    const figures = await run(i);
    const rate = figures.reads === 0 ? 0 : figures.repairs / figures.reads;
    rates.push(rate);
    throughputs.push(figures.opsPerSec);
    console.log(`| ${String(i)} | ${Math.round(figures.opsPerSec).toLocaleString('en-US')} | ${String(figures.reads)} | ${String(figures.repairs)} | ${(rate * 100).toFixed(2)}% |`);
  }
  console.log(`| median | ${Math.round(median(throughputs)).toLocaleString('en-US')} | | | ${(median(rates) * 100).toFixed(2)}% |`);
}

await main();
