import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMaster } from '../../shard-master/server.js';
import type { RunningMaster } from '../../shard-master/server.js';
import type { Table } from '../../src/ring/index.js';
import { RingcacheError, SystemClock, silentLogger } from '../../src/runtime/index.js';
import { masterConfig, tempDir, waitFor } from '../support/master-fixtures.js';

const dirs: string[] = [];
const running: RunningMaster[] = [];

async function start(stateFile: string, longPollMs = 10_000, port = 0): Promise<RunningMaster> {
  const master = await startMaster({ config: masterConfig({ stateFile, port, longPollMs }), clock: new SystemClock(), logger: silentLogger });
  running.push(master);
  return master;
}

async function getTable(url: string): Promise<Table> {
  const response = await fetch(`${url}/v1/table`);
  expect(response.status).toBe(200);
  return (await response.json()) as Table;
}

function stateFileIn(): string {
  const dir = tempDir();
  dirs.push(dir);
  return path.join(dir, 'var', 'master-state.json');
}

afterEach(async () => {
  for (const master of running.splice(0)) await master.stop();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('shard-master restart', () => {
  it('comes back with the same epoch and a deep-equal table', async () => {
    const stateFile = stateFileIn();
    const first = await start(stateFile);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.url).not.toMatch(/:0$/);
    const table = await getTable(first.url);
    expect(table.epoch).toBe(1);
    await first.master.commit({ ...table, epoch: 2 });
    const before = await getTable(first.url);
    await first.stop();
    await first.stop(); // idempotent

    const second = await start(stateFile);
    const after = await getTable(second.url);
    expect(after.epoch).toBe(2);
    expect(after).toEqual(before);
  });

  it('answers parked long polls when it stops, instead of waiting them out', async () => {
    const master = await start(stateFileIn(), 60_000);
    const polled = fetch(`${master.url}/v1/table?since=1`);
    await waitFor(() => master.master.longPollWaiters === 1, 'the long poll to park');
    const startedMs = Date.now();
    await master.stop();
    expect((await polled).status).toBe(304);
    expect(Date.now() - startedMs).toBeLessThan(5_000);
  });

  it('frees the waiter of a client that hangs up', async () => {
    const master = await start(stateFileIn(), 60_000);
    const controller = new AbortController();
    const polled = fetch(`${master.url}/v1/table?since=1`, { signal: controller.signal }).catch(() => 'aborted');
    await waitFor(() => master.master.longPollWaiters === 1, 'the long poll to park');
    controller.abort();
    expect(await polled).toBe('aborted');
    await waitFor(() => master.master.longPollWaiters === 0, 'the waiter to be freed');
  });

  it('names the address when the port is taken', async () => {
    const first = await start(stateFileIn());
    const port = Number(new URL(first.url).port);
    const error = await start(stateFileIn(), 10_000, port).then(() => undefined, (failure: unknown) => failure);
    expect(error).toBeInstanceOf(RingcacheError);
    expect((error as RingcacheError).code).toBe('RC_ERR_CONFIG');
    expect((error as RingcacheError).message).toContain(`127.0.0.1:${port}`);
  });
});
