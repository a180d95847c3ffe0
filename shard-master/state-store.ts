/**
 * The master's persisted state: the members and the table in force, one JSON file.
 *
 *   { "formatVersion": 1, "servers": [ServerInfo...], "table": { "epoch": 7, ... } }
 *
 * The file is the master's memory across restarts: an epoch, once published, must never be
 * published again with different rows (proxies and nodes compare epochs, not contents). So a
 * table is persisted *before* it is served, each write is atomic (temp file in the same
 * directory, fsync, rename over the target, fsync the directory: the rename is atomic on POSIX
 * and the directory fsync makes it durable), and a file that cannot be read or does not validate
 * stops the master with RC_ERR_CONFIG naming it: a corrupt state is never silently replaced by a
 * fresh bootstrap, which would reissue epoch 1 to a cluster that is at epoch 40.
 */
import { readFile } from 'node:fs/promises';
import { validateTable } from '../src/ring/index.js';
import type { ServerInfo, Table } from '../src/ring/index.js';
import { RingcacheError, assert } from '../src/runtime/index.js';
import { writeFileAtomic } from '../src/runtime/atomic-file.js';
import type { Move } from './moves/move-plan.js';

/** append only: older masters refuse newer formats rather than misread them */
export const STATE_FORMAT_VERSION = 1;

export interface MasterState {
  readonly formatVersion: typeof STATE_FORMAT_VERSION;
  /** Every member the master knows, the source of truth for the next placement. */
  readonly servers: readonly ServerInfo[];
  /** The table in force (the last one committed). */
  readonly table: Table;
  /**
   * Replica moves planned and not started yet, in order (moves in flight are the table's pending
   * rows): persisted with the table, so a restarted master carries on with the plan. Absent in
   * files written before moves existed, read as empty.
   */
  readonly queuedMoves?: readonly Move[];
}

function stateError(path: string, problem: string, fix = 'restore it from a backup, or move it away to bootstrap a new cluster from config.nodes'): RingcacheError {
  return new RingcacheError('RC_ERR_CONFIG', `master state file ${path} ${problem}; ${fix} (see master.stateFile)`, { path });
}

/** Reads and validates the state; undefined when the file does not exist (a new cluster). */
export async function loadState(path: string): Promise<MasterState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw stateError(path, `cannot be read: ${(error as Error).message}`, 'check its permissions');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw stateError(path, `is corrupt (not valid JSON: ${(error as Error).message})`);
  }
  return parseState(path, parsed);
}

/** Checks on read what `saveState` checked on write (paired assertions). */
export function parseState(path: string, value: unknown): MasterState {
  if (!isRecord(value)) throw stateError(path, 'does not hold a JSON object');
  if (value.formatVersion !== STATE_FORMAT_VERSION) {
    throw stateError(
      path,
      `has formatVersion ${JSON.stringify(value.formatVersion)}, this master reads ${STATE_FORMAT_VERSION}`,
      'run the ringcache version that wrote it',
    );
  }
  if (!Array.isArray(value.servers)) throw stateError(path, 'has no servers array');
  const servers: ServerInfo[] = [];
  for (const [index, server] of (value.servers as unknown[]).entries()) {
    const problem = serverProblem(server);
    if (problem !== undefined) throw stateError(path, `is corrupt: servers[${index}] ${problem}`);
    servers.push(server as ServerInfo);
  }
  const raw = value.table;
  if (!isRecord(raw) || !Array.isArray(raw.servers) || !Array.isArray(raw.rows)) {
    throw stateError(path, 'is corrupt: table must be an object with servers and rows arrays');
  }
  const table = raw as unknown as Table;
  try {
    table.servers.forEach((server, index) => {
      const problem = serverProblem(server);
      if (problem !== undefined) throw new Error(`table.servers[${index}] ${problem}`);
    });
    validateTable(table);
  } catch (error) {
    throw stateError(path, `is corrupt: ${(error as Error).message}`);
  }
  const known = new Set(servers.map((server) => server.id));
  if (known.size !== servers.length) throw stateError(path, 'is corrupt: a server id appears twice in servers');
  const stranger = table.servers.find((server) => !known.has(server.id));
  if (stranger !== undefined) throw stateError(path, `is corrupt: table server ${stranger.id} is not in servers`);
  const queuedMoves = parseMoves(path, value.queuedMoves, table, known);
  return { formatVersion: STATE_FORMAT_VERSION, servers, table, ...(queuedMoves.length === 0 ? {} : { queuedMoves }) };
}

/** Persists the state atomically: a crash leaves either the old file or the new one, whole. */
export async function saveState(path: string, state: MasterState): Promise<void> {
  validateTable(state.table); // check on write; loadState checks again on read
  const known = new Set(state.servers.map((server) => server.id));
  assert(state.table.servers.every((server) => known.has(server.id)), 'saveState: a table server is not in servers');
  try {
    await writeFileAtomic(path, `${JSON.stringify(state)}\n`);
  } catch (error) {
    throw new RingcacheError('RC_ERR_INTERNAL', `cannot write master state file ${path}: ${(error as Error).message}`, { path });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const SERVER_STATES: readonly string[] = ['active', 'draining'];

/** What is wrong with a ServerInfo read from disk, or undefined when it is well formed. */
function serverProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'is not an object';
  if (typeof value.id !== 'string' || value.id === '') return 'has no id';
  if (typeof value.zone !== 'string') return `(${value.id}) has no zone`;
  if (typeof value.capacity !== 'number' || !(value.capacity > 0)) return `(${value.id}) has capacity ${JSON.stringify(value.capacity)}, not a positive number`;
  if (typeof value.host !== 'string') return `(${value.id}) has no host`;
  for (const field of ['port', 'httpPort'] as const) {
    const port = value[field];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) return `(${value.id}) has ${field} ${JSON.stringify(port)}`;
  }
  if (typeof value.state !== 'string' || !SERVER_STATES.includes(value.state)) return `(${value.id}) has state ${JSON.stringify(value.state)}`;
  return undefined;
}

/** The queued moves of a state file: vnodes in range, servers the state knows. */
function parseMoves(path: string, value: unknown, table: Table, known: ReadonlySet<string>): Move[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw stateError(path, 'is corrupt: queuedMoves is not an array');
  return (value as unknown[]).map((move, index) => {
    const where = `queuedMoves[${index}]`;
    if (!isRecord(move)) throw stateError(path, `is corrupt: ${where} is not an object`);
    const { vnode, from, to, bytes } = move;
    if (typeof vnode !== 'number' || !Number.isInteger(vnode) || vnode < 0 || vnode >= table.vnodeCount) throw stateError(path, `is corrupt: ${where} has vnode ${JSON.stringify(vnode)}`);
    if (typeof from !== 'string' || !known.has(from) || typeof to !== 'string' || !known.has(to)) throw stateError(path, `is corrupt: ${where} names a server the state does not have`);
    if (bytes !== undefined && (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0)) throw stateError(path, `is corrupt: ${where} has bytes ${JSON.stringify(bytes)}`);
    return bytes === undefined ? { vnode, from, to } : { vnode, from, to, bytes };
  });
}
