// `ringcache node --id n1`: the composition root of a storage node process (see src/cli/roles.ts).
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../metrics/index.js';
import type { RingcacheConfig } from '../config/index.js';
import { RingcacheError, SystemClock, SystemRandom, type Logger } from '../runtime/index.js';
import { TableFollower } from '../client/table-follower.js';
import { serveUntilStopped } from '../cli/roles.js';
import { processLogger } from '../cli/process-logger.js';
import { masterUrl, tokenOf } from '../cli/master-url.js';
import { StorageNode } from './storage-node.js';
import type { NodeTableView } from './peer-service.js';
import type { RoutingTable } from '../ring/index.js';

export async function run(config: RingcacheConfig, argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { id: { type: 'string' } } });
  const id = values.id;
  if (id === undefined || !config.nodes.some((node) => node.id === id)) {
    throw new RingcacheError('RC_ERR_CONFIG', `ringcache node needs --id with one of: ${config.nodes.map((n) => n.id).join(', ')}`);
  }
  const logger = processLogger('node', id);
  const clock = new SystemClock();
  const registry = new Registry();
  collectProcessMetrics(registry, 'ringcache_node_process_');
  // A node waits for the master as long as it takes (it serves meanwhile, see below).
  const follower = new TableFollower({
    masterUrl: masterUrl(config), ...tokenOf(config), clock, logger, random: new SystemRandom(),
    options: { startTimeoutMs: Number.MAX_SAFE_INTEGER },
  });
  const table = followInBackground(follower, logger);
  const node = new StorageNode({ serverId: id, config, clock, random: new SystemRandom(), logger, table: table.source, registry });
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
