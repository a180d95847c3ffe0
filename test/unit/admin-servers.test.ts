/**
 * The admin routes of membership and moves (shard-master/admin/): plans shown by dry runs,
 * commits with their moves queued and persisted (a restarted master has the same queue), and
 * every refusal a coded 4xx with the table untouched.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { buildMasterHttp } from '../../shard-master/http.js';
import { ShardMaster } from '../../shard-master/master.js';
import { MoveExecutor } from '../../shard-master/moves/move-executor.js';
import { RingcacheError, SystemClock, silentLogger } from '../../src/runtime/index.js';
import type { RingcacheConfig } from '../../src/config/index.js';
import { masterConfig, tempDir } from '../support/master-fixtures.js';

interface Harness {
  readonly master: ShardMaster;
  readonly app: FastifyInstance;
  readonly config: RingcacheConfig;
}

const dirs: string[] = [];
const harnesses: Harness[] = [];

async function harness(stateFile?: string): Promise<Harness> {
  const dir = tempDir();
  dirs.push(dir);
  const config = masterConfig({ stateFile: stateFile ?? path.join(dir, 'state.json'), vnodeCount: 64 });
  const registry = new Registry();
  const clock = new SystemClock();
  const master = new ShardMaster({ config, clock, logger: silentLogger, registry });
  await master.start();
  // No nodes run here: the executor is never started, so no target is ever asked.
  const moves = new MoveExecutor({
    store: { table: () => master.table(), queued: () => master.queuedMoves(), commit: async (next, queued) => { await master.commitPlan(next, undefined, queued); } },
    probe: { progress: () => Promise.reject(new RingcacheError('RC_ERR_UNREACHABLE', 'no nodes in this test')) },
    clock, logger: silentLogger, options: { concurrencyMax: 2, budgetBytesPerMin: 1 << 30, checkIntervalMs: 100 },
  });
  const app = buildMasterHttp(master, { config, logger: silentLogger, registry, moves });
  const built = { master, app, config };
  harnesses.push(built);
  return built;
}

const n6 = { id: 'n6', zone: 'c', capacity: 1, host: '127.0.0.1', port: 7999, httpPort: 7998 };

afterEach(async () => {
  for (const { app, master } of harnesses.splice(0)) {
    await app.close();
    master.stop();
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('admin API: servers', () => {
  it('a dry run shows the moves of an add and changes nothing', async () => {
    const { app, master } = await harness();
    const before = master.table();
    const response = await app.inject({ method: 'POST', url: '/v1/servers?dryRun=1', payload: n6 });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ dryRun: boolean; epoch: number; moves: { vnode: number; from: string; to: string }[] }>();
    expect(body.dryRun).toBe(true);
    expect(body.moves.length).toBeGreaterThan(0);
    expect(body.moves.every((move) => move.to === 'n6')).toBe(true);
    // About the new server's share of V*N = 192 replicas over 6 servers, never much more.
    expect(body.moves.length).toBeLessThanOrEqual(Math.ceil((64 * 3) / 6 * 1.05) + 1);
    expect(master.table()).toBe(before);
    expect(master.queuedMoves()).toEqual([]);
  });

  it('an add commits the server with its moves queued, and a restarted master has the same plan', async () => {
    const { app, master, config } = await harness();
    const epoch = master.table().epoch;
    const response = await app.inject({ method: 'POST', url: '/v1/servers', payload: n6 });
    expect(response.statusCode).toBe(201);
    expect(master.table().epoch).toBe(epoch + 1);
    expect(master.table().servers.map((server) => server.id)).toContain('n6');
    expect(master.table().rows.every((row) => !row.replicas.includes('n6'))).toBe(true);
    const queued = master.queuedMoves();
    expect(queued.length).toBe(response.json<{ moveCount: number }>().moveCount);
    const moves = await app.inject({ method: 'GET', url: '/v1/moves' });
    expect(moves.json<{ queuedCount: number; inFlight: unknown[] }>()).toMatchObject({ queuedCount: queued.length, inFlight: [] });
    const restarted = await harness(config.master.stateFile);
    expect(restarted.master.queuedMoves()).toEqual(queued);
    expect(restarted.master.table()).toEqual(master.table());
  });

  it('refuses an id that exists, unknown fields, malformed JSON and bad values, with the table untouched', async () => {
    const { app, master } = await harness();
    const before = master.table();
    const cases: [unknown, number, string][] = [
      [{ ...n6, id: 'n1' }, 409, 'RC_ERR_SERVER_EXISTS'],
      [{ ...n6, extra: 1 }, 400, 'RC_ERR_BAD_REQUEST'],
      [{ ...n6, port: 70000 }, 400, 'RC_ERR_BAD_REQUEST'],
      [{ ...n6, id: '../x' }, 400, 'RC_ERR_BAD_REQUEST'],
      [[n6], 400, 'RC_ERR_BAD_REQUEST'],
    ];
    for (const [payload, status, code] of cases) {
      const response = await app.inject({ method: 'POST', url: '/v1/servers', payload: payload as object });
      expect(response.statusCode, JSON.stringify(payload)).toBe(status);
      expect(response.json<{ code: string }>().code).toBe(code);
    }
    const malformed = await app.inject({ method: 'POST', url: '/v1/servers', payload: '{"id": "n6",', headers: { 'content-type': 'application/json' } });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json<{ code: string }>().code).toBe('RC_ERR_BAD_REQUEST');
    expect(master.table()).toBe(before);
  });

  it('drains a server into moves away from it; refuses the last server of a zone, an unknown one, and removing one that holds replicas', async () => {
    const { app, master } = await harness();
    const before = master.table();
    const zoneOfN5 = master.servers().find((server) => server.id === 'n5')?.zone;
    const alone = master.servers().filter((server) => server.zone === zoneOfN5).length === 1;
    if (alone) {
      const refused = await app.inject({ method: 'POST', url: '/v1/servers/n5/drain' });
      expect(refused.statusCode).toBe(409);
      expect(refused.json<{ code: string }>().code).toBe('RC_ERR_MEMBERSHIP');
    }
    const unknown = await app.inject({ method: 'POST', url: '/v1/servers/n9/drain' });
    expect(unknown.statusCode).toBe(404);
    const holding = await app.inject({ method: 'DELETE', url: '/v1/servers/n1' });
    expect(holding.statusCode).toBe(409);
    expect(holding.json<{ code: string }>().code).toBe('RC_ERR_MEMBERSHIP');
    expect(master.table()).toBe(before);
    const drained = await app.inject({ method: 'POST', url: '/v1/servers/n1/drain' });
    expect(drained.statusCode).toBe(202);
    const held = before.rows.filter((row) => row.replicas.includes('n1')).length;
    const moves = master.queuedMoves();
    expect(moves.filter((move) => move.from === 'n1')).toHaveLength(held);
    expect(master.servers().find((server) => server.id === 'n1')?.state).toBe('draining');
    // n2 is now zone a's last active server; n3 may go (n2, n4, n5 keep N = 3 and three zones)...
    const lastOfZone = await app.inject({ method: 'POST', url: '/v1/servers/n2/drain' });
    expect(lastOfZone.statusCode).toBe(409);
    expect(lastOfZone.json<{ message: string }>().message).toMatch(/last active server of zone a/);
    expect((await app.inject({ method: 'POST', url: '/v1/servers/n3/drain' })).statusCode).toBe(202);
    // ...and then no one: two active servers cannot hold N = 3.
    const belowN = await app.inject({ method: 'POST', url: '/v1/servers/n4/drain' });
    expect(belowN.statusCode).toBe(409);
    expect(belowN.json<{ message: string }>().message).toMatch(/leave 2 active servers for N=3/);
  });
});
