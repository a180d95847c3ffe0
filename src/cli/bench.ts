import { resolve } from 'node:path';
import { optionFlag, optionInteger, optionNumber, optionText, UsageError } from './args.js';
import { EXIT } from './command.js';
import type { CommandContext, CommandSpec } from './command.js';
import { importWithOptional } from './optional-import.js';

/**
 * `ringcache bench [proxy|anti-entropy|detection]`: the benchmarks of load/bench.ts,
 * load/anti-entropy-bench.ts and load/detection-bench.ts (imported on demand). They start their own targets on free ports,
 * so they need no running cluster; the config given is the base of the clusters they start
 * (nodes, zones, limits), with N/R/W and ports replaced.
 */
/** The workloads of load/bench-measure.ts, by name (kept here so --help needs no load/ import). */
export const WORKLOAD_NAMES = ['resp-p1', 'resp-p16', 'resp-set', 'resp-get', 'resp-incr', 'resp-hset', 'resp-sadd', 'resp-zadd', 'http-get'] as const;

export const BENCH_TARGETS = ['ringcache-n1', 'ringcache-n3', 'redis', 'twemproxy', 'fastify', 'baseline-n1', 'baseline-n3'] as const;

export const benchCommand: CommandSpec = {
  summary: 'benchmark the proxy against bare redis, twemproxy and bare fastify; Merkle anti-entropy between two nodes; failure detection; the refill of a restarted node; the load counting cost; load balance under Zipf keys; what authentication, TLS and the client limits cost; or bytes of memory per hash field, set and sorted-set member',
  synopsis: '[proxy|anti-entropy] [--rounds K] [--seconds S] [--together] [--baseline DIR] [--workloads LIST] | detection [--samples K] [--window-seconds S] | refill [--keys K] [--down-seconds S] | load-cost [--rounds K] | balance [--keys K] [--json] [--no-cluster] [--cluster-zipf S] [--cluster-keys K] | security [--parts LIST] [--json] | memory [--keys K] [--elements E] [--value-bytes B] [--json]',
  positionalsMax: 1,
  options: [
    { name: 'rounds', value: 'K', doc: 'rounds, alternating the targets (default 5); figures are medians over rounds' },
    { name: 'seconds', value: 'S', doc: 'total time budget, start-up and shutdown included (default 600)' },
    { name: 'run-seconds', value: 'S', doc: 'length of one measurement, shortened to fit --seconds (default 5)' },
    { name: 'connections', value: 'C', doc: 'connections per measurement (default 50, as BENCHMARKS.md)' },
    { name: 'keys', value: 'K', doc: 'distinct keys, preloaded (default 100000, as redis-benchmark -r 100000)' },
    { name: 'skew', value: 'S', doc: 'Zipf exponent of the key draw (default 0.99)' },
    { name: 'get-ratio', value: 'F', doc: 'fraction of GETs in the RESP workloads (default 0.9)' },
    { name: 'value-bytes', value: 'B', doc: 'bytes per value (default 3, as BENCHMARKS.md)' },
    { name: 'targets', value: 'LIST', doc: `comma-separated subset of ${BENCH_TARGETS.join(',')} (default all; baseline-n1/-n3 need --baseline, and come along with ringcache-n1/-n3)` },
    { name: 'workloads', value: 'LIST', doc: `proxy: comma-separated subset of ${WORKLOAD_NAMES.join(',')} (default all)` },
    { name: 'baseline', value: 'DIR', doc: 'proxy: also run the clusters of another built ringcache checkout (e.g. a `git worktree` of an older commit), each from its own config/local.json and launcher, and report ringcache-nK / baseline-nK' },
    { name: 'out', value: 'DIR', doc: 'where bench-<timestamp>.json, .md and .log go (default reports/)' },
    { name: 'no-pin', doc: 'do not pin servers to cpu 0 and the driver to cpu 1 with taskset' },
    { name: 'together', doc: 'proxy: start every target once and keep them all running (default: one target at a time, started and stopped in turn each round)' },
    { name: 'divergence', value: 'F', doc: 'anti-entropy: fraction of keys that differ between the two replicas (default 0.01)' },
    { name: 'vnodes', value: 'V', doc: 'anti-entropy: cluster.vnodeCount of the two nodes (default: the config\'s)' },
    { name: 'exchanges', value: 'N', doc: 'anti-entropy: visits led at once (default 4)' },
    { name: 'vnodes-per-exchange', value: 'N', doc: 'anti-entropy: vnodes one exchange covers (default: the config\'s antiEntropy.vnodesPerExchangeMax)' },
    { name: 'samples', value: 'K', doc: 'detection: kill -9 this many nodes idle, and as many under load (default 5)' },
    { name: 'window-seconds', value: 'S', doc: 'detection: the false-positive window under load, no kill (default 60; 600 for 10 minutes); balance: the real-cluster measuring window (default 5)' },
    { name: 'pipeline', value: 'P', doc: 'detection: pipeline depth of the load (default 4); security: of the measured load (default 1)' },
    { name: 'down-seconds', value: 'S', doc: 'refill: how long the killed node stays down before its restart (default 3)' },
    { name: 'json', doc: 'balance: the last line is one JSON object with the rows' },
    { name: 'no-cluster', doc: 'balance: the modeled rows only, no real local cluster' },
    { name: 'cluster-zipf', value: 'S', doc: 'balance: Zipf exponent of the real-cluster row (default 1.2)' },
    { name: 'cluster-keys', value: 'K', doc: 'balance: distinct keys of the real-cluster row (default 100000)' },
    { name: 'parts', value: 'LIST', doc: 'security: comma-separated subset of auth,tls,idle,mget (default all)' },
    { name: 'elements', value: 'E', doc: 'memory: fields or members per key (default 100)' },
    { name: 'mget-repeats', value: 'K', doc: 'security: rounds of 4 MGETs at once in the amplification probe (default 5)' },
  ],
  details: [
    'Workloads: 90/10 GET/SET over RESP at pipeline depth 1 and 16, and HTTP GET with autocannon.',
    'Peers missing from this machine (redis-server, nutcracker) are skipped and named in the report.',
    'anti-entropy: two StorageNodes over TCP in this process, 1,000,000 keys of 100 bytes by default (--keys, --value-bytes),',
    '  --divergence of them differing; prints bytes exchanged against the minimum, the repair time and the cost per write.',
    'detection: a local cluster with the config\'s membership settings; how long until every other node and the proxy hold a',
    'killed node down, and how many downs any node declares in a window under load with no kill (all false).',
    'refill: a local cluster (N=3), --keys keys of --value-bytes (default 100,000 of 100 B), a GET/SET load (--get-ratio, default',
    '  0.5); kill -9 n3, restart it after --down-seconds; the time until it is in sync and the keys of its rows it still lacks',
    '  (--seconds bounds the wait, default 120).',
    'load-cost: what counting load for the rebalancer costs a request on the proxy\'s path (in process, CPU time per command).',
    'balance: max/mean server load under Zipf keys (1,000,000 by default; s 0.9, 0.99, 1.2; 5, 8, 32 servers) for ketama, bounded-load',
    '  consistent hashing, the table before and after the rebalance planner, and with the hot-key cache; vnodes and bytes moved;',
    '  then a real local cluster (6 nodes, a proxy) under a Zipf load, max/mean of what the nodes served before and after',
    '  POST /v1/rebalance, with the near cache off and on (--no-cluster skips it).',
    'security: clusters of one shape (N=3 R=2 W=2) with internode authentication off and on, proxy TLS and cluster TLS, a 90/10',
    '  GET/SET load (--connections, default 50; --pipeline, default 1) alternated round by round (--rounds, default 3): ops/s, p99,',
    '  CPU per op and the ratios; then proxy.maxClients connections held while a client\'s p99 is measured, and the proxy\'s RSS',
    '  under MGETs naming a 1 MiB value 1,000 times. --json: the last line is the whole report.',
    'memory: one node\'s engine in this process filled with --keys keys (default 1,000) of --elements fields or members (default',
    '  100) per type, element by element through the coordinator\'s code, against as many plain string keys; heap and RSS bytes',
    '  per element after a full GC, the engine\'s own estimate, and the ratio to a string key (--value-bytes, default 3).',
  ],
  run: runBenchCommand,
};

