import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ChildHandle, freePort } from '../src/cli/index.js';
import { SystemClock } from '../src/runtime/index.js';
import type { BenchTarget } from './bench-targets.js';
import { waitForResp } from './peers.js';
import type { LineSink } from './peers.js';

/**
 * A ringcache cluster run from ANOTHER checkout (`bench proxy --baseline DIR`), so one run
 * measures today's code against an older commit under the same schedule, driver and pinning.
 *
 * The older code only knows its own config keys, so its cluster is built from its own
 * config/local.json (ports and state files replaced, N/R/W given as overrides) and started by its
 * own launcher (`node DIR/bin/ringcache.js start`, no option newer than that command's first form). The launcher's children are found through
 * /proc, so their CPU time is charged to the target as the in-tree clusters' is.
 */
export interface BaselineCheckout {
  /** Absolute path of the checkout (built: dist/ present). */
  readonly dir: string;
  /** `git describe`-style label for the report, read from DIR/.git when it is a checkout. */
  readonly label: string;
}

const clock = new SystemClock();
const STARTUP_MS = 60_000;
const STOP_MS = 10_000;

/** Checks DIR is a built ringcache checkout; the reason it is not, as an Error. */
export function openBaselineCheckout(dirText: string, cwd: string): BaselineCheckout {
  const dir = resolve(cwd, dirText);
  const launcher = join(dir, 'bin', 'ringcache.js');
  if (!existsSync(launcher)) throw new Error(`--baseline ${dir}: no bin/ringcache.js there (not a ringcache checkout)`);
  if (!existsSync(join(dir, 'dist'))) throw new Error(`--baseline ${dir}: not built (run \`npm ci && npm run build\` there)`);
  if (!existsSync(join(dir, 'config', 'local.json'))) throw new Error(`--baseline ${dir}: no config/local.json to build its cluster from`);
  return { dir, label: headCommit(dir) ?? dir };
}

/** The commit checked out in `dir` (a clone or a worktree), or undefined. */
function headCommit(dir: string): string | undefined {
  try {
    let gitDir = join(dir, '.git');
    if (!existsSync(gitDir)) return undefined;
    if (!readdirSync(dir, { withFileTypes: true }).find((entry) => entry.name === '.git')?.isDirectory()) {
      // A worktree: .git is a file naming the real git dir.
      gitDir = readFileSync(gitDir, 'utf8').replace(/^gitdir:\s*/, '').trim();
    }
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head.slice(0, 12);
    const ref = head.slice(5);
    const common = existsSync(join(gitDir, 'commondir')) ? resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim()) : gitDir;
    for (const base of [gitDir, common]) {
      if (existsSync(join(base, ref))) return readFileSync(join(base, ref), 'utf8').trim().slice(0, 12);
    }
    const packed = existsSync(join(common, 'packed-refs')) ? readFileSync(join(common, 'packed-refs'), 'utf8') : '';
    const line = packed.split('\n').find((entry) => entry.endsWith(` ${ref}`));
    return line?.slice(0, 12);
  } catch {
    return undefined;
  }
}

type Json = Record<string, unknown>;

/** The checkout's own local config with every port free and the state files in `folder`. */
export async function baselineConfig(checkout: BaselineCheckout, folder: string): Promise<{ json: Json; respPort: number; httpPort: number; host: string; password: string }> {
  const json = JSON.parse(readFileSync(join(checkout.dir, 'config', 'local.json'), 'utf8')) as Json;
  const section = (name: string): Json => (typeof json[name] === 'object' && json[name] !== null ? json[name] as Json : {});
  const respPort = await freePort();
  const httpPort = await freePort();
  json.master = { ...section('master'), port: await freePort(), stateFile: join(folder, 'master-state.json') };
  json.proxy = { ...section('proxy'), respPort, httpPort, tableCacheFile: join(folder, 'proxy-table.json') };
  const nodes = Array.isArray(json.nodes) ? json.nodes as Json[] : [];
  const moved: Json[] = [];
  for (const node of nodes) moved.push({ ...node, port: await freePort(), httpPort: await freePort() });
  json.nodes = moved;
  const proxy = section('proxy');
  return {
    json,
    respPort,
    httpPort,
    host: typeof proxy.host === 'string' ? proxy.host : '127.0.0.1',
    password: typeof proxy.password === 'string' ? proxy.password : '',
  };
}

/** Starts the checkout's whole local cluster with N/R/W; resolves once its proxy takes a write. */
export async function startBaseline(checkout: BaselineCheckout, quorum: readonly [number, number, number], name: string,
  prefix: readonly string[], onLine: LineSink): Promise<BenchTarget> {
  const folder = mkdtempSync(join(tmpdir(), `ringcache-${name}-`));
  const { json, respPort, httpPort, host, password } = await baselineConfig(checkout, folder);
  const configFile = join(folder, 'config.json');
  writeFileSync(configFile, `${JSON.stringify(json, null, 2)}\n`);
  const [n, r, w] = quorum;
  const command = [...prefix, process.execPath, join(checkout.dir, 'bin', 'ringcache.js'), 'start', '--config', configFile,
    `--cluster.replicaCount=${n}`, `--replication.r=${r}`, `--replication.w=${w}`];
  // cwd is the scratch folder: anything the old launcher writes relative to it (var/, a token) stays there.
  const launcher = new ChildHandle({ name, file: command[0] ?? process.execPath, args: command.slice(1), cwd: folder, onLine });
  const stop = async (): Promise<void> => {
    const pids = launcher.pid === undefined ? [] : descendants(launcher.pid);
    await launcher.stop(clock, STOP_MS);
    // The launcher stops its children on SIGTERM; any it left (it was killed) are ours to stop.
    for (const pid of pids) signalPid(pid, 'SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  };
  const endpoint = { host, port: respPort };
  try {
    await Promise.race([
      waitForResp(endpoint, STARTUP_MS, true),
      launcher.exited.then((exit) => {
        throw new Error(`${name} launcher exited (code ${exit.code ?? '-'}, signal ${exit.signal ?? '-'}): ${launcher.recentLines.join(' | ')}`);
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    name,
    resp: { ...endpoint, ...(password === '' ? {} : { password }) },
    http: { url: `http://${host}:${httpPort}`, pathPrefix: '/v1/kv/' },
    pids: () => (launcher.pid === undefined ? [] : [launcher.pid, ...descendants(launcher.pid)]),
    stop,
  };
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Every live descendant of `root`, from the parent field of /proc/<pid>/stat (Linux; [] elsewhere). */
export function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) follows the parenthesised command name, which may itself hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // Exited while we read.
    }
  }
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const [pid, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(pid);
        frontier.push(pid);
      }
    }
  }
  return found;
}
