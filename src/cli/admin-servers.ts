/**
 * `ringcache admin add|drain|remove|moves`: membership changes and replica moves over the
 * shard-master's admin API (shard-master/admin/), human tables by default, `--json` for the
 * answer as the master gave it.
 *
 *   admin add --id n6 --zone c --host 127.0.0.1 --port 7106 --http-port 7206 [--capacity 1] [--dry-run]
 *   admin drain n3 [--dry-run]          admin remove n3          admin moves [--watch [--count N]]
 */
import { optionFlag, optionInteger, optionText, UsageError } from './args.js';
import { EXIT } from './command.js';
import { adminRequest } from './admin-request.js';
import type { CommandContext } from './command.js';
import { formatTable } from './table-format.js';

export const SERVER_VERBS = ['add', 'drain', 'remove', 'moves'] as const;
type Verb = (typeof SERVER_VERBS)[number];
const WATCH_INTERVAL_MS = 1000;
const BAR_WIDTH = 30;


/** Whether `name` is one of the verbs this file runs. */
export function isServerVerb(name: string): boolean {
  return (SERVER_VERBS as readonly string[]).includes(name);
}

/** Runs `admin add|drain|remove|moves` (positionals[0] is one of SERVER_VERBS). */
export async function runServerVerb(context: CommandContext): Promise<number> {
  const verb = context.args.positionals[0] ?? '';
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

/** One admin request (admin-request.ts: token, deadline, coded refusals); the answers here are JSON objects. */
async function request(context: CommandContext, method: 'GET' | 'POST' | 'DELETE', path: string, body: unknown, timeoutMs: number): Promise<Record<string, unknown>> {
  return await adminRequest(context, method, path, timeoutMs, body) as Record<string, unknown>;
}
