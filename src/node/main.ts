// `ringcache node --id n1`: the composition root of a storage node process (see src/cli/roles.ts).
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../metrics/index.js';
import type { RingcacheConfig } from '../config/index.js';
import { RingcacheError, SystemClock, SystemRandom, type Logger } from '../runtime/index.js';
import { TableFollower } from '../client/table-follower.js';
import { serveUntilStopped } from '../cli/roles.js';
import { processLogger } from '../cli/process-logger.js';
import { clusterFetchOf, masterUrl, tokenOf } from '../cli/master-url.js';
import { StorageNode } from './storage-node.js';
import type { NodeListen } from './storage-node.js';
import type { NodeTableView } from './peer-service.js';
import type { RoutingTable } from '../ring/index.js';

export async function run(config: RingcacheConfig, argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { id: { type: 'string' }, zone: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, 'http-port': { type: 'string' } },
  });
  const id = values.id;
  const listen = listenOf(values);
  if (id === undefined || (listen === undefined && !config.nodes.some((node) => node.id === id))) {
    throw new RingcacheError(
      'RC_ERR_CONFIG',
      `ringcache node needs --id with one of: ${config.nodes.map((n) => n.id).join(', ')}; or, for a server not in the config file, --id with --host, --port and --http-port (then bring it in with ringcache admin add)`,
    );
  }
  const logger = processLogger('node', id);
  const clock = new SystemClock();
  const registry = new Registry();
  collectProcessMetrics(registry, 'ringcache_node_process_');
  // A node waits for the master as long as it takes (it serves meanwhile, see below).
  const follower = new TableFollower({
    masterUrl: masterUrl(config), ...tokenOf(config), fetch: clusterFetchOf(config), clock, logger, random: new SystemRandom(),
    options: { startTimeoutMs: Number.MAX_SAFE_INTEGER },
  });
  const table = followInBackground(follower, logger);
  const node = new StorageNode({ serverId: id, config, clock, random: new SystemRandom(), logger, table: table.source, registry, ...(listen === undefined ? {} : { listen }) });
  await serveUntilStopped({
    role: 'node',
    id,
    // The node serves before it has a table: coordinators name the vnode in every request, and
    // the epoch only tells the node when to refresh. So the master being down never stops a node.
    components: [node, { start: () => { table.begin(); }, stop: () => follower.stop() }],
    ports: () => ({ httpPort: node.httpPort, port: node.respPort }),
  });
}

function followInBackground(follower: TableFollower, logger: Logger): { source: NodeTableView; begin(): void } {
  let following = false;
  return {
    source: {
      current: (): RoutingTable | undefined => (following ? follower.current() : undefined),
      epoch: () => (following ? follower.current().epoch : 0),
      observeEpoch: (epoch: number) => { if (following) follower.observeEpoch(epoch); },
      onChange: (listener: (table: RoutingTable) => void) => follower.onChange((table) => { listener(table); }),
    },
    begin: () => {
      follower.start().then(
        () => { following = true; logger.info({ epoch: follower.current().epoch }, 'following the shard-master table'); },
        (error: unknown) => { logger.warn({ err: (error as Error).message }, 'table follower ended before it had a table'); },
      );
    },
  };
}

/**
 * A listen address from the command line, for a node the config file does not list (it joins
 * through POST /v1/servers). --zone is the admin API's business, accepted here so the same flags
 * serve both commands.
 */
function listenOf(values: { host?: string | undefined; port?: string | undefined; 'http-port'?: string | undefined }): NodeListen | undefined {
  const { host } = values;
  if (host === undefined && values.port === undefined && values['http-port'] === undefined) return undefined;
  const port = portOf('--port', values.port);
  const httpPort = portOf('--http-port', values['http-port']);
  if (host === undefined || host === '') throw new RingcacheError('RC_ERR_USAGE', 'ringcache node: --host is needed with --port and --http-port');
  return { host, port, httpPort };
}

function portOf(flag: string, text: string | undefined): number {
  const port = text === undefined ? NaN : Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RingcacheError('RC_ERR_USAGE', `ringcache node: ${flag} must be a port in 0..65535, got ${JSON.stringify(text)}`);
  return port;
}
