import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { placeTable } from '../../shard-master/placement.js';
import { STATE_FORMAT_VERSION, loadState, saveState } from '../../shard-master/state-store.js';
import type { MasterState } from '../../shard-master/state-store.js';
import type { ServerInfo } from '../../src/ring/index.js';
import { isRingcacheError } from '../../src/runtime/index.js';
import { tempDir } from '../support/master-fixtures.js';

function server(id: string, zone: string): ServerInfo {
  return { id, zone, capacity: 1, host: '127.0.0.1', port: 7100, httpPort: 7200, state: 'active' };
}

const servers = [server('n1', 'a'), server('n2', 'a'), server('n3', 'b'), server('n4', 'b'), server('n5', 'c')];

function stateAt(epoch: number, vnodeCount = 64): MasterState {
  const table = placeTable({ servers, vnodeCount, replicaCount: 3, epoch });
  return { formatVersion: STATE_FORMAT_VERSION, servers, table };
}

async function loadError(file: string): Promise<Error> {
  const error = await loadState(file).then(() => undefined, (failure: unknown) => failure as Error);
  if (error === undefined) throw new Error(`loadState(${file}) did not fail`);
  return error;
}

const dirs: string[] = [];
function freshDir(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('master state store', () => {
  it('round-trips servers and table, creating parent directories', async () => {
    const file = path.join(freshDir(), 'deep', 'er', 'state.json');
    const state = stateAt(7);
    await saveState(file, state);
    expect(await loadState(file)).toEqual(state);
  });

  it('answers undefined when there is no state file yet (a new cluster)', async () => {
    expect(await loadState(path.join(freshDir(), 'absent.json'))).toBeUndefined();
  });

  it('leaves no temp file behind', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'state.json');
    await saveState(file, stateAt(1));
    await saveState(file, stateAt(2));
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
  });

  it('never lets a reader see a partial file while writes replace it', async () => {
    const file = path.join(freshDir(), 'state.json');
    const big = (epoch: number): MasterState => stateAt(epoch, 4096); // ~100 KB: many write() calls
    await saveState(file, big(1));
    let writing = true;
    const seen = new Set<number>();
    const reader = (async () => {
      while (writing) {
        // Every read parses and validates: it is a whole old or a whole new file.
        const state = await loadState(file);
        seen.add(state!.table.epoch);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let epoch = 2; epoch <= 20; epoch++) await saveState(file, big(epoch));
    writing = false;
    await reader;
    expect((await loadState(file))!.table.epoch).toBe(20);
    expect([...seen].every((epoch) => epoch >= 1 && epoch <= 20)).toBe(true);
  });

  it('a crash before the rename leaves the old state (the stray temp file is ignored)', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'state.json');
    await saveState(file, stateAt(3));
    const half = JSON.stringify(stateAt(4)).slice(0, 500);
    fs.writeFileSync(path.join(dir, `.state.json.999.deadbeef.tmp`), half);
    expect((await loadState(file))!.table.epoch).toBe(3);
    await saveState(file, stateAt(5));
    expect((await loadState(file))!.table.epoch).toBe(5);
  });

  it('refuses to write an invalid table and keeps the old file', async () => {
    const file = path.join(freshDir(), 'state.json');
    await saveState(file, stateAt(3));
    const good = stateAt(4);
    const bad: MasterState = { ...good, table: { ...good.table, rows: good.table.rows.slice(1) } };
    await expect(saveState(file, bad)).rejects.toMatchObject({ code: 'RC_ERR_PLACEMENT' });
    expect((await loadState(file))!.table.epoch).toBe(3);
  });

  it('a corrupt file is RC_ERR_CONFIG naming the file, never replaced', async () => {
    const file = path.join(freshDir(), 'state.json');
    await saveState(file, stateAt(3));
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, text.length / 2));
    const error = await loadError(file);
    expect(isRingcacheError(error, 'RC_ERR_CONFIG')).toBe(true);
    expect(error.message).toContain(file);
    expect(error.message).toContain('not valid JSON');
    expect(fs.readFileSync(file, 'utf8')).toBe(text.slice(0, text.length / 2));
  });

  it.each([
    ['an unknown format version', (state: Record<string, unknown>) => ({ ...state, formatVersion: 2 }), 'formatVersion 2'],
    ['no servers', (state: Record<string, unknown>) => ({ ...state, servers: 'n1' }), 'no servers array'],
    ['a malformed server', (state: Record<string, unknown>) => ({ ...state, servers: [{ id: 'n1' }] }), 'servers[0] (n1) has no zone'],
    ['no table', (state: Record<string, unknown>) => ({ ...state, table: null }), 'table must be an object'],
    ['a JSON array', () => [1, 2], 'does not hold a JSON object'],
  ])('refuses a state file with %s', async (_what, mutate, expected) => {
    const file = path.join(freshDir(), 'state.json');
    fs.writeFileSync(file, JSON.stringify(mutate(stateAt(1) as unknown as Record<string, unknown>)));
    const error = await loadError(file);
    expect(isRingcacheError(error, 'RC_ERR_CONFIG')).toBe(true);
    expect(error.message).toContain(file);
    expect(error.message).toContain(expected);
  });

  it('refuses a table that does not validate, saying where', async () => {
    const file = path.join(freshDir(), 'state.json');
    const state = stateAt(1);
    const rows = state.table.rows.map((row, vnode) => (vnode === 5 ? { replicas: ['n1', 'n1', 'n2'] } : row));
    fs.writeFileSync(file, JSON.stringify({ ...state, table: { ...state.table, rows } }));
    const error = await loadError(file);
    expect(isRingcacheError(error, 'RC_ERR_CONFIG')).toBe(true);
    expect(error.message).toContain('row 5 lists server n1 twice');
  });

  it('refuses a table server the member list does not have', async () => {
    const file = path.join(freshDir(), 'state.json');
    const state = stateAt(1);
    fs.writeFileSync(file, JSON.stringify({ ...state, servers: servers.slice(1) }));
    expect((await loadError(file)).message).toContain('table server n1 is not in servers');
  });

  it('an unreadable path is RC_ERR_CONFIG naming it', async () => {
    const dir = freshDir(); // a directory, not a file: EISDIR
    const error = await loadError(dir);
    expect(isRingcacheError(error, 'RC_ERR_CONFIG')).toBe(true);
    expect(error.message).toContain(`${dir} cannot be read`);
  });
});
