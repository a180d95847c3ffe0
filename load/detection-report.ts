import type { MembershipOptions } from '../src/membership/index.js';

/** One kill -9 and what followed (times in ms after the kill; null: not within the wait). */
export interface DetectionSample {
  readonly phase: 'idle' | 'loaded';
  readonly victim: string;
  /** Each observer (node ids, 'proxy') when it first held the victim down. */
  readonly byObserver: Readonly<Record<string, number>>;
  readonly missing: readonly string[];
  readonly firstNodeMs: number | null;
  readonly allNodesMs: number | null;
  /** The proxy's /v1/route: its gossip view plus its own failures (under load those notice first). */
  readonly proxyMs: number | null;
  /** From the restart until every other node held it anything but down. */
  readonly backUpMs: number | null;
}

/** A window under load with no kill: every down is false. */
export interface FalsePositiveWindow {
  readonly seconds: number;
  /** Sum over nodes of membership_downs_total during the window: every one a false down. */
  readonly downsDeclared: number | null;
  readonly suspicionsRaised: number | null;
  readonly refutations: number | null;
  readonly viewSamples: number;
  /** (node, member) pairs seen suspect or down in the sampled views. */
  readonly suspectSeen: number;
  readonly downSeen: number;
  /** Nodes the proxy's route held down in its samples (its gossip view or its own failures). */
  readonly proxyDownSeen: number;
  /** The highest Lifeguard health score any node showed (0: none thought itself slow). */
  readonly healthScoreMax: number;
}

export interface DetectionReport {
  readonly startedAt: string;
  readonly machine: { readonly cpus: number; readonly node: string };
  readonly membership: MembershipOptions;
  readonly samples: readonly DetectionSample[];
  readonly falsePositives: FalsePositiveWindow | undefined;
  readonly load: { readonly opsPerSec: number; readonly requests: number; readonly errors: number; readonly connections: number; readonly pipeline: number } | null;
  readonly notes: readonly string[];
}

function stats(values: readonly (number | null)[]): string {
  const known = values.filter((value): value is number => value !== null).sort((a, b) => a - b);
  const missing = values.length - known.length;
  if (known.length === 0) return `none of ${values.length} within the wait`;
  const median = known[Math.floor((known.length - 1) / 2)] ?? 0;
  return `median ${median} ms, max ${known.at(-1) ?? 0} ms over ${known.length}${missing > 0 ? ` (${missing} not within the wait)` : ''}`;
}

export function renderDetectionMarkdown(report: DetectionReport): string {
  const lines = [
    `# Failure detection, ${report.startedAt}`,
    '',
    `${report.machine.cpus} cpus, node ${report.machine.node}; membership: probe ${report.membership.probeIntervalMs} ms / timeout ${report.membership.probeTimeoutMs} ms, ` +
      `k=${report.membership.indirectProbes}, suspicionMult ${report.membership.suspicionMult}, gossip ${report.membership.gossipIntervalMs} ms x ${report.membership.fanout}, ` +
      `views pulled every ${report.membership.viewPullIntervalMs} ms.`,
    '',
    '## Summary',
    '',
  ];
  for (const phase of ['idle', 'loaded'] as const) {
    const samples = report.samples.filter((sample) => sample.phase === phase);
    if (samples.length === 0) continue;
    lines.push(`- kill -9 (${phase}): every other node holds it down: ${stats(samples.map((sample) => sample.allNodesMs))}; ` +
      `the proxy: ${stats(samples.map((sample) => sample.proxyMs))}; back up after a restart: ${stats(samples.map((sample) => sample.backUpMs))}`);
  }
  const window = report.falsePositives;
  if (window !== undefined) {
    lines.push(`- false positives in ${window.seconds} s under load: ${String(window.downsDeclared)} downs declared by any node ` +
      `(${String(window.suspicionsRaised)} suspicions, ${String(window.refutations)} refutations); views sampled ${window.viewSamples} times: ` +
      `${window.suspectSeen} suspect, ${window.downSeen} down; proxy held ${window.proxyDownSeen} node-samples down; highest local health score ${window.healthScoreMax}`);
  }
  if (report.load !== null) {
    lines.push(`- load: ${Math.round(report.load.opsPerSec)} ops/s over RESP (${report.load.connections} connections, pipeline ${report.load.pipeline}), ` +
      `${report.load.errors} requests answered with an error or lost`);
  }
  lines.push('', '## Kills', '', '| phase | victim | first node ms | every node ms | proxy ms | back up ms | per observer |', '|---|---|---|---|---|---|---|');
  for (const sample of report.samples) {
    const observers = Object.entries(sample.byObserver).map(([observer, ms]) => `${observer} ${ms}`).join(', ');
    lines.push(`| ${sample.phase} | ${sample.victim} | ${String(sample.firstNodeMs)} | ${String(sample.allNodesMs)} | ${String(sample.proxyMs)} | ${String(sample.backUpMs)} | ${observers} |`);
  }
  lines.push('', '## Notes', '', ...report.notes.map((note) => `- ${note}`), '');
  return lines.join('\n');
}
