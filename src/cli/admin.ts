/**
 * `ringcache admin add|drain|remove|moves`: membership changes and replica moves over the
 * shard-master's admin API (shard-master/admin/), human tables by default, `--json` for the
 * answer as the master gave it.
 *
 *   admin add --id n6 --zone c --host 127.0.0.1 --port 7106 --http-port 7206 [--capacity 1] [--dry-run]
 *   admin drain n3 [--dry-run]          admin remove n3          admin moves [--watch [--count N]]
 */
import { optionFlag, optionInteger, optionText, UsageError } from './args.js';
import { CommandFailure, EXIT } from './command.js';
import type { CommandContext, CommandSpec } from './command.js';
import { formatTable } from './table-format.js';

const VERBS = ['add', 'drain', 'remove', 'moves'] as const;
type Verb = (typeof VERBS)[number];
const WATCH_INTERVAL_MS = 1000;
const BAR_WIDTH = 30;

export const adminCommand: CommandSpec = {
  summary: 'change the cluster while it runs: add, drain and remove servers, follow replica moves',
  synopsis: 'add --id ID --zone Z --host H --port P --http-port P [--capacity C] [--dry-run] | drain ID [--dry-run] | remove ID | moves [--watch [--count N]]',
  positionalsMax: 2,
  options: [
    { name: 'id', value: 'ID', doc: 'add: the new server id' },
    { name: 'zone', value: 'ZONE', doc: 'add: its failure domain' },
    { name: 'capacity', value: 'C', doc: 'add: relative weight (default 1)' },
    { name: 'host', value: 'HOST', doc: 'add: address of its internode port' },
    { name: 'port', value: 'PORT', doc: 'add: internode RESP port' },
    { name: 'http-port', value: 'PORT', doc: 'add: HTTP port (health, metrics, transfers)' },
    { name: 'dry-run', doc: 'add, drain: show the moves the change would queue, change nothing' },
    { name: 'json', doc: "print the master's JSON answer" },
    { name: 'watch', doc: 'moves: refresh every second until Ctrl-C (a progress bar per move)' },
    { name: 'count', value: 'N', doc: 'with --watch: stop after N refreshes' },
    { name: 'timeout-ms', value: 'MS', doc: 'deadline of each request to the shard-master (default 5000)' },
  ],
  details: [
    'Start the new node first (ringcache node --id n6 --zone c --host 127.0.0.1 --port 7106 --http-port 7206), then add it: the master marks moves pending (writes reach the new replica too), the new replica is filled by anti-entropy, and each synced move is swapped in.',
    'Refusals (an id that exists, draining below N servers or the zones a row needs, removing a server that still holds replicas) exit 1 with the code and change nothing.',
  ],
  run: runAdmin,
};

async function runAdmin(context: CommandContext): Promise<number> {
  const verb = context.args.positionals[0];
  if (verb === undefined || !(VERBS as readonly string[]).includes(verb)) throw new UsageError(`admin needs a verb: ${VERBS.join(', ')}`);
  const timeoutMs = optionInteger(context.args, 'timeout-ms', 5000, 10, 600_000);
  const json = optionFlag(context.args, 'json');
  const dryRun = optionFlag(context.args, 'dry-run') ? '?dryRun=1' : '';
  switch (verb as Verb) {
    case 'add': {
      const body = {
        id: required(context, 'id'), zone: required(context, 'zone'), capacity: optionInteger(context.args, 'capacity', 1, 1, 1000),
        host: required(context, 'host'), port: optionInteger(context.args, 'port', 0, 1, 65535), httpPort: optionInteger(context.args, 'http-port', 0, 1, 65535),
      };
      if (!context.args.options.has('port') || !context.args.options.has('http-port')) throw new UsageError('admin add needs --port and --http-port');
      return printChange(context, await request(context, 'POST', `/v1/servers${dryRun}`, body, timeoutMs), json);
    }
    case 'drain':
      return printChange(context, await request(context, 'POST', `/v1/servers/${encodeURIComponent(serverArg(context))}/drain${dryRun}`, undefined, timeoutMs), json);
    case 'remove': {
      const answer = await request(context, 'DELETE', `/v1/servers/${encodeURIComponent(serverArg(context))}`, undefined, timeoutMs);
      context.io.out(json ? JSON.stringify(answer) : `removed ${String(answer.removed)}; table epoch ${String(answer.epoch)}`);
      return EXIT.ok;
    }
    case 'moves':
      return watchMoves(context, timeoutMs, json);
  }
}

function required(context: CommandContext, name: string): string {
  const value = optionText(context.args, name, '');
  if (value === '') throw new UsageError(`admin add needs --${name}`);
  return value;
}

function serverArg(context: CommandContext): string {
  const id = context.args.positionals[1];
  if (id === undefined) throw new UsageError(`admin ${context.args.positionals[0] ?? ''} needs a server id`);
  return id;
}

