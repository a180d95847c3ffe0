import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { LOG_LEVEL_VALUES, RingcacheError } from '../runtime/index.js';
import type { LogLevel } from '../runtime/index.js';
import { optionFlag, optionInteger } from './args.js';
import { LocalCluster } from './cluster.js';
import { boundPorts, membersInStartOrder, planCluster, resolveClusterConfig } from './cluster-plan.js';
import { resolveClusterToken } from './cluster-token.js';
import { checkPortsFree } from './port-check.js';
import { CommandFailure, EXIT } from './command.js';
import type { CliIo, CommandContext, CommandSpec } from './command.js';
import { freePort } from './http-probe.js';
import { ChildLogView } from './log-lines.js';
import { LOG_OPTIONS } from './log-options.js';
import type { MemberEvent } from './member.js';
import { RESTART_DEFAULTS } from './restart-policy.js';
import type { RestartPolicy } from './restart-policy.js';
import { parseReadyLine } from './roles.js';
import { endpointLines, StartReport } from './start-report.js';

/**
 * `ringcache start`: a whole local cluster in one command (DESIGN.md section 7), in the
 * foreground, supervising its children: one that dies is restarted (restart-policy.ts) while
 * the others keep serving. Only Ctrl-C, SIGTERM, a member that does not come up at start, or
 * one that keeps dying (--restarts-max restarts in a row that do not stay up) stops the cluster.
 */
export const startCommand: CommandSpec = {
  summary: 'run a whole local cluster: shard-master, every node of the config, a proxy; restart children that die',
  synopsis: '[--fresh] [--no-restart] [--verbose]',
  positionalsMax: 0,
  options: [
    { name: 'fresh', doc: "delete the master's state file and the proxy's table cache first (a new cluster)" },
    { name: 'no-restart', doc: 'leave a child that dies down (the others keep running) instead of restarting it' },
    { name: 'restart-delay-ms', value: 'MS', doc: `wait before restarting a child that died (default ${RESTART_DEFAULTS.delayMs}); doubles with each restart in a row that does not stay up` },
    { name: 'restart-delay-max-ms', value: 'MS', doc: `cap of that doubling wait (default ${RESTART_DEFAULTS.delayMsMax})` },
    { name: 'restart-stable-ms', value: 'MS', doc: `a child up this long stays up: its next death starts again from --restart-delay-ms (default ${RESTART_DEFAULTS.stableMs})` },
    { name: 'restarts-max', value: 'N', doc: `restarts in a row that do not stay up before the cluster is stopped (default ${RESTART_DEFAULTS.restartsMax}; 0: the first death stops it)` },
    { name: 'verbose', doc: "show every log line of the children (default: warn and above; a child's other output always)" },
    ...LOG_OPTIONS,
    { name: 'startup-timeout-ms', value: 'MS', doc: 'how long each member may take to answer /health, at start and after a restart (default 30000)' },
    { name: 'stop-timeout-ms', value: 'MS', doc: 'how long a child may take to stop after SIGTERM before SIGKILL (default 5000)' },
  ],
  details: [
    'Children are `node bin/ringcache.js master|node --id nK|proxy` with the same config. stdout shows one line per',
    'member coming up, the endpoints, and each death, restart and members summary; stderr carries the children\'s log',
    'lines, prefixed with their names on a terminal (pretty), pino JSON otherwise. --log-level sets what the children',
    'log and shows all of it.',
    'It stops the cluster (exit 1, RC_ERR_START_FAILED) when a member does not come up at start, when one keeps',
    'dying (--restarts-max restarts in a row), or when every member is down under --no-restart (docs/OPERATIONS.md).',
    'A port of 0 in the config is replaced by a free one, so test configs can run too.',
  ],
  run: runStart,
};

/** 128 + SIGINT, what shells report for a program stopped by Ctrl-C. */
const EXIT_INTERRUPTED = 130;

type Outcome = { readonly code: number } | { readonly failure: CommandFailure };

