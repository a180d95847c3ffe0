/**
 * Coordinator -> TcpTransport -> StorageNode on loopback, N=1 reads: ops/s and CPU per op of the
 * coordinator's process, for each RESP client (ioredis, lean) and several concurrencies. Not a
 * timed test: it prints a table to compare clients measured in the same run.
 *
 *   npm run build && taskset -c 1 node dist/test/integration/internode-bench.js [seconds] [rounds] [client] [concurrency]
 *
 * The node runs in a child process pinned to cpu 0 (when taskset exists), so the coordinator's
 * CPU is measured alone with process.cpuUsage(); the node reports its own CPU over IPC.
 */
import { fork, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { SeededRandom, SystemClock, silentLogger } from '../src/runtime/index.js';
import { loadConfig } from '../src/config/index.js';
import { RoutingTable } from '../src/ring/index.js';
import { StorageNode } from '../src/node/index.js';
import { TcpTransport } from '../src/transport/index.js';
import type { TcpClientKind } from '../src/transport/index.js';
import { Coordinator, fixedTableView } from '../src/replication/index.js';

const VNODES = 1024;
const KEYS = 10_000;
const clock = new SystemClock();
const config = loadConfig({
  file: { cluster: { vnodeCount: VNODES, replicaCount: 1 }, replication: { r: 1, w: 1 }, nodes: [{ id: 'n1', port: 0, httpPort: 0 }] },
});

type FromNode = { kind: 'ready'; port: number } | { kind: 'cpu'; micros: number };

async function runNode(): Promise<void> {
  const node = new StorageNode({
    serverId: 'n1', config, clock, random: new SeededRandom(1), logger: silentLogger, registry: new Registry(),
    table: { current: () => undefined, epoch: () => 1, observeEpoch: () => undefined },
  });
  await node.start();
  const send = (message: FromNode): void => { process.send?.(message); };
  process.on('message', (message: string) => {
    if (message === 'cpu') {
      const usage = process.cpuUsage();
      send({ kind: 'cpu', micros: usage.user + usage.system });
    } else if (message === 'stop') {
      void node.stop().then(() => process.exit(0));
    }
  });
  send({ kind: 'ready', port: node.respPort });
}

function ask(child: ChildProcess, message: string): Promise<FromNode> {
  return new Promise((resolve) => {
    child.once('message', (reply: FromNode) => { resolve(reply); });
    child.send(message);
  });
}

interface Sample { client: TcpClientKind; concurrency: number; opsPerSecond: number; clientMicrosPerOp: number; nodeMicrosPerOp: number }

async function measure(child: ChildProcess, port: number, client: TcpClientKind, concurrency: number, seconds: number): Promise<Sample> {
  const transport = new TcpTransport({ resolve: () => ({ host: '127.0.0.1', port }), clock, options: { client } });
  const table = new RoutingTable({
    epoch: 1, vnodeCount: VNODES, replicaCount: 1,
    servers: [{ id: 'n1', zone: 'a', capacity: 1, host: '127.0.0.1', port, httpPort: 0, state: 'active' }],
    rows: Array.from({ length: VNODES }, () => ({ replicas: ['n1'] })),
  });
  const coordinator = new Coordinator({ name: 'bench', transport, clock, random: new SeededRandom(3), table: fixedTableView(table), options: { r: 1, w: 1 } });
  const keys = Array.from({ length: KEYS }, (_, i) => Buffer.from(`key:${String(i).padStart(8, '0')}`));
  for (let i = 0; i < KEYS; i += 500) await Promise.all(keys.slice(i, i + 500).map((key) => coordinator.put(key, Buffer.from('abc'))));
  const random = new SeededRandom(concurrency);
  let ops = 0;
  let running = true;
  const worker = async (): Promise<void> => {
    while (running) {
      await coordinator.get(keys[random.int(KEYS)]!);
      ops++;
    }
  };
  // Warm-up, then the measured window.
  const warm = Array.from({ length: concurrency }, worker);
  await clock.sleep(500);
  const opsStart = ops;
  const nodeStart = await ask(child, 'cpu');
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  await clock.sleep(seconds * 1000);
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = performance.now() - wallStart;
  const nodeEnd = await ask(child, 'cpu');
  const measured = ops - opsStart;
  running = false;
  await Promise.all(warm);
  await transport.close();
  const nodeMicros = (nodeEnd.kind === 'cpu' ? nodeEnd.micros : 0) - (nodeStart.kind === 'cpu' ? nodeStart.micros : 0);
  return {
    client, concurrency,
    opsPerSecond: Math.round(measured / (wallMs / 1000)),
    clientMicrosPerOp: Number(((cpu.user + cpu.system) / measured).toFixed(2)),
    nodeMicrosPerOp: Number((nodeMicros / measured).toFixed(2)),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const CLIENTS = process.argv[4] === undefined ? ['ioredis', 'lean'] as const : [process.argv[4] as TcpClientKind];
const CONCURRENCIES = process.argv[5] === undefined ? [1, 16, 64, 256] : [Number(process.argv[5])];

async function runBench(seconds: number, rounds: number): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const pin = spawnSync('taskset', ['--version']).status === 0;
  const child = fork(self, ['node'], pin ? { execPath: 'taskset', execArgv: ['-c', '0', process.execPath] } : {});
  const ready = await new Promise<FromNode>((resolve) => child.once('message', resolve));
  const port = ready.kind === 'ready' ? ready.port : 0;
  const samples: Sample[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const concurrency of CONCURRENCIES) {
      // Alternate the clients within a round: the host drifts (BENCHMARKS.md).
      for (const client of round % 2 === 0 ? CLIENTS : [...CLIENTS].reverse()) {
        samples.push(await measure(child, port, client, concurrency, seconds));
      }
    }
  }
  child.send('stop');
  console.log(`| client | concurrency | ops/s | coordinator CPU us/op | node CPU us/op |  (median of ${rounds} x ${seconds}s, node pinned: ${pin})`);
  console.log('|---|---|---|---|---|');
  for (const concurrency of CONCURRENCIES) {
    for (const client of CLIENTS) {
      const mine = samples.filter((sample) => sample.client === client && sample.concurrency === concurrency);
      console.log(`| ${client} | ${concurrency} | ${median(mine.map((s) => s.opsPerSecond))} | ${median(mine.map((s) => s.clientMicrosPerOp))} | ${median(mine.map((s) => s.nodeMicrosPerOp))} |`);
    }
  }
}

if (process.argv[2] === 'node') await runNode();
else await runBench(Number(process.argv[2] ?? 3), Number(process.argv[3] ?? 3));
