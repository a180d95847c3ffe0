/**
 * `ringcache bench load-cost`: what the load reports cost the proxy's hot path (DESIGN.md
 * section 6). Two figures:
 *
 *   counter   LoadCounter alone: one onRequest and N=3 onSend per request, in a tight loop, ns/op
 *   proxy     GET and SET through ProxyRespHandler over the in-process cluster (direct transport,
 *             N=3, R=W=2, pipeline 16, 100,000 keys), without and with the counter, alternating
 *             A/B for `rounds` rounds: the median CPU time per command of each, and the difference
 *
 * CPU time (process.cpuUsage) rather than ops/s: on a shared host it moves much less.
 */
import { performance } from 'node:perf_hooks';
import type { CliIo } from '../src/cli/index.js';
import { LoadCounter } from '../src/load/index.js';
import { ProxyRespHandler } from '../src/proxy/index.js';
import { InProcessCluster } from '../test/helpers/in-process-cluster.js';
import { FakeConnection } from '../test/helpers/resp-driver.js';

export interface LoadCostOptions {
  readonly rounds: number;
  readonly runSeconds: number;
  readonly io: CliIo;
}

export interface LoadCostFigures {
  readonly counterNsPerRequest: number;
  readonly proxy: readonly { readonly command: 'GET' | 'SET'; readonly withoutUsPerOp: number; readonly withUsPerOp: number; readonly costNsPerOp: number }[];
}

const KEY_COUNT = 100_000;
const PIPELINE = 16;
const CONNECTIONS = 50;
const VALUE = Buffer.from('xyz');
const keys = Array.from({ length: KEY_COUNT }, (_, i) => Buffer.from(`key:${String(i).padStart(12, '0')}`));

export async function runLoadCostBench(options: LoadCostOptions): Promise<LoadCostFigures> {
  const counterNsPerRequest = counterCost();
  options.io.out(`load-cost: LoadCounter alone, onRequest + 3 x onSend: ${counterNsPerRequest.toFixed(1)} ns per request`);
  const proxy = [];
  for (const command of ['GET', 'SET'] as const) {
    // One cluster, two coordinators over it (one counting): both see the same data and heap.
    const cluster = new InProcessCluster({ servers: 5, replicaCount: 3, vnodeCount: 1024, transport: 'direct', replication: REPLICATION });
    const plain = new ProxyRespHandler(cluster.proxyDeps());
    const counted = new ProxyRespHandler(cluster.proxyDeps({ coordinator: cluster.newCoordinator('counted', REPLICATION, undefined, new LoadCounter(1024)) }));
    await fill(plain);
    await drive(plain, command, Math.min(1, options.runSeconds / 2));
    await drive(counted, command, Math.min(1, options.runSeconds / 2));
    const without: number[] = [];
    const withCounter: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      // A then B, B then A: neither always runs on a warmer JIT or a quieter host.
      const order = round % 2 === 0 ? [plain, counted] : [counted, plain];
      for (const handler of order) (handler === counted ? withCounter : without).push(await drive(handler, command, options.runSeconds));
    }
    await cluster.stop();
    const a = median(without);
    const b = median(withCounter);
    proxy.push({ command, withoutUsPerOp: a, withUsPerOp: b, costNsPerOp: (b - a) * 1000 });
    options.io.out(`load-cost: proxy ${command} (N=3, pipeline ${PIPELINE}): ${a.toFixed(3)} us/op without, ${b.toFixed(3)} us/op with load counting: ${((b - a) * 1000).toFixed(0)} ns/op (median of ${options.rounds})`);
  }
  const figures = { counterNsPerRequest, proxy };
  options.io.out(JSON.stringify(figures));
  return figures;
}

const REPLICATION = { requestTimeoutMs: 5000, speculativeRetryMs: 1000 };

async function fill(handler: ProxyRespHandler): Promise<void> {
  for (let i = 0; i < KEY_COUNT; i += 1000) {
    await Promise.all(keys.slice(i, i + 1000).map((key) => Promise.resolve(handler.onCommand([Buffer.from('SET'), key, VALUE], new FakeConnection(0)))));
  }
}

function counterCost(): number {
  const counter = new LoadCounter(1024);
  const bodies = keys.slice(0, 4096).map((key, i) => ({ kind: 'read' as const, key, vnode: i % 1024 }));
  const iterations = 2_000_000;
  const run = (count: number): number => {
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const body = bodies[i & 4095] ?? bodies[0];
      if (body === undefined) break;
      counter.onRequest(body.vnode, body.key, 'read');
      counter.onSend(body);
      counter.onSend(body);
      counter.onSend(body);
      if ((i & 0xffff) === 0) counter.take();
    }
    return ((performance.now() - started) * 1e6) / count;
  };
  run(iterations / 4);
  return run(iterations);
}

/** CPU microseconds per command over `seconds` of CONNECTIONS clients at PIPELINE depth. */
async function drive(handler: ProxyRespHandler, command: 'GET' | 'SET', seconds: number): Promise<number> {
  const name = Buffer.from(command);
  const cpuBefore = process.cpuUsage();
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const client = async (id: number): Promise<void> => {
    const connection = new FakeConnection(id);
    let seed = id * 7919 + 1;
    const batch: unknown[] = new Array<unknown>(PIPELINE);
    while (performance.now() < deadline) {
      for (let p = 0; p < PIPELINE; p++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        const key = keys[seed % KEY_COUNT] ?? VALUE;
        batch[p] = handler.onCommand(command === 'SET' ? [name, key, VALUE] : [name, key], connection);
      }
      await Promise.all(batch);
      done += PIPELINE;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => client(i + 1)));
  const cpu = process.cpuUsage(cpuBefore);
  return (cpu.user + cpu.system) / done;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] ?? 0 : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
