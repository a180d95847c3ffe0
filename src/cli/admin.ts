import type { AdminHotKeys, AdminLoad, AdminRebalance, AdminRoute } from '../client/admin-load-api.js';
import { optionFlag, optionInteger, UsageError } from './args.js';
import { EXIT } from './command.js';
import type { CommandContext, CommandSpec } from './command.js';
import { adminRequest } from './admin-request.js';
import { renderHotKeys, renderLoad, renderRebalance, renderRoute } from './admin-render.js';
import { isServerVerb, runServerVerb, SERVER_VERBS } from './admin-servers.js';

/**
 * `ringcache admin <verb>`: the shard-master's admin API (DESIGN.md section 7) from the command
 * line, a table for a person by default and the API's JSON with --json.
 */
interface Verb {
  readonly summary: string;
  readonly run: (context: CommandContext, timeoutMs: number, argument: string | undefined) => Promise<{ json: unknown; lines: string[] }>;
}

const VERBS: Readonly<Record<string, Verb>> = Object.freeze({
  load: {
    summary: 'load per server (replica ops/s, bytes/s, share) and max/mean, from the proxies\' and clients\' reports',
    run: async (context, timeoutMs) => {
      const load = await adminRequest(context, 'GET', '/v1/load', timeoutMs) as AdminLoad;
      return { json: load, lines: renderLoad(load) };
    },
  },
  rebalance: {
    summary: 'plan a rebalance and show it (dry run); --apply carries it out',
    run: async (context, timeoutMs) => {
      const plan = await adminRequest(context, 'POST', '/v1/rebalance', timeoutMs, { dryRun: !optionFlag(context.args, 'apply') }) as AdminRebalance;
      return { json: plan, lines: renderRebalance(plan) };
    },
  },
  hotkeys: {
    summary: 'the hottest keys over every reporter (Space-Saving), with their vnode and replicas',
    run: async (context, timeoutMs) => {
      const limit = optionInteger(context.args, 'limit', 20, 1, 1000);
      const hot = await adminRequest(context, 'GET', `/v1/hotkeys?limit=${limit}`, timeoutMs) as AdminHotKeys;
      return { json: hot, lines: renderHotKeys(hot) };
    },
  },
  route: {
    summary: 'where KEY lives: vnode, replicas, leader, pending move, fallbacks',
    run: async (context, timeoutMs, key) => {
      if (key === undefined || key === '') throw new UsageError('admin route needs a KEY: ringcache admin route user:42');
      const route = await adminRequest(context, 'GET', `/v1/route/${encodeURIComponent(key)}`, timeoutMs) as AdminRoute;
      return { json: route, lines: renderRoute(route) };
    },
  },
});

export const adminCommand: CommandSpec = {
  summary: 'talk to the shard-master: load, rebalance [--apply], hotkeys, route KEY; add, drain, remove servers and follow their moves',
  synopsis: `<${[...Object.keys(VERBS), ...SERVER_VERBS].join('|')}> [KEY|ID] [--apply] [--json] | add --id ID --zone Z --host H --port P --http-port P [--capacity C] [--dry-run] | drain ID [--dry-run] | remove ID | moves [--watch [--count N]]`,
  positionalsMax: 2,
  options: [
    { name: 'json', doc: "print the master's JSON answer" },
    { name: 'apply', doc: 'rebalance: carry the plan out (without it: a dry run)' },
    { name: 'limit', value: 'K', doc: 'hotkeys: how many (default 20)' },
    { name: 'timeout-ms', value: 'MS', doc: 'deadline of each request to the shard-master (default 5000)' },
    { name: 'id', value: 'ID', doc: 'add: the new server id' },
    { name: 'zone', value: 'ZONE', doc: 'add: its failure domain' },
    { name: 'capacity', value: 'C', doc: 'add: relative weight (default 1)' },
    { name: 'host', value: 'HOST', doc: 'add: address of its internode port' },
    { name: 'port', value: 'PORT', doc: 'add: internode RESP port' },
    { name: 'http-port', value: 'PORT', doc: 'add: HTTP port (health, metrics, transfers)' },
    { name: 'dry-run', doc: 'add, drain: show the moves the change would queue, change nothing' },
    { name: 'watch', doc: 'moves: refresh every second until Ctrl-C (a progress bar per move)' },
    { name: 'count', value: 'N', doc: 'with --watch: stop after N refreshes' },
  ],
  details: [
    ...Object.entries(VERBS).map(([name, verb]) => `${name.padEnd(10)} ${verb.summary}`),
    `${'add'.padEnd(10)} bring in a server started with ringcache node --id ID --zone Z --host H --port P --http-port P: its replicas are filled by anti-entropy, then swapped in`,
    `${'drain'.padEnd(10)} move every replica off a server (refused below N servers or the zones a row needs)`,
    `${'remove'.padEnd(10)} drop a drained server that holds nothing`,
    `${'moves'.padEnd(10)} replica moves in flight and queued, with keys and bytes copied (--watch: a progress bar)`,
    'Refusals exit 1 with the code and change nothing.',
  ],
  run: runAdmin,
};

async function runAdmin(context: CommandContext): Promise<number> {
  const [name, argument] = context.args.positionals;
  if (name !== undefined && isServerVerb(name)) return runServerVerb(context);
  const verb = name === undefined || !Object.hasOwn(VERBS, name) ? undefined : VERBS[name];
  if (verb === undefined) throw new UsageError(`admin needs a verb: ${[...Object.keys(VERBS), ...SERVER_VERBS].join(', ')}${name === undefined ? '' : ` (got '${name}')`}`);
  if (name !== 'route' && argument !== undefined) throw new UsageError(`unexpected argument '${argument}' for 'admin ${name}'`);
  if (name !== 'rebalance' && optionFlag(context.args, 'apply')) throw new UsageError('--apply goes with admin rebalance');
  const timeoutMs = optionInteger(context.args, 'timeout-ms', 5000, 10, 600_000);
  const { json, lines } = await verb.run(context, timeoutMs, argument);
  if (optionFlag(context.args, 'json')) context.io.out(JSON.stringify(json, null, 2));
  else for (const line of lines) context.io.out(line);
  return EXIT.ok;
}
