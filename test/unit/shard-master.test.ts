import fs from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ShardMaster } from '../../shard-master/master.js';
import type { ShardMasterOptions } from '../../shard-master/master.js';
import { placeTable } from '../../shard-master/placement.js';
import type { RingcacheConfig } from '../../src/config/index.js';
import type { Table } from '../../src/ring/index.js';
import { SystemClock, silentLogger } from '../../src/runtime/index.js';
import type { Logger } from '../../src/runtime/index.js';
import { FIVE_NODES, masterConfig, recordingLogger, tempDir } from '../support/master-fixtures.js';

const dirs: string[] = [];
const masters: ShardMaster[] = [];

function newMaster(config: RingcacheConfig, logger: Logger = silentLogger, options: Partial<ShardMasterOptions> = {}): ShardMaster {
  const master = new ShardMaster({ config, clock: new SystemClock(), logger, registry: new Registry(), options });
  masters.push(master);
  return master;
}

function stateFileIn(): string {
  const dir = tempDir();
  dirs.push(dir);
  return path.join(dir, 'var', 'master-state.json');
}

/** The next epoch with the same rows: a valid table, as a rebalancer's no-op plan would be. */
function next(table: Table): Table {
  return { ...table, epoch: table.epoch + 1 };
}

afterEach(() => {
  for (const master of masters.splice(0)) master.stop();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('ShardMaster', () => {
  it('bootstraps epoch 1 from config.nodes with the placement, and persists it', async () => {
    const stateFile = stateFileIn();
    const config = masterConfig({ stateFile, vnodeCount: 256 });
    const master = newMaster(config);
    await master.start();
    const table = master.table();
    expect(table.epoch).toBe(1);
    expect(table.vnodeCount).toBe(256);
    expect(table.replicaCount).toBe(3);
    expect(master.servers().map((server) => server.id)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    const servers = master.servers();
    expect(table).toEqual(placeTable({ servers, vnodeCount: 256, replicaCount: 3, epoch: 1, tokensPerServer: config.cluster.tokensPerServer }));
    const persisted = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { formatVersion: number; table: Table };
    expect(persisted.formatVersion).toBe(1);
    expect(persisted.table).toEqual(table);
  });

  it('keeps the persisted state on restart and warns about config servers it does not have', async () => {
    const stateFile = stateFileIn();
    const first = newMaster(masterConfig({ stateFile, vnodeCount: 256 }));
    await first.start();
    await first.commit(next(first.table()));
    first.stop();

    const logger = recordingLogger();
    const nodes = [...FIVE_NODES, { id: 'n6', zone: 'c', port: 7106, httpPort: 7206 }];
    const second = newMaster(masterConfig({ stateFile, vnodeCount: 256, nodes }), logger);
    await second.start();
    expect(second.table().epoch).toBe(2);
    expect(second.servers()).toHaveLength(5);
    const warning = logger.lines.find((line) => line.level === 'warn');
    expect(warning?.message).toContain('n6');
    expect(warning?.message).toContain('admin API');
  });

  it('commit bumps the epoch by exactly one and refuses anything else', async () => {
    const master = newMaster(masterConfig({ stateFile: stateFileIn(), vnodeCount: 64 }));
    await master.start();
    const table = master.table();
    await expect(master.commit({ ...table, epoch: 3 })).rejects.toMatchObject({ code: 'RC_ERR_STALE_TABLE' });
    await expect(master.commit(table)).rejects.toMatchObject({ code: 'RC_ERR_STALE_TABLE' });
    expect((await master.commit(next(table))).epoch).toBe(2);
    // Two commits built on epoch 2: the first wins, the second must replan.
    const [won, lost] = await Promise.allSettled([master.commit(next(master.table())), master.commit(next(master.table()))]);
    expect(won.status).toBe('fulfilled');
    expect(lost).toMatchObject({ status: 'rejected', reason: { code: 'RC_ERR_STALE_TABLE' } });
    expect(master.table().epoch).toBe(3);
  });

  it('commit validates the table and keeps the old one when it is invalid', async () => {
    const stateFile = stateFileIn();
    const master = newMaster(masterConfig({ stateFile, vnodeCount: 64 }));
    await master.start();
    const table = master.table();
    const rows = table.rows.map((row, vnode) => (vnode === 0 ? { replicas: ['n1', 'n2', 'n9'] } : row));
    await expect(master.commit({ ...next(table), rows })).rejects.toMatchObject({ code: 'RC_ERR_PLACEMENT' });
    await expect(master.commit({ ...next(table), vnodeCount: 128 })).rejects.toMatchObject({ code: 'RC_ERR_PLACEMENT' });
    expect(master.table()).toBe(table);
    expect((JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { table: Table }).table.epoch).toBe(1);
  });

  it('persists a commit before any long poll hears of it', async () => {
    const stateFile = stateFileIn();
    const master = newMaster(masterConfig({ stateFile, vnodeCount: 64 }));
    await master.start();
    const onDisk = master.waitForEpochAfter(1, 10_000).then(() => {
      return (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { table: Table }).table.epoch;
    });
    await master.commit(next(master.table()));
    expect(await onDisk).toBe(2);
  });

  it('a long poll answers at once when behind, waits for a commit, or gives up after waitMs', async () => {
    const master = newMaster(masterConfig({ stateFile: stateFileIn(), vnodeCount: 64 }));
    await master.start();
    expect((await master.waitForEpochAfter(0, 10_000))?.epoch).toBe(1);
    expect(await master.waitForEpochAfter(1, 20)).toBeUndefined();
    const waiting = master.waitForEpochAfter(1, 10_000);
    expect(master.longPollWaiters).toBe(1);
    await master.commit(next(master.table()));
    expect((await waiting)?.epoch).toBe(2);
    expect(master.longPollWaiters).toBe(0);
  });

  it('bounds long polls, frees a waiter whose client left, and releases all on stop', async () => {
    const master = newMaster(masterConfig({ stateFile: stateFileIn(), vnodeCount: 64 }), silentLogger, { longPollWaitersMax: 2 });
    await master.start();
    const left = new AbortController();
    const first = master.waitForEpochAfter(1, 10_000, left.signal);
    const second = master.waitForEpochAfter(1, 10_000);
    await expect(master.waitForEpochAfter(1, 10_000)).rejects.toMatchObject({ code: 'RC_ERR_OVERLOADED' });
    left.abort();
    expect(await first).toBeUndefined();
    expect(master.longPollWaiters).toBe(1);
    master.stop();
    expect(await second).toBeUndefined();
    await expect(master.waitForEpochAfter(1, 10_000)).rejects.toMatchObject({ code: 'RC_ERR_SHUTTING_DOWN' });
    await expect(master.commit(next(master.table()))).rejects.toMatchObject({ code: 'RC_ERR_SHUTTING_DOWN' });
    expect(master.table().epoch).toBe(1); // reads still answer
  });

  it('refuses to start on a corrupt state file, and without nodes or state', async () => {
    const stateFile = stateFileIn();
    fs.mkdirSync(path.dirname(stateFile), { recursive: true });
    fs.writeFileSync(stateFile, '{"formatVersion":1,"servers":[');
    await expect(newMaster(masterConfig({ stateFile })).start()).rejects.toMatchObject({ code: 'RC_ERR_CONFIG' });
    expect(fs.readFileSync(stateFile, 'utf8')).toBe('{"formatVersion":1,"servers":[');

    const empty = newMaster(masterConfig({ stateFile: stateFileIn(), nodes: [] }));
    await expect(empty.start()).rejects.toThrow(/config\.nodes is empty/);
  });
});
