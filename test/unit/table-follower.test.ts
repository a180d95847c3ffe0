import { afterEach, describe, expect, it } from 'vitest';
import { placeTable } from '../../shard-master/placement.js';
import { TableFollower } from '../../src/client/table-follower.js';
import type { TableFollowerOptions } from '../../src/client/table-follower.js';
import type { ServerInfo, Table } from '../../src/ring/index.js';
import { SeededRandom, SystemClock, isRingcacheError } from '../../src/runtime/index.js';
import { recordingLogger, sleep, waitFor } from '../support/master-fixtures.js';

function server(id: string, zone: string): ServerInfo {
  return { id, zone, capacity: 1, host: '127.0.0.1', port: 7100, httpPort: 7200, state: 'active' };
}

const servers = [server('n1', 'a'), server('n2', 'b'), server('n3', 'c'), server('n4', 'a')];
const base = placeTable({ servers, vnodeCount: 16, replicaCount: 3, epoch: 1 });
const at = (epoch: number): Table => ({ ...base, epoch });

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/**
 * A scripted master behind the injected fetch: answers /v1/table like the real one, parks
 * ?since= polls until `publish`, and can be taken down or made to answer something else.
 */
class FakeMaster {
  table: Table = at(1);
  down = false;
  /** When set, answers every request instead of the normal behaviour. */
  override: ((url: URL) => Response) | undefined;
  readonly calls: string[] = [];
  private readonly parked: { since: number; resolve: (response: Response) => void }[] = [];

  readonly fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    this.calls.push(`${url.pathname}${url.search}`);
    if (this.down) return Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }));
    if (this.override !== undefined) return Promise.resolve(this.override(url));
    const since = url.searchParams.get('since');
    if (since === null || this.table.epoch > Number(since)) return Promise.resolve(json(this.table));
    return new Promise((resolve, reject) => {
      const entry = { since: Number(since), resolve };
      this.parked.push(entry);
      init?.signal?.addEventListener('abort', () => {
        this.parked.splice(this.parked.indexOf(entry), 1);
        reject(new DOMException('This operation was aborted', 'AbortError'));
      });
    });
  };

  get waiting(): number {
    return this.parked.length;
  }

  /** Commits a table; `wake: false` loses the wake-up (a hung long poll). */
  publish(table: Table, wake = true): void {
    this.table = table;
    if (!wake) return;
    for (const entry of this.parked.splice(0)) entry.resolve(json(table));
  }
}

const followers: TableFollower[] = [];

function follower(master: FakeMaster, options: Partial<TableFollowerOptions> = {}, token?: string): TableFollower & { logger: ReturnType<typeof recordingLogger> } {
  const logger = recordingLogger();
  const built = new TableFollower({
    masterUrl: 'http://master.test:7000/',
    ...(token === undefined ? {} : { token }),
    clock: new SystemClock(),
    logger,
    fetch: master.fetch,
    random: new SeededRandom(1),
    options: { backoffMsMin: 10, backoffMsMax: 40, startTimeoutMs: 2_000, ...options },
  });
  followers.push(built);
  return Object.assign(built, { logger });
}

afterEach(async () => {
  for (const each of followers.splice(0)) await each.stop();
});