function parseTargets(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : parseNames(text, BENCH_TARGETS, 'bench target');
}

function parseNames(text: string, known: readonly string[], what: string): string[] {
  const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of names) {
    if (!known.includes(name)) throw new UsageError(`unknown ${what} '${name}' (known: ${known.join(', ')})`);
  }
  return names;
}

async function runBenchCommand(context: CommandContext): Promise<number> {
  const { args } = context;
  const subject = args.positionals[0] ?? 'proxy';
  if (subject === 'anti-entropy') return runAntiEntropy(context);
  if (subject === 'detection') return runDetection(context);
  if (subject === 'refill') return runRefill(context);
  if (subject === 'load-cost') return runLoadCost(context);
  if (subject === 'balance') return runBalance(context);
  if (subject === 'security') return runSecurity(context);
  if (subject === 'memory') return runMemory(context);
  if (subject !== 'proxy') throw new UsageError(`unknown bench subject '${subject}' (known: proxy, anti-entropy, detection, refill, load-cost, balance, security, memory)`);
  const targetsText = args.options.get('targets');
  const targets = parseTargets(typeof targetsText === 'string' ? targetsText : undefined);
  const workloadsText = args.options.get('workloads');
  const workloads = typeof workloadsText === 'string' ? parseNames(workloadsText, WORKLOAD_NAMES, 'workload') : undefined;
  const baselineText = args.options.get('baseline');
  if (typeof baselineText !== 'string' && targets?.some((name) => name.startsWith('baseline-')) === true) {
    throw new UsageError('targets baseline-n1 and baseline-n3 need --baseline DIR (a built ringcache checkout)');
  }
  const { openBaselineCheckout } = await importWithOptional('bench', () => import('../../load/baseline-target.js'));
  let baseline;
  try {
    baseline = typeof baselineText === 'string' ? openBaselineCheckout(baselineText, context.cwd) : undefined;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const options = {
    rounds: optionInteger(args, 'rounds', 5, 1, 1000),
    budgetSeconds: optionNumber(args, 'seconds', 600, 10, 86_400),
    runSeconds: optionNumber(args, 'run-seconds', 5, 1, 3600),
    connections: optionInteger(args, 'connections', 50, 1, 10_000),
    keyCount: optionInteger(args, 'keys', 100_000, 1, 100_000_000),
    skew: optionNumber(args, 'skew', 0.99, 0, 10),
    getRatio: optionNumber(args, 'get-ratio', 0.9, 0, 1),
    valueBytes: optionInteger(args, 'value-bytes', 3, 0, 1024 * 1024),
    outDir: resolve(context.cwd, optionText(args, 'out', 'reports')),
    pin: !optionFlag(args, 'no-pin'),
    isolate: !optionFlag(args, 'together'),
    config: context.config,
    io: context.io,
    ...(targets === undefined ? {} : { targets }),
    ...(baseline === undefined ? {} : { baseline }),
    ...(workloads === undefined ? {} : { workloads }),
  };
  const { runBench } = await importWithOptional('bench', () => import('../../load/bench.js'));
  await runBench(options);
  return EXIT.ok;
}

async function runAntiEntropy(context: CommandContext): Promise<number> {
  const { args } = context;
  const options = {
    keyCount: optionInteger(args, 'keys', 1_000_000, 1, 50_000_000),
    divergence: optionNumber(args, 'divergence', 0.01, 0.0001, 1),
    valueBytes: optionInteger(args, 'value-bytes', 100, 0, 1024 * 1024),
    vnodeCount: optionInteger(args, 'vnodes', context.config.cluster.vnodeCount, 1, 65_536),
    exchangesMax: optionInteger(args, 'exchanges', 4, 1, 256),
    vnodesPerExchange: optionInteger(args, 'vnodes-per-exchange', context.config.antiEntropy.vnodesPerExchangeMax, 1, 65_536),
    budgetSeconds: optionNumber(args, 'seconds', 600, 10, 86_400),
    outDir: resolve(context.cwd, optionText(args, 'out', 'reports')),
    config: context.config,
    io: context.io,
  };
  const { runAntiEntropyBench } = await import('../../load/anti-entropy-bench.js');
  const figures = await runAntiEntropyBench(options);
  return figures.converged ? EXIT.ok : EXIT.failure;
}

async function runRefill(context: CommandContext): Promise<number> {
  const { args } = context;
  const { runRefillBench } = await importWithOptional('bench refill', () => import('../../load/refill-bench.js'));
  const report = await runRefillBench({
    keyCount: optionInteger(args, 'keys', 100_000, 1, 10_000_000),
    valueBytes: optionInteger(args, 'value-bytes', 100, 0, 1024 * 1024),
    getRatio: optionNumber(args, 'get-ratio', 0.5, 0, 1),
    connections: optionInteger(args, 'connections', 16, 1, 10_000),
    downSeconds: optionNumber(args, 'down-seconds', 3, 0, 3600),
    refillSecondsMax: optionNumber(args, 'seconds', 120, 10, 86_400),
    outDir: resolve(context.cwd, optionText(args, 'out', 'reports')),
    pin: !optionFlag(args, 'no-pin'),
    config: context.config,
    io: context.io,
  });
  return report.refillMs !== null && report.missingKeys === 0 ? EXIT.ok : EXIT.failure;
}

async function runDetection(context: CommandContext): Promise<number> {
  const { args } = context;
  const { runDetectionBench } = await import('../../load/detection-bench.js');
  await runDetectionBench({
    samples: optionInteger(args, 'samples', 5, 1, 100),
    loadSeconds: optionInteger(args, 'window-seconds', 60, 1, 86_400),
    connections: optionInteger(args, 'connections', 16, 1, 10_000),
    pipeline: optionInteger(args, 'pipeline', 4, 1, 1024),
    outDir: resolve(context.cwd, optionText(args, 'out', 'reports')),
    pin: !optionFlag(args, 'no-pin'),
    config: context.config,
    io: context.io,
  });
  return EXIT.ok;
}

async function runLoadCost(context: CommandContext): Promise<number> {
  const { args } = context;
  const { runLoadCostBench } = await import('../../load/load-cost-bench.js');
  await runLoadCostBench({ rounds: optionInteger(args, 'rounds', 3, 1, 100), runSeconds: optionNumber(args, 'run-seconds', 2, 0.2, 600), io: context.io });
  return EXIT.ok;
}

async function runBalance(context: CommandContext): Promise<number> {
  const { args } = context;
  const { runBalanceBench } = await import('../../load/balance-bench.js');
  const cluster = optionFlag(args, 'no-cluster') ? undefined : {
    zipfs: [optionNumber(args, 'cluster-zipf', 1.2, 0, 5)],
    keyCount: optionInteger(args, 'cluster-keys', 100_000, 100, 10_000_000),
    windowMs: optionInteger(args, 'window-seconds', 5, 1, 600) * 1000,
  };
  await runBalanceBench({
    keyCount: optionInteger(args, 'keys', 1_000_000, 1000, 50_000_000), json: optionFlag(args, 'json'), config: context.config, io: context.io,
    ...(cluster === undefined ? {} : { cluster }),
  });
  return EXIT.ok;
}

async function runSecurity(context: CommandContext): Promise<number> {
  const { args } = context;
  const { runSecurityBench, SECURITY_PARTS } = await import('../../load/security-bench.js');
  const partsText = optionText(args, 'parts', SECURITY_PARTS.join(','));
  const parts = partsText.split(',').map((part) => part.trim()).filter((part) => part !== '');
  for (const part of parts) {
    if (!(SECURITY_PARTS as readonly string[]).includes(part)) throw new UsageError(`unknown security part '${part}' (known: ${SECURITY_PARTS.join(', ')})`);
  }
  const report = await runSecurityBench({
    rounds: optionInteger(args, 'rounds', 3, 1, 100),
    runSeconds: optionNumber(args, 'run-seconds', 5, 1, 600),
    budgetSeconds: optionNumber(args, 'seconds', 900, 60, 86_400),
    connections: optionInteger(args, 'connections', 50, 1, 1000),
    pipeline: optionInteger(args, 'pipeline', 1, 1, 1024),
    keyCount: optionInteger(args, 'keys', 10_000, 1, 10_000_000),
    mgetRepeats: optionInteger(args, 'mget-repeats', 5, 1, 1000),
    parts: parts as typeof SECURITY_PARTS[number][],
    pin: !optionFlag(args, 'no-pin'),
    json: optionFlag(args, 'json'),
    config: context.config,
    io: context.io,
  });
  const failed = report.runs.some((run) => run.errors > 0) || (report.idle !== undefined && report.idle.idleFailed > 0);
  return failed ? EXIT.failure : EXIT.ok;
}

async function runMemory(context: CommandContext): Promise<number> {
  const { args } = context;
  const { runMemoryBench } = await import('../../load/memory-bench.js');
  runMemoryBench({
    keyCount: optionInteger(args, 'keys', 1000, 1, 1_000_000),
    elementsPerKey: optionInteger(args, 'elements', 100, 1, 100_000),
    valueBytes: optionInteger(args, 'value-bytes', 3, 0, 1024 * 1024),
    json: optionFlag(args, 'json'),
    io: context.io,
  });
  return EXIT.ok;
}
