/**
 * Micro-benchmark of the proxy's RESP command layer: GET, SET, INCR, HSET, SADD and ZADD through ProxyRespHandler over an
 * in-process cluster (NodeService + MemoryEngine per server, the real Coordinator), no sockets and
 * no RESP codec. It is the baseline the end-to-end bench (`ringcache bench`) is compared with: what
 * the proxy and the coordinator cost per command before any network. Not a test: it prints numbers.
 *
 *   npm run build && node dist/load/proxy-inprocess-bench.js [secondsPerCase=2] [connections=50] [only]
 *
 * `only` keeps the cases whose name ("direct/N=1/P=1/GET") contains it, e.g. for profiling.
 *
 * Cases: N=1 (one replica: the twemproxy-like shape of BENCHMARKS.md) and N=3 (R=W=2), no
 * pipelining and a 16-deep pipeline, 100,000 random keys, 3-byte values, as redis-benchmark runs.
 * Transport 'direct': a node answers in the same turn (a resolved promise), so the figure is CPU
 * cost; 'sim' adds the simulated network's turn per hop. Besides ops/s it prints the process's CPU
 * time per command (user + system, process.cpuUsage): on a shared host that figure moves much less
 * than ops/s, which also counts the time other processes held the core.
 */
import { performance } from 'node:perf_hooks';
import { ProxyRespHandler } from '../src/proxy/index.js';
import { InProcessCluster } from '../test/helpers/in-process-cluster.js';
import { FakeConnection } from '../test/helpers/resp-driver.js';

const secondsPerCase = Number(process.argv[2] ?? 2);
const connections = Number(process.argv[3] ?? 50);
const only = process.argv[4] ?? '';
const KEY_COUNT = 100_000;
const VALUE = Buffer.from('xyz');
const SET = Buffer.from('SET');
const GET = Buffer.from('GET');
const FIELD = Buffer.from('f');
const SCORE = Buffer.from('1');

/** The commands measured; the typed ones write keys of their own (`incr:...`), never the preloaded strings. */
const COMMANDS = ['SET', 'GET', 'INCR', 'HSET', 'SADD', 'ZADD'] as const;
type BenchCommand = typeof COMMANDS[number];

interface Case {
  readonly transport: 'direct' | 'sim';
  readonly replicaCount: number;
  readonly pipeline: number;
  readonly command: BenchCommand;
}

const keys = Array.from({ length: KEY_COUNT }, (_, i) => Buffer.from(`key:${String(i).padStart(12, '0')}`));
/** Per typed command its own keys of the same length, so a WRONGTYPE never enters the figure. */
const typedKeys = new Map<BenchCommand, Buffer[]>(COMMANDS.filter((command) => command !== 'SET' && command !== 'GET')
  .map((command) => [command, keys.map((key) => Buffer.concat([Buffer.from(command.toLowerCase().slice(0, 3)), key.subarray(3)]))]));

/** The arguments of one `command` on key number `index` (redis-benchmark's shapes, one field or member). */
function commandArgs(command: BenchCommand, index: number): Buffer[] {
  if (command === 'SET') return [SET, keys[index]!, VALUE];
  if (command === 'GET') return [GET, keys[index]!];
  const key = typedKeys.get(command)![index]!;
  const name = Buffer.from(command);
  if (command === 'INCR') return [name, key];
  if (command === 'HSET') return [name, key, FIELD, VALUE];
  if (command === 'SADD') return [name, key, VALUE];
  return [name, key, SCORE, VALUE];
}

interface Figures {
  readonly opsPerSec: number;
  readonly cpuUsPerOp: number;
}

/** Runs `connections` clients, each sending `pipeline` commands and awaiting their replies, for `seconds`. */
async function drive(handler: ProxyRespHandler, command: BenchCommand, pipeline: number, seconds: number): Promise<Figures> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let done = 0;
  const client = async (id: number): Promise<void> => {
    const connection = new FakeConnection(id);
    // A per-client LCG: random keys without Math.random's cost in the measured loop.
    let seed = id * 7919 + 1;
    const batch: unknown[] = new Array<unknown>(pipeline);
    while (performance.now() < deadline) {
      for (let p = 0; p < pipeline; p++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        batch[p] = handler.onCommand(commandArgs(command, seed % KEY_COUNT), connection);
      }
      await Promise.all(batch);
      done += pipeline;
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, i) => client(i + 1)));
  const elapsedS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { opsPerSec: done / elapsedS, cpuUsPerOp: (cpu.user + cpu.system) / done };
}

async function runCase(benchCase: Case): Promise<Figures> {
  const cluster = new InProcessCluster({
    servers: benchCase.replicaCount === 1 ? 3 : 5,
    replicaCount: benchCase.replicaCount,
    vnodeCount: 1024,
    transport: benchCase.transport,
    replication: { requestTimeoutMs: 5000, speculativeRetryMs: 1000 },
  });
  const handler = new ProxyRespHandler(cluster.proxyDeps());
  // Fill every key once (so GETs hit, and every command updates a key that exists, as SET does
  // over the preloaded strings), then warm up the JIT on the measured command.
  const fill = benchCase.command === 'GET' ? 'SET' : benchCase.command;
  for (let i = 0; i < KEY_COUNT; i += 1000) {
    const batch = Array.from({ length: 1000 }, (_, j) => Promise.resolve(handler.onCommand(commandArgs(fill, i + j), new FakeConnection(0))));
    await Promise.all(batch);
  }
  await drive(handler, benchCase.command, benchCase.pipeline, Math.min(1, secondsPerCase / 2));
  const figures = await drive(handler, benchCase.command, benchCase.pipeline, secondsPerCase);
  // The nodes' services hold timers: stopped, the case's cluster is garbage before the next one.
  await cluster.stop();
  return figures;
}

async function main(): Promise<void> {
  const cases: Case[] = [];
  for (const transport of ['direct', 'sim'] as const) {
    for (const replicaCount of [1, 3]) {
      for (const pipeline of [1, 16]) {
        for (const command of COMMANDS) {
          if (`${transport}/N=${String(replicaCount)}/P=${String(pipeline)}/${command}`.includes(only)) cases.push({ transport, replicaCount, pipeline, command });
        }
      }
    }
  }
  console.log(`proxy in-process bench: ${String(connections)} connections, ${String(KEY_COUNT)} random keys, 3-byte values, ${String(secondsPerCase)} s per case (node ${process.version})`);
  console.log('| transport | N | pipeline | command | ops/s | CPU us/op |');
  console.log('|---|---|---|---|---|---|');
  for (const benchCase of cases) {
    const { opsPerSec, cpuUsPerOp } = await runCase(benchCase);
    console.log(`| ${benchCase.transport} | ${String(benchCase.replicaCount)} | ${String(benchCase.pipeline)} | ${benchCase.command} | ${Math.round(opsPerSec).toLocaleString('en-US')} | ${cpuUsPerOp.toFixed(2)} |`);
  }
}

await main();
