// `ringcache master`: the composition root of the shard-master process (see src/cli/roles.ts).
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../src/metrics/index.js';
import type { RingcacheConfig } from '../src/config/index.js';
import { SystemClock } from '../src/runtime/index.js';
import { serveUntilStopped } from '../src/cli/roles.js';
import { processLogger } from '../src/cli/process-logger.js';
import { startMaster, type RunningMaster } from './server.js';

export async function run(config: RingcacheConfig, _argv: string[]): Promise<void> {
  const logger = processLogger('master');
  const registry = new Registry();
  collectProcessMetrics(registry, 'ringcache_master_process_');
  let running: RunningMaster | undefined;
  await serveUntilStopped({
    role: 'master',
    components: [{
      start: async () => { running = await startMaster({ config, clock: new SystemClock(), logger, registry }); },
      stop: async () => { await running?.stop(); },
    }],
    ports: () => ({ httpPort: Number(new URL(running?.url ?? 'http://x:0').port) }),
  });
}
