import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterWatch, watchDetection, watchReturn } from '../../load/cluster-watch.js';
import { ProcessCluster } from '../support/process-cluster.js';

/**
 * A kill -9 must reach every member and the proxy within this here. The target is 2 s, and
 * `ringcache bench detection` measures it (median 782 ms, docs/BENCHMARKS.md); this test runs
 * beside the rest of the suite on a shared machine, so it holds the detector to 3.5 s, which still
 * fails a detector that waits out Lifeguard's longest suspicion (3.6 s on 5 nodes).
 */
const DETECTION_MS_MAX = 3500;

/**
 * When a role's own log said it holds `member` down, on the wall clock of this machine: the
 * moment it decided, not when a poll from this (equally loaded) test process saw it.
 */
function loggedDownAtMs(cluster: ProcessCluster, role: string, member: string, sinceMs: number): number | undefined {
  const message = role === 'proxy' ? 'gossip view: server down' : 'member down';
  for (const line of (cluster.roles.get(role)?.output ?? []).join('').split('\n')) {
    if (!line.includes(message)) continue;
    const entry = JSON.parse(line) as { time?: number; member?: string; server?: string; msg?: string };
    if (entry.msg === message && (entry.member ?? entry.server) === member && (entry.time ?? 0) >= sinceMs) return entry.time;
  }
  return undefined;
}

/** The members `role` itself declared down (its suspicion timed out) since `sinceMs`, as `member@ms after it`. */
function declaredDown(cluster: ProcessCluster, role: string, sinceMs: number): string[] {
  const lines = (cluster.roles.get(role)?.output ?? []).join('').split('\n').filter((line) => line.includes('member down'));
  return lines.map((line) => JSON.parse(line) as { time?: number; member?: string; accuser?: string; msg?: string })
    .filter((entry) => entry.msg === 'member down' && entry.accuser === role && (entry.time ?? 0) >= sinceMs)
    .map((entry) => `${entry.member ?? '?'}@${String((entry.time ?? 0) - sinceMs)}`);
}

function nodesOf(cluster: ProcessCluster): { id: string; host: string; port: number; httpPort: number }[] {
  return cluster.config.nodes as { id: string; host: string; port: number; httpPort: number }[];
}

/** Real processes, default membership settings: a node killed with SIGKILL is seen down by gossip. */
describe('gossip failure detection between real processes', () => {
  const cluster = new ProcessCluster({ nodes: 5 });
  let watch: ClusterWatch;
  let readyAtMs = 0;
  const downsAtReady = new Map<string, number>();

  beforeAll(async () => {
    await cluster.start();
    watch = new ClusterWatch({
      nodes: nodesOf(cluster), token: cluster.token, proxyPassword: '',
      proxyHttpUrl: `http://127.0.0.1:${String(cluster.httpPort)}`,
      masterUrl: `http://127.0.0.1:${String(cluster.masterPort)}`,
    });
    // Every node has heard from every other (a claim with an incarnation, not just the table).
    const heard = await watchReturn(watch, 'n1', cluster.nodeIds, 10_000);
    expect(heard).toBe(true);
    // Nodes start side by side: one whose process is still starting when the others first probe
    // it is down (nothing answers) until it refutes. Those downs are right; the count starts here.
    readyAtMs = Date.now();
    for (const node of nodesOf(cluster)) downsAtReady.set(node.id, (await watch.counters(node))?.downs ?? 0);
  }, 60_000);

  afterAll(async () => {
    await watch.close();
    await cluster.stop();
  }, 60_000);

  it('sees a node killed with kill -9 down at every other node and at the proxy within 3.5 s (2 s in the benchmark), then up again after a restart', async () => {
    const victim = 'n3';
    const pid = cluster.roles.get(victim)?.child.pid;
    expect(pid).toBeGreaterThan(0);
    const observers = cluster.nodeIds.filter((id) => id !== victim);
    // Learn the proxy's key for n3 before the clock starts.
    expect(await watch.proxyHoldsDown(victim)).toBe(false);
    const killedAt = performance.now();
    const killedAtMs = Date.now();
    process.kill(pid!, 'SIGKILL');
    // From outside: every survivor's RC.VIEW and the proxy's route say so.
    const times = await watchDetection(watch, victim, observers, killedAt, 10_000);
    expect(times.missing).toEqual([]);
    // From their own logs: each decided within the bound.
    const decided = [...observers, 'proxy'].map((role) => [role, (loggedDownAtMs(cluster, role, victim, killedAtMs) ?? Number.POSITIVE_INFINITY) - killedAtMs] as const);
    const seen = decided.map(([role, ms]) => `${role} ${ms.toFixed(0)} ms`).join(', ');
    const polled = [...times.byObserver].map(([observer, ms]) => `${observer} ${ms.toFixed(0)} ms`).join(', ');
    console.log(`membership: ${victim} killed with SIGKILL, held down by ${seen} (polled from outside: ${polled})`);
    for (const [role, ms] of decided) expect(ms, `${role} held ${victim} down after ${ms.toFixed(0)} ms (${seen})`).toBeLessThan(DETECTION_MS_MAX);
    // The master pulls the same view: /v1/cluster and `ringcache status` show it.
    await expect.poll(() => watch.masterSees(victim), { timeout: 3000, interval: 50 }).toBe('down');

    await cluster.startRole(victim, ['node', '--id', victim]);
    expect(await watchReturn(watch, victim, observers, 10_000)).toBe(true);
    await expect.poll(() => watch.proxyHoldsDown(victim), { timeout: 3000, interval: 50 }).toBe(false);
    await expect.poll(() => watch.masterSees(victim), { timeout: 3000, interval: 50 }).not.toBe('down');
  }, 60_000);

  it('declared no other node down on the way', async () => {
    // Who each node itself declared down since the cluster was ready, from its own log.
    const declared = cluster.nodeIds.map((id) => `${id}: [${declaredDown(cluster, id, readyAtMs).join(', ')}]`).join('; ');
    for (const node of nodesOf(cluster)) {
      const counters = await watch.counters(node);
      expect(counters).toBeDefined();
      expect(counters!.probes).toBeGreaterThan(0);
      // Each survivor declared at most n3 down (once); n3 itself restarted with fresh counters.
      const since = counters!.downs - (node.id === 'n3' ? 0 : downsAtReady.get(node.id) ?? 0);
      expect(since, `${node.id} declared ${String(since)} downs since ready (${declared})`).toBeLessThanOrEqual(1);
      expect(declaredDown(cluster, node.id, readyAtMs).filter((entry) => !entry.startsWith('n3@')), declared).toEqual([]);
    }
  });
});
