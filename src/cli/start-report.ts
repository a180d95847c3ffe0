import type { RingcacheConfig } from '../config/index.js';
import type { Clock } from '../runtime/index.js';
import { describeExit } from './child.js';
import type { MemberStatus } from './cluster.js';
import type { CliIo, CommandContext } from './command.js';
import { ChildLogView } from './log-lines.js';
import type { MemberEvent } from './member.js';
import type { RestartPolicy } from './restart-policy.js';
import { parseReadyLine } from './roles.js';
import { clusterScheme } from '../tls/index.js';

/**
 * What `ringcache start` prints on stdout for a person (the children's log lines go to stderr,
 * log-lines.ts): one line per member coming up, the endpoints, then for each death why and
 * what happens next, and the members summary whenever it changes:
 *
 *   ringcache: n3 (pid 4242) died: killed by SIGKILL, after 61.2 s up; its last lines:
 *     [n3    ] [14:02:11.123] INFO: following the shard-master table {"epoch":1}
 *   ringcache: restarting n3 in 1.0 s (restart 1 in a row of at most 5)
 *   ringcache: members: 6 up, 1 restarting (n3)
 *   ringcache: n3 up again (pid 4301, restart 1, 0.6 s)
 *   ringcache: members: 7 up
 */
export class StartReport {
  private readonly width: number;
  private summaryShown: string | undefined;
  /** Last lines of a dead child, rendered for reading whatever the log format. */
  private readonly lastLinesView: ChildLogView;

  constructor(private readonly io: CliIo, private readonly policy: RestartPolicy | undefined, names: readonly string[], clock: Clock) {
    this.width = Math.max(...names.map((name) => name.length));
    this.lastLinesView = new ChildLogView({ format: 'pretty', colorize: false, levelMin: 'trace', width: this.width, clock });
  }

  event(event: MemberEvent): void {
    const { name, role } = event.member;
    if (event.kind === 'up') {
      const took = `${seconds(event.tookMs)} s`;
      const pid = String(event.pid ?? '?');
      this.io.out(event.attempt === 0
        ? `ringcache: ${name.padEnd(this.width)} up (pid ${pid}, ${took})`
        : `ringcache: ${name} up again (pid ${pid}, restart ${event.attempt}, ${took})`);
      return;
    }
    const how = event.why === undefined ? describeExit(event.exit) : `${event.why}; stopped (${describeExit(event.exit)})`;
    const life = event.upForMs === undefined ? 'before it came up' : `after ${seconds(event.upForMs)} s up`;
    // Its ready line says nothing about the death.
    const lastLines = event.lastLines.filter((line) => parseReadyLine(line) === undefined);
    const last = lastLines.length === 0 ? '' : '; its last lines:';
    this.io.out(`ringcache: ${name} (pid ${String(event.pid ?? '?')}) died: ${how}, ${life}${last}`);
    for (const line of lastLines) {
      for (const shown of this.lastLinesView.renderAlways({ name, role }, line)) this.io.out(`  ${shown}`);
    }
    const next = event.next;
    if (next.kind === 'restart') {
      this.io.out(`ringcache: restarting ${name} in ${seconds(next.delayMs)} s (restart ${next.attempt} in a row of at most ${String(this.policy?.restartsMax ?? '?')})`);
    } else if (next.kind === 'stay-down') {
      this.io.out(`ringcache: ${name} stays down (--no-restart); the others keep running`);
    } else {
      this.io.out(`ringcache: ${name} keeps dying (${next.failedRestarts} restarts in a row did not stay up): stopping the cluster`);
    }
  }

  /** Prints the members summary if it changed since it was last printed (or `force`d). */
  summary(members: readonly MemberStatus[], force = false): void {
    const text = summaryLine(members);
    if (!force && text === this.summaryShown) return;
    this.summaryShown = text;
    this.io.out(`ringcache: ${text}`);
  }

  /** Remembers the summary as shown without printing it (the endpoints say it all at start). */
  summaryKnown(members: readonly MemberStatus[]): void {
    this.summaryShown = summaryLine(members);
  }
}

