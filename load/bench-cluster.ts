import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChildHandle, configAsJson, freePort, LocalCluster, resolveClusterConfig } from '../src/cli/index.js';
import { cliLauncherPath } from '../src/cli/config-source.js';
import type { RingcacheConfig } from '../src/config/index.js';
import { SystemClock } from '../src/runtime/index.js';
import { benchClusterConfig } from './bench-targets.js';
import { ClusterWatch } from './cluster-watch.js';
import type { WatchedNode } from './cluster-watch.js';
import { reportFileStem } from './bench-report.js';
import { setUpPinning } from './processes.js';
import type { Pinning } from './processes.js';

/**
 * A real local cluster (master, the config's nodes, a proxy) for the benchmarks that kill nodes
 * (`bench detection`, `bench refill`): started from a config file in `folder`, watched from the
 * outside, with the nodes it kills restarted by the benchmark itself.
 */
export interface BenchCluster {
  readonly config: RingcacheConfig;
  readonly cluster: LocalCluster;
  readonly watch: ClusterWatch;
  readonly nodes: readonly WatchedNode[];
  readonly configFile: string;
  readonly prefix: readonly string[];
  readonly onLine: (name: string, stream: 'stdout' | 'stderr', line: string) => void;
  /** Nodes restarted after a kill (the cluster owns the first generation). */
  readonly restarted: Map<string, ChildHandle>;
}

const clock = new SystemClock();

/** Where one benchmark run writes: its report stem, the children's log, a scratch folder, the pinning. */
export interface BenchRun {
  readonly stem: string;
  readonly pinning: Pinning;
  readonly logFile: string;
  readonly folder: string;
  readonly onLine: BenchCluster['onLine'];
  /** Closes the log and removes the scratch folder. */
  close(): Promise<void>;
}

/** Opens `<outDir>/<kind>-<time>.log` for the children's lines and a scratch folder beside it. */
export function openBenchRun(kind: string, outDir: string, pin: boolean, startedAt: Date): BenchRun {
  const stem = reportFileStem(startedAt).replace(/^bench-/, `${kind}-`);
  const pinning = setUpPinning(pin);
  mkdirSync(outDir, { recursive: true });
  const logFile = join(outDir, `${stem}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const folder = mkdtempSync(join(outDir, `.${kind}-`));
  return {
    stem, pinning, logFile, folder,
    onLine: (name, _stream, line) => { log.write(`[${name}] ${line}
`); },
    close: async () => {
      rmSync(folder, { recursive: true, force: true });
      await new Promise<void>((resolve) => { log.end(resolve); });
    },
  };
}

export async function startBenchCluster(
  base: RingcacheConfig, folder: string, prefix: readonly string[], onLine: BenchCluster['onLine'], quorum: { n: number; r: number; w: number },
): Promise<BenchCluster> {
  const config = await resolveClusterConfig(benchClusterConfig(base, folder, quorum.n, quorum.r, quorum.w), () => freePort());
  const configFile = join(folder, 'config.json');
  writeFileSync(configFile, `${JSON.stringify(configAsJson(config), null, 2)}\n`);
  const cluster = new LocalCluster({
    config, clock, onLine, startupTimeoutMs: 60_000, stopTimeoutMs: 5_000, commandPrefix: prefix,
    // Kills are the point: the first one is reported here, and ignored.
    onUnexpectedExit: (member) => { onLine('bench', 'stderr', `${member} exited (killed by the benchmark)`); },
  });
  await cluster.start();
  const nodes = config.nodes.map((node) => ({ id: node.id, host: node.host, port: node.port, httpPort: node.httpPort }));
  const watch = new ClusterWatch({
    nodes, token: config.cluster.token, proxyPassword: config.proxy.password,
    proxyHttpUrl: `http://${config.proxy.host}:${config.proxy.httpPort}`,
    masterUrl: `http://${config.master.host}:${config.master.port}`,
  });
  return { config, cluster, watch, nodes, configFile, prefix, onLine, restarted: new Map() };
}

export function pidOf(running: BenchCluster, member: string): number | undefined {
  return running.restarted.get(member)?.pid ?? running.cluster.pids().get(member);
}

/** Starts `member` again from the cluster's config file (empty: memory only), once it was killed. */
export async function restartMember(running: BenchCluster, member: string): Promise<ChildHandle> {
  const child = new ChildHandle({
    name: member, file: running.prefix[0] ?? process.execPath,
    args: [...running.prefix.slice(1), ...(running.prefix.length > 0 ? [process.execPath] : []), cliLauncherPath(), 'node', '--id', member, '--config', running.configFile],
    onLine: running.onLine, ipc: true, detached: true,
  });
  running.restarted.get(member)?.signal('SIGKILL');
  running.restarted.set(member, child);
  await Promise.race([child.ready, child.exited]);
  return child;
}

export async function stopBenchCluster(running: BenchCluster | undefined): Promise<void> {
  if (running === undefined) return;
  await running.watch.close();
  for (const child of running.restarted.values()) await child.stop(clock, 5_000);
  await running.cluster.stop();
}
