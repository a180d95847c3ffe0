import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/index.js';
import type { RingcacheConfig } from '../src/config/index.js';
import { ChildHandle, configAsJson, describeExit, freePort, LocalCluster, resolveClusterConfig } from '../src/cli/index.js';
import { SystemClock } from '../src/runtime/index.js';
import { startBaseline } from './baseline-target.js';
import type { BaselineCheckout } from './baseline-target.js';
import { startBareRedis, startTwemproxy } from './peers.js';
import type { LineSink, RespEndpoint, RunningPeer } from './peers.js';

/**
 * The targets of `ringcache bench proxy`, each started on free ports, pinned by `prefix`, and
 * stopped by PID after the run: ringcache with N=1 and with N=3 R=2 W=2 (whole local clusters,
 * the `ringcache start` machinery), bare redis, twemproxy over 3 redis, bare fastify (HTTP only).
 */
export interface BenchTarget {
  readonly name: string;
  readonly resp?: RespEndpoint & { readonly password?: string };
  readonly http?: { readonly url: string; readonly pathPrefix: string };
  /** PIDs whose CPU time is the target's (servers only, never the driver). */
  pids(): number[];
  stop(): Promise<void>;
}

export interface TargetSpec {
  readonly name: string;
  readonly description: string;
  readonly start: () => Promise<BenchTarget>;
}

const clock = new SystemClock();

/**
 * The base config with every port 0 (two clusters run side by side) and the state files in a
 * temp folder (a benchmark never reuses or leaves cluster state), N/R/W as given.
 */
export function benchClusterConfig(base: RingcacheConfig, folder: string, n: number, r: number, w: number): RingcacheConfig {
  const json = configAsJson(base) as Record<string, Record<string, unknown>> & { nodes: Record<string, unknown>[] };
  json.master = { ...json.master, port: 0, stateFile: join(folder, 'master-state.json') };
  json.proxy = { ...json.proxy, respPort: 0, httpPort: 0, tableCacheFile: join(folder, 'proxy-table.json') };
  json.nodes = json.nodes.map((node) => ({ ...node, port: 0, httpPort: 0 }));
  return loadConfig({
    file: json,
    fileName: 'bench cluster config',
    overrides: [`cluster.replicaCount=${n}`, `replication.r=${r}`, `replication.w=${w}`],
  });
}

async function startRingcache(base: RingcacheConfig, quorum: readonly [number, number, number], name: string,
  prefix: readonly string[], onLine: LineSink): Promise<BenchTarget> {
  const folder = mkdtempSync(join(tmpdir(), `ringcache-${name}-`));
  const [n, r, w] = quorum;
  const config = await resolveClusterConfig(benchClusterConfig(base, folder, n, r, w), () => freePort());
  const cluster = new LocalCluster({
    config,
    clock,
    onLine: (member, stream, line) => { onLine(`${name}/${member}`, stream, line); },
    onUnexpectedExit: (member, exit) => { onLine(name, 'stderr', `${member} exited unexpectedly (${describeExit(exit)})`); },
    startupTimeoutMs: 60_000,
    stopTimeoutMs: 5_000,
    commandPrefix: prefix,
  });
  const stop = async (): Promise<void> => {
    await cluster.stop();
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    await cluster.start();
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
  const { proxy } = config;
  return {
    name,
    resp: { host: proxy.host, port: proxy.respPort, ...(proxy.password === '' ? {} : { password: proxy.password }) },
    http: { url: `http://${proxy.host}:${proxy.httpPort}`, pathPrefix: '/v1/kv/' },
    pids: () => [...cluster.pids().values()],
    stop,
  };
}

function fromPeer(name: string, peer: RunningPeer): BenchTarget {
  return {
    name,
    resp: peer.endpoint,
    pids: () => peer.children.map((child) => child.pid).filter((pid): pid is number => pid !== undefined),
    stop: () => peer.stop(),
  };
}

async function startFastify(prefix: readonly string[], onLine: LineSink): Promise<BenchTarget> {
  const script = fileURLToPath(new URL('./fastify-target.js', import.meta.url));
  const command = [...prefix, process.execPath, script, '--port', '0'];
  const child = new ChildHandle({ name: 'fastify', file: command[0] ?? process.execPath, args: command.slice(1), onLine });
  let timer: NodeJS.Timeout | undefined;
  const ready = await Promise.race([
    child.ready,
    child.exited.then((exit) => { throw new Error(`fastify target exited (${describeExit(exit)})`); }),
    new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error('fastify target not ready within 15 s')); }, 15_000); }),
  ]).catch(async (error: unknown) => {
    await child.stop(clock, 2000);
    throw error;
  }).finally(() => { clearTimeout(timer); });
  return {
    name: 'fastify',
    http: { url: `http://127.0.0.1:${ready.httpPort ?? 0}`, pathPrefix: '/v1/kv/' },
    pids: () => (child.pid === undefined ? [] : [child.pid]),
    stop: async () => { await child.stop(clock, 5000); },
  };
}

export function targetSpecs(base: RingcacheConfig, prefix: readonly string[], onLine: LineSink, baseline?: BaselineCheckout): TargetSpec[] {
  const older: TargetSpec[] = baseline === undefined ? [] : [
    { name: 'baseline-n1', description: `ringcache at ${baseline.label} (${baseline.dir}), its own config/local.json and launcher, N=1 R=1 W=1`, start: () => startBaseline(baseline, [1, 1, 1], 'baseline-n1', prefix, onLine) },
    { name: 'baseline-n3', description: `ringcache at ${baseline.label} (${baseline.dir}), its own config/local.json and launcher, N=3 R=2 W=2`, start: () => startBaseline(baseline, [3, 2, 2], 'baseline-n3', prefix, onLine) },
  ];
  return [
    ...older,
    { name: 'ringcache-n1', description: 'ringcache proxy + 5 nodes + master, N=1 R=1 W=1 (routing cost without replication)', start: () => startRingcache(base, [1, 1, 1], 'ringcache-n1', prefix, onLine) },
    { name: 'ringcache-n3', description: 'ringcache proxy + 5 nodes + master, N=3 R=2 W=2 (the default quorums)', start: () => startRingcache(base, [3, 2, 2], 'ringcache-n3', prefix, onLine) },
    { name: 'redis', description: "bare redis-server (--save '' --appendonly no)", start: async () => fromPeer('redis', await startBareRedis(prefix, onLine)) },
    { name: 'twemproxy', description: 'twemproxy (nutcracker) over 3 redis-servers, ketama fnv1a_64, as BENCHMARKS.md', start: async () => fromPeer('twemproxy', await startTwemproxy(prefix, onLine)) },
    { name: 'fastify', description: 'bare fastify 5 answering GET /v1/kv/:key with a 100-byte value (HTTP baseline)', start: () => startFastify(prefix, onLine) },
  ];
}
