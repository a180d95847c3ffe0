import type { AdminHotKeys, AdminLoad, AdminRebalance, AdminRoute } from '../client/admin-load-api.js';
import { formatTable } from './table-format.js';

/** What `ringcache admin load|rebalance|hotkeys|route` print for a person (--json prints the API's JSON). */

const rate = (value: number): string => (value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1));
const percent = (value: number): string => `${(value * 100).toFixed(1)}%`;

export function bytesText(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? String(Math.round(value)) : value.toFixed(1)} ${units[unit] ?? 'B'}`;
}

export function renderLoad(load: AdminLoad): string[] {
  const rows = load.servers.map((server) => [server.id, server.zone, String(server.capacity), rate(server.opsPerSec), `${bytesText(server.bytesPerSec)}/s`, percent(server.share)]);
  return [
    `epoch ${load.epoch}: ${rate(load.requestsPerSec)} requests/s from ${load.reporters} reporter(s); max/mean ${load.maxOverMean.toFixed(3)} (tolerance ${percent(load.imbalanceTolerance)}, automatic rebalancing ${load.auto ? 'on' : 'off'})`,
    ...formatTable(['server', 'zone', 'capacity', 'replica ops/s', 'bytes', 'share'], rows),
    ...(load.reporters === 0 ? ['no load reports yet: proxies and client libraries post them every rebalance.loadReportIntervalMs'] : []),
  ];
}

export function renderRebalance(plan: AdminRebalance): string[] {
  const verb = plan.dryRun ? 'would move' : 'moves';
  const lines = [
    `epoch ${plan.epoch}: max/mean ${plan.before.maxOverMean.toFixed(3)} -> ${plan.after.maxOverMean.toFixed(3)}; ${verb} ${plan.moves.length} replica(s), ${bytesText(plan.bytesToMove)}, and changes ${plan.leaderChanges.length} leader(s)`,
  ];
  if (plan.moves.length > 0) lines.push(...formatTable(['vnode', 'from', 'to', 'bytes'], plan.moves.map((move) => [String(move.vnode), move.from, move.to, bytesText(move.bytes)])));
  if (plan.dryRun) lines.push(plan.moves.length > 0 && !plan.executor ? 'dry run; this master has no move executor yet, so --apply would apply only a plan of leader changes' : 'dry run: --apply carries it out');
  else {
    const leaders = plan.committedEpoch === null || plan.committedEpoch === undefined ? '' : `leader changes committed as epoch ${plan.committedEpoch}`;
    const moves = plan.moves.length > 0 ? `${plan.moves.length} replica move(s) queued (ringcache admin moves --watch follows them)` : '';
    lines.push(`applied${leaders === '' && moves === '' ? '' : `: ${[leaders, moves].filter((part) => part !== '').join('; ')}`}`);
  }
  return lines;
}

export function renderHotKeys(hot: AdminHotKeys): string[] {
  if (hot.hotKeys.length === 0) return [`epoch ${hot.epoch}: no hot keys reported yet`];
  const rows = hot.hotKeys.map((key) => [key.key, String(key.vnode), key.replicas.join(','), rate(key.opsPerSec), percent(key.share), `±${rate(key.errorPerSec)}`]);
  return [`epoch ${hot.epoch}: ${rate(hot.totalOpsPerSec)} requests/s in all`, ...formatTable(['key', 'vnode', 'replicas', 'ops/s', 'share', 'error'], rows)];
}

export function renderRoute(route: AdminRoute): string[] {
  const rows = route.servers.map((server, position) => [position === 0 ? 'leader' : 'replica', server.id, server.zone ?? '?', `${server.host ?? '?'}:${server.port ?? '?'}`, server.state ?? '?']);
  return [
    `key ${route.key} -> vnode ${route.vnode} (epoch ${route.epoch})${route.pending === null ? '' : `, moving ${route.pending.from} -> ${route.pending.to}`}`,
    ...formatTable(['role', 'server', 'zone', 'address', 'state'], rows),
    `fallbacks (sloppy quorum): ${route.fallbacks.join(', ') || 'none'}`,
  ];
}
