import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMaster } from '../../shard-master/server.js';
import type { RunningMaster } from '../../shard-master/server.js';
import { TableFollower } from '../../src/client/table-follower.js';
import type { TableFollowerOptions } from '../../src/client/table-follower.js';
import type { Table } from '../../src/ring/index.js';
import { RingcacheError, SystemClock, silentLogger } from '../../src/runtime/index.js';
import { closedPort, masterConfig, recordingLogger, sleep, tempDir, waitFor } from '../support/master-fixtures.js';

const LONG_POLL_MS = 5_000;
const dirs: string[] = [];
const masters: RunningMaster[] = [];
const followers: TableFollower[] = [];

function freshDir(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
}

async function master(stateFile: string, port = 0, token = ''): Promise<RunningMaster> {
  const config = masterConfig({ stateFile, port, token, longPollMs: LONG_POLL_MS, vnodeCount: 256 });
  const running = await startMaster({ config, clock: new SystemClock(), logger: silentLogger });
  masters.push(running);
  return running;
}

function follower(
  masterUrl: string,
  extra: { cacheFile?: string; token?: string; logger?: ReturnType<typeof recordingLogger>; options?: Partial<TableFollowerOptions> } = {},
): TableFollower {
  const built = new TableFollower({
    masterUrl,
    clock: new SystemClock(),
    logger: extra.logger ?? silentLogger,
    ...(extra.cacheFile === undefined ? {} : { cacheFile: extra.cacheFile }),
    ...(extra.token === undefined ? {} : { token: extra.token }),
    options: { longPollMs: LONG_POLL_MS, backoffMsMin: 20, backoffMsMax: 100, startTimeoutMs: 5_000, ...extra.options },
  });
  followers.push(built);
  return built;
}

async function commitNext(running: RunningMaster): Promise<Table> {
  const table = running.master.table();
  return running.master.commit({ ...table, epoch: table.epoch + 1 });
}

function portOf(running: RunningMaster): number {
  return Number(new URL(running.url).port);
}

function cachedEpoch(file: string): number | undefined {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as Table).epoch;
  } catch {
    return undefined;
  }
}

afterEach(async () => {
  for (const each of followers.splice(0)) await each.stop();
  for (const each of masters.splice(0)) await each.stop();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('TableFollower against a real shard-master', () => {
  it('follows a commit within one long poll, rides out a master outage, and catches up after a restart', async () => {
    const stateFile = path.join(freshDir(), 'state.json');
    const first = await master(stateFile);
    const subject = follower(first.url);
    const epochs: number[] = [];
    subject.onChange((table) => epochs.push(table.epoch));
    await subject.start();
    expect(subject.current().epoch).toBe(1);

    await waitFor(() => first.master.longPollWaiters === 1, 'the follower to park its long poll');
    const committedMs = Date.now();
    await commitNext(first);
    await waitFor(() => subject.current().epoch === 2, 'epoch 2');
    expect(Date.now() - committedMs).toBeLessThan(LONG_POLL_MS / 2); // woken, not a new poll round
    expect(epochs).toEqual([1, 2]);

    const port = portOf(first);
    await first.stop();
    await sleep(300); // several failed attempts
    expect(subject.current().epoch).toBe(2);
    const routed = subject.current();
    expect(routed.row(0).replicas).toHaveLength(3);

    const second = await master(stateFile, port);
    await commitNext(second);
    await waitFor(() => subject.current().epoch === 3, 'epoch 3 from the restarted master');
    expect(epochs).toEqual([1, 2, 3]);
  });

  it('starts from its cache file when the master is down, then follows the master once it is back', async () => {
    const dir = freshDir();
    const stateFile = path.join(dir, 'state.json');
    const cacheFile = path.join(dir, 'cache', 'proxy-table.json');
    const first = await master(stateFile);
    const writer = follower(first.url, { cacheFile });
    await writer.start();
    await commitNext(first);
    await waitFor(() => cachedEpoch(cacheFile) === 2, 'the cache file at epoch 2');
    await writer.stop();
    const port = portOf(first);
    await first.stop();

    const logger = recordingLogger();
    const startedMs = Date.now();
    const subject = follower(first.url, { cacheFile, logger });
    await subject.start();
    expect(Date.now() - startedMs).toBeLessThan(2_000);
    expect(subject.current().epoch).toBe(2);
    expect(logger.lines.some((line) => line.level === 'warn' && line.message.includes('cached table'))).toBe(true);

    const second = await master(stateFile, port);
    await commitNext(second);
    await waitFor(() => subject.current().epoch === 3, 'epoch 3 from the master');
    await waitFor(() => cachedEpoch(cacheFile) === 3, 'the cache file at epoch 3');
  });

  it('rejects start with RC_ERR_UNREACHABLE naming the master when there is neither master nor cache', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const cacheFile = path.join(freshDir(), 'absent.json');
    const startedMs = Date.now();
    const error = await follower(url, { cacheFile, options: { startTimeoutMs: 300 } }).start().then(() => undefined, (failure: unknown) => failure);
    const elapsedMs = Date.now() - startedMs;
    expect(error).toBeInstanceOf(RingcacheError);
    expect((error as RingcacheError).code).toBe('RC_ERR_UNREACHABLE');
    expect((error as RingcacheError).message).toContain(url);
    expect((error as RingcacheError).message).toContain(cacheFile);
    expect(elapsedMs).toBeGreaterThanOrEqual(250);
    expect(elapsedMs).toBeLessThan(3_000);
  });

  it('sends the cluster token the master asks for', async () => {
    const running = await master(path.join(freshDir(), 'state.json'), 0, 's3cret');
    const good = follower(running.url, { token: 's3cret' });
    await good.start();
    await commitNext(running);
    await waitFor(() => good.current().epoch === 2, 'epoch 2 with the token');
    const error = await follower(running.url).start().then(() => undefined, (failure: unknown) => failure);
    expect((error as RingcacheError).code).toBe('RC_ERR_UNAUTHORIZED');
  });
});
