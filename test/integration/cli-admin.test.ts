import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { packageRoot } from '../../src/cli/config-source.js';
import type { AdminHotKeys, AdminLoad, AdminRebalance, AdminRoute } from '../../src/client/admin-load-api.js';
import { LoadCounter, LoadReporter } from '../../src/load/index.js';
import { RoutingTable } from '../../src/ring/index.js';
import { SeededRandom, SystemClock, silentLogger } from '../../src/runtime/index.js';
import { startMaster } from '../../shard-master/index.js';
import type { RunningMaster } from '../../shard-master/index.js';
import { closedPort, masterConfig, tempDir } from '../support/master-fixtures.js';

/**
 * `ringcache admin load|hotkeys|route|rebalance` against a real shard-master in this process, fed
 * by a real LoadReporter over HTTP (the proxy's and client library's reporter).
 */
const TOKEN = 'admin-token';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { io: { out: (line) => out.push(line), err: (line) => err.push(line) }, env: {}, cwd: packageRoot() });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('ringcache admin against a real shard-master', () => {
  const dir = tempDir();
  let master: RunningMaster | undefined;
  let masterPort = 0;
  let reporter: LoadReporter | undefined;

  beforeAll(async () => {
    const httpPorts: number[] = [];
    for (let i = 0; i < 6; i++) httpPorts.push(await closedPort());
    const config = masterConfig({
      stateFile: path.join(dir, 'state.json'), token: TOKEN, vnodeCount: 64,
      nodes: ['a', 'a', 'b', 'b', 'c', 'c'].map((zone, index) => ({ id: `n${String(index + 1)}`, zone, host: '127.0.0.1', port: 1 + index, httpPort: httpPorts[index] ?? 0 })),
    });
    const running = await startMaster({ config, clock: new SystemClock(), logger: silentLogger });
    master = running;
    masterPort = Number(new URL(running.url).port);
    const table = new RoutingTable(running.master.table());
    const counter = new LoadCounter(table.vnodeCount, { hotKeySampleEvery: 1 });
    // n1's rows hot, and one key far hotter than the rest.
    table.table.rows.forEach((row, vnode) => {
      const touches = row.replicas.includes('n1') ? 60 : 2;
      for (let i = 0; i < touches; i++) counter.onSend({ kind: 'read', key: Buffer.from('k'), vnode });
    });
    for (let i = 0; i < 300; i++) counter.onRequest(table.vnodeOf(Buffer.from('user:hot')), Buffer.from(i % 3 === 0 ? `cold:${i}` : 'user:hot'), 'read');
    const posting = new LoadReporter({
      masterUrl: running.url, token: TOKEN, name: 'proxy', clock: new SystemClock(), random: new SeededRandom(1), logger: silentLogger,
      counter, epoch: () => table.epoch, intervalMs: 60_000,
    });
    reporter = posting;
    await posting.start();
    await posting.tick();
  });

  afterAll(async () => {
    await reporter?.stop();
    await master?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const args = (...extra: string[]): string[] => ['admin', ...extra, `--master.port=${String(masterPort)}`, `--cluster.token=${TOKEN}`];

  it('delivered the report', () => {
    expect(reporter?.stats).toMatchObject({ sent: 1, failed: 0 });
  });

  it('admin load: a table by default, the API JSON with --json', async () => {
    const human = await cli(args('load'));
    expect(human.err).toBe('');
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/from 1 reporter\(s\); max\/mean \d\.\d{3}/);
    expect(human.out).toMatch(/^n1\s+a\s+1\s+/m);
    const json = JSON.parse((await cli(args('load', '--json'))).out) as AdminLoad;
    expect(json.reporters).toBe(1);
    expect([...json.servers].sort((a, b) => b.opsPerSec - a.opsPerSec)[0]?.id).toBe('n1');
  });

  it('admin hotkeys and route', async () => {
    const hot = JSON.parse((await cli(args('hotkeys', '--json', '--limit', '3'))).out) as AdminHotKeys;
    expect(hot.hotKeys[0]?.key).toBe('user:hot');
    expect(hot.hotKeys.length).toBeLessThanOrEqual(3);
    const route = JSON.parse((await cli(args('route', 'user:hot', '--json'))).out) as AdminRoute;
    expect(route.vnode).toBe(hot.hotKeys[0]?.vnode);
    const human = await cli(args('route', 'user:hot'));
    expect(human.out).toContain(`key user:hot -> vnode ${route.vnode} (epoch 1)`);
    expect((await cli(args('route'))).code).toBe(2);
  });

  it('admin rebalance: a dry run, then --apply hands the moves to the executor (admin moves shows them)', async () => {
    const dry = await cli(args('rebalance'));
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/max\/mean \d\.\d{3} -> \d\.\d{3}; would move \d+ replica/);
    const plan = JSON.parse((await cli(args('rebalance', '--json'))).out) as AdminRebalance;
    expect(plan.moves.length).toBeGreaterThan(0);
    const applied = await cli(args('rebalance', '--apply'));
    expect(applied.err).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.out).toMatch(/replica move\(s\) queued/);
    // No node runs here, so no target ever reports synced: the moves stay queued or in flight.
    const moves = JSON.parse((await cli(args('moves', '--json'))).out) as { inFlight: unknown[]; queuedCount?: number; queued: unknown[] };
    expect(moves.inFlight.length + (moves.queuedCount ?? moves.queued.length)).toBeGreaterThan(0);
  });

  it('a wrong token is a clear failure', async () => {
    const result = await cli(['admin', 'load', `--master.port=${String(masterPort)}`, '--cluster.token=nope']);
    expect(result.code).toBe(1);
    expect(result.err).toContain('RC_ERR_UNAUTHORIZED');
  });
});
