import type { BenchReport, MedianRecord, RatioRecord, WorkloadRecord } from './bench-report.js';

/**
 * The Markdown view of a bench report: the machine and settings, one table per workload
 * (median ops/s and latency per target), the ratios, and BENCHMARKS.md's reference ratios so a
 * reader sees at a glance where ringcache stands against the peers measured in the same run.
 */

/** Peer ratios measured in BENCHMARKS.md (ops/s relative to bare redis), for context only. */
const REFERENCE_LINES = [
  '| target | P=1 vs redis | P=16 vs redis |',
  '|---|---|---|',
  '| twemproxy 0.5 over 3 redis-servers | 0.74 | 0.29 |',
  '| minimal Node RESP server (redis-parser + Map) | 0.93 | 0.50 |',
  '| naive Node proxy hop (ioredis) to 1 redis | 0.44 | 0.13 |',
];

function rate(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}

/** A latency; below the driver's resolution it is shown as '<1 ms' rather than a false 0. */
function micros(value: number, resolutionUs = 1): string {
  if (!Number.isFinite(value)) return '-';
  if (value < resolutionUs) return resolutionUs >= 1000 ? `<${resolutionUs / 1000} ms` : `<${resolutionUs} us`;
  return value >= 1000 ? `${(value / 1000).toFixed(2)} ms` : `${value.toFixed(0)} us`;
}

function percent(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '-' : `${value.toFixed(0)}%`;
}

function workloadTable(workload: WorkloadRecord, medians: readonly MedianRecord[]): string[] {
  const rows = medians.filter((record) => record.workload === workload.name).sort((a, b) => b.opsPerSec - a.opsPerSec);
  const latency = (value: number): string => micros(value, workload.latencyResolutionUs);
  return [
    '| target | ops/s | p50 | p99 | p99.9 | server CPU | errors+lost | rounds |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((record) => `| ${record.target} | ${rate(record.opsPerSec)} | ${latency(record.p50Us)} | ${latency(record.p99Us)} | ` +
      `${latency(record.p999Us)} | ${percent(record.serverCpuPercent)} | ${record.errors} | ${record.rounds} |`),
  ];
}

function ratioTable(ratios: readonly RatioRecord[]): string[] {
  if (ratios.length === 0) return ['No ratio: a subject or every baseline was skipped (see Targets).'];
  return [
    '| workload | ringcache | vs | ratio (median of per-round ratios) | CPU per op net of idle, vs / ringcache | rounds |',
    '|---|---|---|---:|---:|---:|',
    ...ratios.map((record) => `| ${record.workload} | ${record.target} | ${record.baseline} | ${record.ratio.toFixed(2)} | ${record.cpuRatio?.toFixed(2) ?? '-'} | ${record.rounds} |`),
  ];
}

export function renderMarkdown(report: BenchReport): string {
  const { machine, settings } = report;
  const lines = [
    `# ringcache benchmark, ${report.date}`,
    '',
    `Machine: ${machine.cpus} cpus (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}; ${machine.pinning}.`,
    '',
    `Settings: ${Object.entries(settings).map(([key, value]) => `${key}=${String(value)}`).join(', ')}.`,
    '',
    'Figures are medians over rounds that alternate the targets; ratios are medians of per-round ratios, measured in this run. ' +
      'Compare ratios, not absolute figures across runs: the host drifts by up to 2x between periods (BENCHMARKS.md).',
    '',
    '## Targets',
    '',
    ...report.targets.map((target) => `- **${target.name}**: ${target.description}` +
      (target.status === 'skipped' ? ` (skipped: ${target.reason ?? 'unknown reason'})` : '')),
    '',
  ];
  for (const workload of report.workloads) {
    lines.push(`## ${workload.name}`, '', workload.description, '', ...workloadTable(workload, report.medians), '');
  }
  lines.push('## Ratios', '', ...ratioTable(report.ratios), '');
  lines.push('## Reference (BENCHMARKS.md, another run: for orientation only)', '', ...REFERENCE_LINES, '');
  if (report.notes.length > 0) lines.push('## Notes', '', ...report.notes.map((note) => `- ${note}`), '');
  return lines.join('\n');
}
