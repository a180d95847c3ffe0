/**
 * Real processes, the table in motion: while writes run through the proxy, a sixth node started
 * outside the config file is added with `ringcache admin add`, a node is drained with `ringcache
 * admin drain` and removed once empty. Beside the tracked writes runs the load of `ringcache
 * load` (its RESP driver and Zipf GET/SET mix, pipelined, stopped when the moves are done).
 * Neither may see a single error (a request fenced by a node on a newer table is retried by the
 * proxy), every acknowledged write must read back afterwards, and the moves must have copied
 * data (the figures are printed for the record).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/runtime/index.js';
import type { Table } from '../../src/ring/index.js';
import { runRespLoad, zipfMix } from '../../load/resp-driver.js';
import { ZipfKeys } from '../../load/zipf-keys.js';
import { ProcessCluster } from '../support/process-cluster.js';
import { testPort } from '../support/ports.js';

const clock = new SystemClock();
const run = promisify(execFile);
const LAUNCHER = fileURLToPath(new URL('../../bin/ringcache.js', import.meta.url));

interface MovesAnswer {
  readonly epoch: number;
  readonly inFlight: readonly unknown[];
  readonly queuedCount: number;
  readonly completed: number;
  readonly bytesMoved: number;
  readonly keysMoved: number;
}

/** Unique keys written one after another until stopped (at most 20,000). */
function startWrites(redis: Redis): { acked: Map<string, string>; failures: string[]; stop(): Promise<void> } {
  const acked = new Map<string, string>();
  const failures: string[] = [];
  const state = { stopping: false };
  const done = (async () => {
    for (let i = 0; i < 20_000 && !state.stopping; i++) {
      const key = `m:${String(i)}`;
      try {
        await redis.set(key, `v${String(i)}`, 'EX', 3600);
        acked.set(key, `v${String(i)}`);
      } catch (error) {
        failures.push(`${key}: ${(error as Error).message}`);
      }
    }
  })();
  return { acked, failures, stop: async () => { state.stopping = true; await done; } };
}

describe('servers added and drained while writes run (real processes)', () => {
  const cluster = new ProcessCluster({
    nodes: 5,
    overrides: {
      antiEntropy: { intervalMs: 100 },
      master: { moveCheckIntervalMs: 100, moveConcurrencyMax: 8 },
      node: { transferGraceMs: 1000 },
      hints: { ageMsMax: 60_000 },
      storage: { tombstoneGraceMs: 600_000 },
    },
  });
  let redis: Redis | undefined;
  let n6Port = 0;
  let n6HttpPort = 0;

  const admin = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(process.execPath, [LAUNCHER, 'admin', ...args, '--config', cluster.configFile], { timeout: 20_000 });
    return stdout;
  };
  const moves = async (): Promise<MovesAnswer> => JSON.parse(await admin('moves', '--json')) as MovesAnswer;
  const table = async (): Promise<Table> => (await fetch(`http://127.0.0.1:${String(cluster.masterPort)}/v1/table`, { headers: cluster.authorization })).json() as Promise<Table>;

  /** Waits until nothing is in flight or queued; returns the ms it took. */
  const settle = async (deadlineMs: number): Promise<number> => {
    const began = clock.nowMs();
    while (clock.nowMs() - began < deadlineMs) {
      const answer = await moves();
      if (answer.inFlight.length === 0 && answer.queuedCount === 0) return clock.nowMs() - began;
      await clock.sleep(200);
    }
    throw new Error(`moves not done within ${String(deadlineMs)} ms: ${JSON.stringify(await moves())}`);
  };

  beforeAll(async () => {
    await cluster.start();
    n6Port = await testPort();
    n6HttpPort = await testPort();
    await cluster.startRole('n6', ['node', '--id', 'n6', '--zone', 'c', '--host', '127.0.0.1', '--port', String(n6Port), '--http-port', String(n6HttpPort)]);
    const client = new Redis({ port: cluster.respPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    redis = client;
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    redis?.disconnect();
    await cluster.kill('n6');
    await cluster.stop();
  }, 60_000);

  it('adds n6, drains and removes n1 while `ringcache load` runs: no client error, no acknowledged write lost', async () => {
    const client = redis as Redis;
    const load = startWrites(client);
    const stopZipf = new AbortController();
    const zipf = runRespLoad({
      host: '127.0.0.1', port: cluster.respPort, connections: 4, pipeline: 4,
      workload: zipfMix(new ZipfKeys({ keyCount: 5000, skew: 0.99, valueBytes: 100 }), 0.9),
      requestsMax: 5_000_000, durationMs: 200_000, signal: stopZipf.signal,
    });
    await clock.sleep(1500);
    const dry = await admin('add', '--id', 'n6', '--zone', 'c', '--host', '127.0.0.1', '--port', String(n6Port), '--http-port', String(n6HttpPort), '--dry-run');
    expect(dry).toMatch(/dry run: would commit epoch 2: n6 active, \d+ replica moves to queue/);
    expect((await table()).epoch).toBe(1);
    const added = JSON.parse(await admin('add', '--id', 'n6', '--zone', 'c', '--host', '127.0.0.1', '--port', String(n6Port), '--http-port', String(n6HttpPort), '--json')) as { moveCount: number };
    expect(added.moveCount).toBeGreaterThan(0);
    const addMs = await settle(90_000);
    const afterAdd = await moves();
    const held = (await table()).rows.filter((row) => row.replicas.includes('n6')).length;
    expect(held).toBe(added.moveCount);

    const drained = JSON.parse(await admin('drain', 'n1', '--json')) as { moveCount: number };
    expect(drained.moveCount).toBeGreaterThan(0);
    // While n1 still holds rows the master refuses to remove it; a drain that already finished
    // (its moves are quick on a quiet host) lets the remove through, which the master allows
    // only once no row names n1.
    const early = await admin('remove', 'n1').then((out) => ({ out }), (error: unknown) => ({ error }));
    if ('error' in early) expect(String(early.error)).toMatch(/RC_ERR_MEMBERSHIP/);
    else expect(early.out).toMatch(/removed n1/);
    const drainMs = await settle(90_000);
    const afterDrain = await moves();
    expect((await table()).rows.every((row) => !row.replicas.includes('n1'))).toBe(true);
    if ('error' in early) expect(await admin('remove', 'n1')).toMatch(/removed n1/);
    await clock.sleep(500);
    await load.stop();
    stopZipf.abort();
    const zipfResult = await zipf;

    console.log(JSON.stringify({
      writes: load.acked.size, writeFailures: load.failures.length,
      load: { requests: zipfResult.requests, opsPerSec: Math.round(zipfResult.opsPerSec), errors: zipfResult.errorKinds, lost: zipfResult.lost },
      add: { moves: added.moveCount, ms: addMs, keys: afterAdd.keysMoved, bytes: afterAdd.bytesMoved },
      drain: { moves: drained.moveCount, ms: drainMs, keys: afterDrain.keysMoved - afterAdd.keysMoved, bytes: afterDrain.bytesMoved - afterAdd.bytesMoved },
    }));
    expect(load.failures.slice(0, 10)).toEqual([]);
    expect(zipfResult.errorKinds).toEqual({});
    expect(zipfResult.lost).toBe(0);
    expect(zipfResult.requests).toBeGreaterThan(10_000);
    expect(load.acked.size).toBeGreaterThan(500);
    expect(afterDrain.keysMoved).toBeGreaterThan(0);
    const wrong: string[] = [];
    for (const [key, value] of load.acked) {
      const read = await client.get(key);
      if (read !== value) wrong.push(`${key}: ${String(read)} (wrote ${value})`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  }, 240_000);
});