/** `members: 6 up, 1 restarting (n3), 1 down (n4)`: starting and waiting to restart are one group. */
export function summaryLine(members: readonly MemberStatus[]): string {
  const group = (label: string, names: string[]): string => (names.length === 0 ? '' : `, ${names.length} ${label} (${names.join(', ')})`);
  const named = (states: readonly MemberStatus['state'][]): string[] => members.filter((member) => states.includes(member.state)).map((member) => member.name);
  const up = named(['up']).length;
  return `members: ${up} up${group('restarting', named(['starting', 'restarting']))}${group('down', named(['down', 'stopped']))}`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

/** The endpoints and first commands to try, once every member is up. */
export function endpointLines(config: RingcacheConfig, context: CommandContext, policy: RestartPolicy | undefined): string[] {
  const { master, proxy, cluster, replication } = config;
  const zones = [...new Set(config.nodes.map((node) => node.zone))].sort();
  // Ports the config left at 0 were picked here: `status` must be told the master's.
  const portArg = context.config.master.port === master.port ? '' : ` --master.port=${master.port}`;
  const configArg = (context.configFile.endsWith('config/local.json') ? '' : ` --config ${context.configFile}`) + portArg;
  const scheme = clusterScheme(config);
  const proxyScheme = proxy.tlsCertFile === '' ? 'http' : 'https';
  const nodeLines = config.nodes.map((node) => `${node.id} (zone ${node.zone}) ${scheme}://${node.host}:${node.httpPort}/health`);
  const restarts = policy === undefined
    ? 'A child that dies stays down (--no-restart); the others keep running.'
    : `A child that dies is restarted after ${seconds(policy.delayMs)} s (doubling up to ${seconds(policy.delayMsMax)} s); ` +
      `${policy.restartsMax} restarts in a row that do not stay up ${seconds(policy.stableMs)} s stop the cluster.`;
  return [
    '',
    `ringcache is up: shard-master, ${config.nodes.length} storage nodes in zones ${zones.join(', ')}, 1 proxy ` +
      `(N=${cluster.replicaCount} R=${replication.r} W=${replication.w}, V=${cluster.vnodeCount})`,
    '',
    `  RESP    redis-cli -p ${proxy.respPort}${proxy.host === '127.0.0.1' ? '' : ` -h ${proxy.host}`}${proxy.tlsCertFile === '' ? '' : ' --tls --cacert <CA file>'}`,
    `  HTTP    ${proxyScheme}://${proxy.host}:${proxy.httpPort}/v1/kv/<key>`,
    `  admin   ${scheme}://${master.host}:${master.port}/v1/cluster   (dashboard ${scheme}://${master.host}:${master.port}/${cluster.token === '' ? '' : `#token=${encodeURIComponent(cluster.token)}`})`,
    ...nodeLines.map((line, index) => `  ${index === 0 ? 'nodes' : '     '}   ${line}`),
    '',
    'Try:',
    `  redis-cli -p ${proxy.respPort} SET greeting hello && redis-cli -p ${proxy.respPort} GET greeting`,
    `  curl -s ${proxyScheme}://${proxy.host}:${proxy.httpPort}/v1/route/greeting     # its vnode, replicas and fallbacks`,
    `  node bin/ringcache.js status${configArg}                  # servers, zones, replicas held, imbalance`,
    '',
    `State: ${master.stateFile} and ${proxy.tableCacheFile} (kept across restarts; \`ringcache start --fresh\` begins a new cluster).`,
    ...(scheme === 'http' ? [] : [`Cluster TLS: the nodes, the master and every client of them verify each other against ${config.tls.caFile} (tls.caFile).`]),
    ...(cluster.tokenFile === '' ? [] : [`Cluster token: ${cluster.tokenFile} (mode 0600; the admin API and the nodes require it; \`ringcache status --show-token\` prints it).`]),
    restarts,
    'Ctrl-C stops the cluster.',
  ];
}