describe('TableFollower (scripted master)', () => {
  it('starts from GET /v1/table and follows commits through long polls', async () => {
    const master = new FakeMaster();
    const subject = follower(master);
    const seen: [number, number | undefined][] = [];
    subject.onChange((table, previous) => seen.push([table.epoch, previous?.epoch]));
    expect(() => subject.current()).toThrow(/before start/);
    await subject.start();
    expect(subject.current().epoch).toBe(1);
    await waitFor(() => master.waiting === 1, 'the long poll');
    expect(master.calls).toEqual(['/v1/table', '/v1/table?since=1&waitMs=25000']);
    master.publish(at(2));
    await waitFor(() => subject.current().epoch === 2, 'epoch 2');
    expect(seen).toEqual([[1, undefined], [2, 1]]);
  });

  it('sends the cluster token, and fails start at once when the master refuses it', async () => {
    const master = new FakeMaster();
    master.override = () => json({ code: 'RC_ERR_UNAUTHORIZED', message: 'cluster token wrong' }, 401);
    const subject = follower(master, {}, 'nope');
    const error = await subject.start().then(() => undefined, (failure: unknown) => failure);
    expect(isRingcacheError(error, 'RC_ERR_UNAUTHORIZED')).toBe(true);
    expect((error as Error).message).toContain('cluster.token');
    expect(master.calls).toHaveLength(1);
  });

  it('refuses an invalid table and keeps routing on the last good one', async () => {
    const master = new FakeMaster();
    const subject = follower(master);
    await subject.start();
    await waitFor(() => master.waiting === 1, 'the long poll');
    const broken = { ...at(2), rows: base.rows.slice(1) };
    master.publish(broken);
    await waitFor(() => subject.logger.lines.some((line) => line.level === 'warn' && String((line.fields as { err?: string }).err).includes('16 rows')) || master.calls.length > 3, 'the refusal');
    expect(subject.current().epoch).toBe(1);
    master.publish(at(3));
    await waitFor(() => subject.current().epoch === 3, 'epoch 3');
  });

  it('backs off while the master fails, keeps its table, and logs the streak once', async () => {
    const master = new FakeMaster();
    const subject = follower(master, { backoffMsMin: 20, backoffMsMax: 40 });
    await subject.start();
    await waitFor(() => master.waiting === 1, 'the long poll');
    master.down = true;
    master.publish(at(1)); // ends the parked poll with an epoch we have (a failure); the next ones fail too
    master.override = () => json({ code: 'RC_ERR_INTERNAL', message: 'boom' }, 500);
    const callsBefore = master.calls.length;
    await sleep(300);
    const attempts = master.calls.length - callsBefore;
    // 300 ms at 10..40 ms per attempt: a handful, not a spin.
    expect(attempts).toBeGreaterThan(3);
    expect(attempts).toBeLessThan(40);
    expect(subject.current().epoch).toBe(1);
    expect(subject.logger.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    master.down = false;
    master.override = undefined;
    master.publish(at(2));
    await waitFor(() => subject.current().epoch === 2, 'epoch 2 after the outage');
  });

  it('does not spin when the master answers an epoch it is not ahead of', async () => {
    const master = new FakeMaster();
    const subject = follower(master, { backoffMsMin: 50, backoffMsMax: 50 });
    await subject.start();
    await waitFor(() => master.waiting === 1, 'the long poll');
    // A master restored from an older state file, answering at once with an epoch we are past.
    master.override = () => json(at(1));
    master.publish(at(1));
    await sleep(200);
    expect(master.calls.length).toBeLessThan(10);
    expect(subject.current().epoch).toBe(1);
    expect(subject.logger.lines.some((line) => String((line.fields as { err?: string }).err).includes('not newer than our 1'))).toBe(true);
  });

  it('observeEpoch cuts a backoff short', async () => {
    const master = new FakeMaster();
    const subject = follower(master, { backoffMsMin: 60_000, backoffMsMax: 60_000 });
    await subject.start();
    await waitFor(() => master.waiting === 1, 'the long poll');
    master.down = true;
    subject.observeEpoch(1); // not newer: ignored
    expect(master.waiting).toBe(1);
    subject.observeEpoch(2); // aborts the poll; the retry fails (down) and backs off for ~a minute
    await waitFor(() => master.calls.length === 3, 'the failed retry');
    master.down = false;
    master.publish(at(3), false);
    subject.observeEpoch(3);
    await waitFor(() => subject.current().epoch === 3, 'epoch 3 without waiting out the backoff', 2_000);
  });

  it('observeEpoch re-asks at once when a long poll missed its wake-up', async () => {
    const master = new FakeMaster();
    const subject = follower(master);
    await subject.start();
    await waitFor(() => master.waiting === 1, 'the long poll');
    master.publish(at(2), false);
    subject.observeEpoch(2);
    await waitFor(() => subject.current().epoch === 2, 'epoch 2', 2_000);
    expect(subject.logger.lines.filter((line) => line.level === 'warn')).toHaveLength(0); // not a failure
  });

  it('refuses a table above tableBytesMax', async () => {
    const master = new FakeMaster();
    const subject = follower(master, { tableBytesMax: 100, startTimeoutMs: 100 });
    const error = await subject.start().then(() => undefined, (failure: unknown) => failure);
    expect(isRingcacheError(error, 'RC_ERR_UNREACHABLE')).toBe(true);
    expect((error as Error).message).toContain('tableBytesMax=100');
  });

  it('keeps calling listeners when one throws', async () => {
    const master = new FakeMaster();
    const subject = follower(master);
    const seen: number[] = [];
    subject.onChange(() => { throw new Error('listener bug'); });
    const unsubscribe = subject.onChange((table) => seen.push(table.epoch));
    await subject.start();
    master.publish(at(2));
    await waitFor(() => seen.length === 2, 'both epochs');
    unsubscribe();
    master.publish(at(3));
    await waitFor(() => subject.current().epoch === 3, 'epoch 3');
    expect(seen).toEqual([1, 2]);
    expect(subject.logger.lines.filter((line) => line.level === 'error')).toHaveLength(3); // epochs 1, 2, 3
  });

  it('stop aborts the long poll at once and is idempotent', async () => {
    const master = new FakeMaster();
    const subject = follower(master);
    await subject.start();
    await waitFor(() => master.waiting === 1, 'the long poll');
    const startedMs = Date.now();
    await Promise.all([subject.stop(), subject.stop()]);
    expect(Date.now() - startedMs).toBeLessThan(500);
    expect(master.waiting).toBe(0);
    expect(subject.current().epoch).toBe(1); // still answers after stop
  });
});
