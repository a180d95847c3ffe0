import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RingcacheConfig } from '../config/index.js';
import { RingcacheError } from '../runtime/index.js';
import { optionFlag, optionInteger } from './args.js';
import { describeExit } from './child.js';
import { LocalCluster } from './cluster.js';
import { resolveClusterConfig } from './cluster-plan.js';
import { CommandFailure, EXIT } from './command.js';
import type { CliIo, CommandContext, CommandSpec } from './command.js';
import { freePort } from './http-probe.js';

/**
 * `ringcache start`: a whole local cluster in one command (DESIGN.md section 7), in the
 * foreground. Ctrl-C or SIGTERM stops it; a child dying on its own stops the rest, exit 1.
 */
export const startCommand: CommandSpec = {
  summary: 'run a whole local cluster: shard-master, every node of the config, a proxy',
  synopsis: '[--fresh]',
  positionalsMax: 0,
  options: [
    { name: 'fresh', doc: "delete the master's state file and the proxy's table cache first (a new cluster)" },
    { name: 'startup-timeout-ms', value: 'MS', doc: 'how long each stage may take to answer /health (default 30000)' },
    { name: 'stop-timeout-ms', value: 'MS', doc: 'how long a child may take to stop after SIGTERM before SIGKILL (default 5000)' },
  ],
  details: [
    'Children are `node bin/ringcache.js master|node --id nK|proxy` with the same config; their log lines are prefixed with their name.',
    'A port of 0 in the config is replaced by a free one, so test configs can run too.',
  ],
  run: runStart,
};

/** 128 + SIGINT, what shells report for a program stopped by Ctrl-C. */
const EXIT_INTERRUPTED = 130;

async function runStart(context: CommandContext): Promise<number> {
  const { args, io, clock } = context;
  const startupTimeoutMs = optionInteger(args, 'startup-timeout-ms', 30_000, 100, 600_000);
  const stopTimeoutMs = optionInteger(args, 'stop-timeout-ms', 5_000, 0, 600_000);
  if (context.config.nodes.length === 0) {
    throw new RingcacheError('RC_ERR_CONFIG', `config: nodes is empty in ${context.configFile}: start needs the storage nodes to run (see config/local.json)`);
  }
  const config = await resolveClusterConfig(context.config, () => freePort());
  if (optionFlag(args, 'fresh')) {
    for (const file of [config.master.stateFile, config.proxy.tableCacheFile]) rmSync(resolve(context.cwd, file), { force: true });
  }
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((done) => { finish = done; });
  const prefix = linePrefixer(config, io);
  const cluster = new LocalCluster({
    config,
    clock,
    startupTimeoutMs,
    stopTimeoutMs,
    cwd: context.cwd,
    env: context.env,
    onLine: prefix,
    onUnexpectedExit: (name, exit) => {
      io.err(`ringcache: ${name} stopped unexpectedly (${describeExit(exit)}); stopping the others`);
      void cluster.stop().then(() => { finish(EXIT.failure); });
    },
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      io.err(`ringcache: ${signal} again: killing every child now`);
      cluster.kill();
      return;
    }
    io.err(`ringcache: ${signal}: stopping proxy, nodes, master (again to kill at once)`);
    void cluster.stop().then(() => { finish(EXIT.ok); });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    io.err(`ringcache: starting from ${context.configFile}`);
    try {
      await cluster.start();
    } catch (error) {
      // Interrupted while starting: the children are stopped already; that is not a failure to report.
      if (signals > 0) return EXIT_INTERRUPTED;
      if (error instanceof CommandFailure && !optionFlag(args, 'fresh')) {
        throw new CommandFailure(`${error.message}\n(if state from an earlier cluster is in the way: ringcache start --fresh)`);
      }
      throw error;
    }
    printEndpoints(config, context, io);
    return await finished;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `[n1    ] line`: names padded to one width so the columns of the logs line up. */
function linePrefixer(config: RingcacheConfig, io: CliIo): (name: string, stream: 'stdout' | 'stderr', line: string) => void {
  const width = Math.max('master'.length, 'proxy'.length, ...config.nodes.map((node) => node.id.length));
  return (name, stream, line) => {
    const text = `[${name.padEnd(width)}] ${line}`;
    if (stream === 'stderr') io.err(text);
    else io.out(text);
  };
}

function printEndpoints(config: RingcacheConfig, context: CommandContext, io: CliIo): void {
  const { master, proxy, cluster, replication } = config;
  const zones = [...new Set(config.nodes.map((node) => node.zone))].sort();
  // Ports the config left at 0 were picked here: `status` must be told the master's.
  const portArg = context.config.master.port === master.port ? '' : ` --master.port=${master.port}`;
  const configArg = (context.configFile.endsWith('config/local.json') ? '' : ` --config ${context.configFile}`) + portArg;
  const nodeLines = config.nodes.map((node) => `${node.id} (zone ${node.zone}) http://${node.host}:${node.httpPort}/health`);
  const lines = [
    '',
    `ringcache is up: shard-master, ${config.nodes.length} storage nodes in zones ${zones.join(', ')}, 1 proxy ` +
      `(N=${cluster.replicaCount} R=${replication.r} W=${replication.w}, V=${cluster.vnodeCount})`,
    '',
    `  RESP    redis-cli -p ${proxy.respPort}${proxy.host === '127.0.0.1' ? '' : ` -h ${proxy.host}`}`,
    `  HTTP    http://${proxy.host}:${proxy.httpPort}/v1/kv/<key>`,
    `  admin   http://${master.host}:${master.port}/v1/cluster   (dashboard http://${master.host}:${master.port}/${cluster.token === '' ? '' : `#token=${encodeURIComponent(cluster.token)}`})`,
    ...nodeLines.map((line, index) => `  ${index === 0 ? 'nodes' : '     '}   ${line}`),
    '',
    'Try:',
    `  redis-cli -p ${proxy.respPort} SET greeting hello && redis-cli -p ${proxy.respPort} GET greeting`,
    `  curl -s http://${proxy.host}:${proxy.httpPort}/v1/route/greeting     # its vnode, replicas and fallbacks`,
    `  node bin/ringcache.js status${configArg}                  # servers, zones, replicas held, imbalance`,
    '',
    `State: ${master.stateFile} and ${proxy.tableCacheFile} (kept across restarts; \`ringcache start --fresh\` begins a new cluster).`,
    'Ctrl-C stops the cluster.',
  ];
  for (const line of lines) io.out(line);
}
