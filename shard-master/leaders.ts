/**
 * Which replica of each row comes first. The first live replica coordinates every write of the
 * vnode (it assigns the dot, then fans out), so a server that leads more rows than its share does
 * more write work than its data says. Consistent hashing and evening balance how many replicas a
 * server holds, not how many rows it leads: with 6 servers and V=1024, N=3 the leads ranged from
 * 146 to 194 (ideal 171).
 *
 * Reordering a row moves no data, so the leads are balanced exactly: a server holding r replicas
 * leads floor(r/N) or ceil(r/N) rows. Spreading each row's lead evenly over its N replicas gives
 * every server exactly r/N, so integral leads within floor..ceil exist (flow integrality), and
 * augmenting paths find them:
 *
 *     s leads too many     row v led by s      row w led by a      t leads too few
 *     s ---- v (holds a) ----> a ---- w (holds t) ----> t          => a leads v, t leads w
 *
 * Starting from the rows as they are (a derived table keeps its leaders), only the leads on one
 * path change per step, so a table change moves few coordinators.
 */
import type { TableRow } from '../src/ring/index.js';

interface Step {
  readonly from: number;
  readonly vnode: number;
}

export function balanceLeaders(rows: readonly TableRow[], replicaCount: number): TableRow[] {
  if (replicaCount <= 1 || rows.length === 0) return [...rows];
  const ids = [...new Set(rows.flatMap((row) => row.replicas))].sort();
  const indexOf = new Map(ids.map((id, index) => [id, index]));
  const members = rows.map((row) => row.replicas.map((id) => indexOf.get(id) ?? -1));
  const held = new Array<number>(ids.length).fill(0);
  for (const row of members) for (const server of row) held[server] = (held[server] ?? 0) + 1;
  const low = held.map((count) => Math.floor(count / replicaCount));
  const high = held.map((count) => Math.ceil(count / replicaCount));
  const leader = members.map((row) => row[0] ?? -1);
  const leads = new Array<number>(ids.length).fill(0);
  const led: Set<number>[] = ids.map(() => new Set<number>());
  leader.forEach((server, vnode) => {
    leads[server] = (leads[server] ?? 0) + 1;
    led[server]?.add(vnode);
  });

  const shift = (path: readonly Step[], last: number): void => {
    let to = last;
    for (let i = path.length - 1; i >= 0; i--) {
      const { from, vnode } = path[i] as Step;
      led[from]?.delete(vnode);
      led[to]?.add(vnode);
      leader[vnode] = to;
      to = from;
    }
    leads[to] = (leads[to] ?? 0) - 1;
    leads[last] = (leads[last] ?? 0) + 1;
  };

  /** A path of lead hand-overs from one of `sources` to a server for which `accepts` holds. */
  const findPath = (sources: readonly number[], accepts: (server: number) => boolean): { path: Step[]; last: number } | undefined => {
    const parent = new Map<number, Step | null>();
    const queue: number[] = [];
    for (const source of sources) {
      parent.set(source, null);
      queue.push(source);
    }
    for (let head = 0; head < queue.length; head++) {
      const server = queue[head] as number;
      for (const vnode of led[server] ?? []) {
        for (const next of members[vnode] ?? []) {
          if (parent.has(next)) continue;
          parent.set(next, { from: server, vnode });
          if (accepts(next)) {
            const path: Step[] = [];
            for (let step = parent.get(next); step !== null && step !== undefined; step = parent.get(step.from)) path.push(step);
            return { path: path.reverse(), last: next };
          }
          queue.push(next);
        }
      }
    }
    return undefined;
  };

  for (;;) {
    const over = leads.findIndex((count, server) => count > (high[server] ?? 0));
    let found: { path: Step[]; last: number } | undefined;
    if (over !== -1) {
      found = findPath([over], (server) => (leads[server] ?? 0) < (high[server] ?? 0));
    } else {
      const under = leads.findIndex((count, server) => count < (low[server] ?? 0));
      if (under === -1) break;
      // Backwards would need reverse edges; forwards from every server that can give one up.
      const givers = leads.flatMap((count, server) => (count > (low[server] ?? 0) ? [server] : []));
      found = findPath(givers, (server) => server === under);
    }
    // Unreachable by the flow argument above; stop rather than loop if it ever were.
    if (found === undefined) break;
    shift(found.path, found.last);
  }

  return rows.map((row, vnode) => {
    const first = ids[leader[vnode] ?? -1];
    if (first === undefined || row.replicas[0] === first) return row;
    const replicas = [first, ...row.replicas.filter((id) => id !== first)];
    return row.pending === undefined ? { replicas } : { replicas, pending: row.pending };
  });
}
