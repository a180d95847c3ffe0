/**
 * A node's HTTP port tells whether it is recovering: /health carries `recovering` and the
 * vnodes still pending, /v1/stats the same with anti-entropy's progress.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { MemoryEngine } from '../../src/storage/index.js';
import { RecoveryState, buildNodeHttp } from '../../src/node/index.js';
import type { SyncProgress } from '../../src/anti-entropy/index.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function node(recovery: RecoveryState, progress: SyncProgress): FastifyInstance {
  const app = buildNodeHttp({
    serverId: 'n1', registry: new Registry(), engine: new MemoryEngine({ bytesMax: 1 << 20 }), epoch: () => 4, actor: () => 'n1.a',
    recovery, syncProgress: () => progress,
  });
  apps.push(app);
  return app;
}

describe('node HTTP while recovering', () => {
  it('/health and /v1/stats say recovering and how many vnodes are pending, then in sync', async () => {
    const recovery = new RecoveryState();
    recovery.begin([3, 7, 9]);
    recovery.markSynced(7);
    const progress: SyncProgress = { recovering: true, pendingVnodes: 2, heldVnodes: 3, rounds: 5, roundsFailed: 1, vnodeOutcomes: { equal: 3, repaired: 2, partial: 0, failed: 1 }, keysRepaired: 40, bytesSent: 900, bytesReceived: 4000, lastCompleteAtMs: 1234 };
    const app = node(recovery, progress);
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok', serverId: 'n1', epoch: 4, actor: 'n1.a', recovering: true, pendingVnodes: 2 });
    const stats = (await app.inject({ method: 'GET', url: '/v1/stats' })).json<Record<string, unknown>>();
    expect(stats.recovery).toEqual({ recovering: true, pendingVnodes: 2 });
    expect(stats.antiEntropy).toEqual(progress);
    recovery.markSynced(3);
    recovery.markSynced(9);
    expect((await app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({ recovering: false, pendingVnodes: 0 });
  });
});

describe('RecoveryState', () => {
  it('waits for its vnodes, settles when none is left, and a vnode added later makes it recovering again', () => {
    const recovery = new RecoveryState();
    const heard: boolean[] = [];
    recovery.onChange((recovering) => heard.push(recovering));
    expect(recovery.recovering).toBe(true);
    expect(recovery.isPending(12)).toBe(true);
    recovery.begin([1, 2]);
    expect(recovery.pendingList()).toEqual([1, 2]);
    recovery.remove(2);
    recovery.markSynced(1);
    expect(recovery.recovering).toBe(false);
    recovery.add(5);
    expect([recovery.recovering, recovery.isPending(5), recovery.pending]).toEqual([true, true, 1]);
    recovery.markSynced(5);
    expect(heard).toEqual([false, true, false]);
  });
});