function printChange(context: CommandContext, answer: Record<string, unknown>, json: boolean): number {
  if (json) {
    context.io.out(JSON.stringify(answer, null, 2));
    return EXIT.ok;
  }
  const moves = (answer.moves as { vnode: number; from: string; to: string }[] | undefined) ?? [];
  const server = answer.server as { id?: string; state?: string } | undefined;
  context.io.out(`${answer.dryRun === true ? 'dry run: would commit' : 'committed'} epoch ${String(answer.epoch)}: ${server?.id ?? '?'} ${server?.state ?? ''}, ${String(moves.length)} replica moves ${answer.dryRun === true ? 'to queue' : 'queued'}`);
  const perPair = new Map<string, number>();
  for (const move of moves) perPair.set(`${move.from} -> ${move.to}`, (perPair.get(`${move.from} -> ${move.to}`) ?? 0) + 1);
  if (perPair.size > 0) for (const line of formatTable(['from -> to', 'vnodes'], [...perPair].map(([pair, count]) => [pair, String(count)]))) context.io.out(`  ${line}`);
  return EXIT.ok;
}

interface MovesAnswer {
  readonly epoch: number;
  readonly inFlight: readonly { vnode: number; from: string; to: string; keysCopied: number; bytesCopied: number; synced: boolean }[];
  readonly queued: readonly { vnode: number; from: string; to: string }[];
  readonly queuedCount?: number;
  readonly completed: number;
  readonly bytesMoved: number;
  readonly keysMoved: number;
}

async function watchMoves(context: CommandContext, timeoutMs: number, json: boolean): Promise<number> {
  const watch = optionFlag(context.args, 'watch');
  const countMax = watch ? (context.args.options.has('count') ? optionInteger(context.args, 'count', 1, 1, 1_000_000) : Number.MAX_SAFE_INTEGER) : 1;
  let stopped = false;
  // A function, not the variable: the signal handler flips it while the loop awaits.
  const isStopped = (): boolean => stopped;
  const onSignal = (): void => { stopped = true; };
  process.on('SIGINT', onSignal);
  try {
    let baseline: number | undefined;
    for (let round = 0; round < countMax && !isStopped(); round++) {
      if (round > 0) await context.clock.sleep(WATCH_INTERVAL_MS);
      const answer = await request(context, 'GET', '/v1/moves', undefined, timeoutMs) as unknown as MovesAnswer;
      const queued = answer.queuedCount ?? answer.queued.length;
      baseline ??= answer.completed + answer.inFlight.length + queued;
      if (json) context.io.out(JSON.stringify(answer));
      else for (const line of renderMoves(answer, baseline)) context.io.out(line);
      if (watch && answer.inFlight.length === 0 && queued === 0 && round > 0) break;
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
  return EXIT.ok;
}

function renderMoves(answer: MovesAnswer, total: number): string[] {
  const queued = answer.queuedCount ?? answer.queued.length;
  const left = answer.inFlight.length + queued;
  const done = Math.max(0, total - left);
  const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
  const lines = [`epoch ${String(answer.epoch)}  [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(done)}/${String(total)}  in flight ${String(answer.inFlight.length)}, queued ${String(queued)}, done ${String(answer.completed)} (${String(answer.keysMoved)} keys, ${String(answer.bytesMoved)} bytes)`];
  if (answer.inFlight.length > 0) {
    lines.push(...formatTable(['vnode', 'from', 'to', 'keys', 'bytes', 'synced'], answer.inFlight.map((move) => [
      String(move.vnode), move.from, move.to, String(move.keysCopied), String(move.bytesCopied), move.synced ? 'yes' : 'no',
    ])).map((line) => `  ${line}`));
  }
  return lines;
}

/** One admin request; a coded refusal becomes a CommandFailure naming the code. */
async function request(context: CommandContext, method: string, path: string, body: unknown, timeoutMs: number): Promise<Record<string, unknown>> {
  const { master, cluster } = context.config;
  const url = `http://${master.host}:${String(master.port)}${path}`;
  const headers: Record<string, string> = cluster.token === '' ? {} : { authorization: `Bearer ${cluster.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new CommandFailure('RC_ERR_UNREACHABLE', `cannot reach the shard-master at ${url}: ${(error as Error).message}`, 'is the cluster running? the config must point at its master: --config FILE or --master.port=PORT');
  }
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new CommandFailure('RC_ERR_PROTOCOL', `the shard-master at ${url} answered HTTP ${String(response.status)} that is not JSON: ${text.slice(0, 200)}`);
  }
  if (response.status >= 400) {
    const code = typeof parsed.code === 'string' && parsed.code.startsWith('RC_ERR_') ? parsed.code : 'RC_ERR_INTERNAL';
    throw new CommandFailure(code as 'RC_ERR_INTERNAL', typeof parsed.message === 'string' ? parsed.message : `HTTP ${String(response.status)}`, 'nothing was changed');
  }
  return parsed;
}