async function runStart(context: CommandContext): Promise<number> {
  const { args, io, clock } = context;
  const startupTimeoutMs = optionInteger(args, 'startup-timeout-ms', 30_000, 100, 600_000);
  const stopTimeoutMs = optionInteger(args, 'stop-timeout-ms', 5_000, 0, 600_000);
  const policy = optionFlag(args, 'no-restart') ? undefined : restartPolicy(context);
  if (context.config.nodes.length === 0) {
    throw new RingcacheError('RC_ERR_CONFIG', `config: nodes is empty in ${context.configFile}: start needs the storage nodes to run (see config/local.json)`);
  }
  // The children log JSON whatever the launcher shows: it filters and renders their lines.
  const resolved = await resolveClusterConfig(context.config, () => freePort(), ['log.format=json']);
  // The ports first: a cluster that cannot start gets no secret written for it.
  await checkPortsFree(boundPorts(planCluster(resolved)));
  const { config } = resolveClusterToken(resolved, context.cwd, true);
  if (optionFlag(args, 'fresh')) {
    for (const file of [config.master.stateFile, config.proxy.tableCacheFile]) rmSync(resolve(context.cwd, file), { force: true });
  }
  const plans = membersInStartOrder(planCluster(config));
  const report = new StartReport(io, policy, plans.map((plan) => plan.name), clock);
  const logs = childLogs(context, plans.map((plan) => plan.name));
  const roles = new Map(plans.map((plan) => [plan.name, plan.role]));
  let finish: (outcome: Outcome) => void = () => undefined;
  const finished = new Promise<Outcome>((done) => { finish = done; });
  let started = false;
  const cluster: LocalCluster = new LocalCluster({
    config, clock, startupTimeoutMs, stopTimeoutMs, cwd: context.cwd, env: context.env,
    ...(policy === undefined ? {} : { restart: policy }),
    onLine: (name, stream, line) => {
      // The ready line is announced as "<name> up (pid ...)" instead.
      if (stream === 'stdout' && parseReadyLine(line) !== undefined) return;
      for (const shown of logs.render({ name, role: roles.get(name) ?? name }, line)) io.err(shown);
    },
    onEvent: (event) => {
      report.event(event);
      // Members coming up at start are summed up by the endpoints; deaths only come after it.
      if (event.kind === 'up' && !started) return;
      const failure = failureOf(event, cluster);
      if (failure === undefined) report.summary(cluster.status());
      else void cluster.stop().then(() => { finish({ failure }); });
    },
  });
  const signals = onSignals(io, cluster, () => {
    void cluster.stop().then(() => {
      io.out('ringcache: stopped');
      finish({ code: EXIT.ok });
    });
  });
  try {
    io.out(`ringcache: starting from ${context.configFile}`);
    try {
      await cluster.start();
    } catch (error) {
      // Interrupted while starting: the children are stopped already; that is not a failure to report.
      if (signals.count() > 0) return EXIT_INTERRUPTED;
      throw error;
    }
    started = true;
    report.summaryKnown(cluster.status());
    for (const line of endpointLines(config, context, policy)) io.out(line);
    const outcome = await finished;
    if ('failure' in outcome) throw outcome.failure;
    return outcome.code;
  } finally {
    signals.dispose();
  }
}

/** The restart flags; the backoff must be able to grow, so its cap is at least the first wait. */
function restartPolicy(context: CommandContext): RestartPolicy {
  const { args } = context;
  const delayMs = optionInteger(args, 'restart-delay-ms', RESTART_DEFAULTS.delayMs, 0, 600_000);
  const delayMsMax = optionInteger(args, 'restart-delay-max-ms', Math.max(RESTART_DEFAULTS.delayMsMax, delayMs), delayMs, 3_600_000);
  return {
    delayMs,
    delayMsMax,
    stableMs: optionInteger(args, 'restart-stable-ms', RESTART_DEFAULTS.stableMs, 0, 3_600_000),
    restartsMax: optionInteger(args, 'restarts-max', RESTART_DEFAULTS.restartsMax, 0, 1000),
  };
}

/**
 * What of the children's logs is shown: warn and above by default (the cluster is quiet while
 * it is fine), everything they log with --verbose or --log-level. Pretty on a terminal.
 */
function childLogs(context: CommandContext, names: readonly string[]): ChildLogView {
  const { level, format } = context.config.log;
  const everything = optionFlag(context.args, 'verbose') || context.args.options.has('log-level');
  const levelMin: LogLevel = everything || LOG_LEVEL_VALUES[level] > LOG_LEVEL_VALUES.warn ? level : 'warn';
  const pretty = format === 'pretty' || (format === 'auto' && context.io.errIsTerminal === true);
  return new ChildLogView({
    format: pretty ? 'pretty' : 'json',
    colorize: pretty && context.io.errIsTerminal === true && context.env.NO_COLOR === undefined,
    levelMin,
    width: Math.max(...names.map((name) => name.length)),
    clock: context.clock,
  });
}

/** The failure that ends the run after `event`, if any: a member that keeps dying, or none left. */
function failureOf(event: MemberEvent, cluster: LocalCluster): CommandFailure | undefined {
  if (event.kind !== 'exited') return undefined;
  if (event.next.kind === 'give-up') {
    return new CommandFailure('RC_ERR_START_FAILED',
      `${event.member.name} kept dying: ${event.next.failedRestarts} restarts in a row did not stay up; the cluster was stopped`,
      `read its last lines above; --restarts-max and --restart-stable-ms set the bound`);
  }
  if (cluster.status().every((member) => member.state === 'down')) {
    return new CommandFailure('RC_ERR_START_FAILED', 'every member of the cluster is down and --no-restart is set: nothing left to run',
      'read the deaths above; run ringcache start again');
  }
  return undefined;
}

/**
 * Ctrl-C, SIGTERM or SIGHUP: the first stops the children in order, a second SIGKILLs them at
 * once (the user will not wait).
 */
function onSignals(io: CliIo, cluster: LocalCluster, stop: () => void): { count: () => number; dispose: () => void } {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      io.out(`ringcache: ${signal} again: killing every child now`);
      cluster.kill();
      return;
    }
    io.out(`ringcache: ${signal}: stopping proxy, nodes, master (again to kill at once)`);
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The terminal closed: stop in order rather than die and leave the children to notice.
  process.on('SIGHUP', onSignal);
  return {
    count: () => signals,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
    },
  };
}
