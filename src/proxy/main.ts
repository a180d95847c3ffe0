// `ringcache proxy`: the composition root of a proxy process (see src/cli/roles.ts).
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../metrics/index.js';
import type { RingcacheConfig } from '../config/index.js';
import { SystemClock, SystemRandom } from '../runtime/index.js';
import { clusterSettingsOf, connectCluster, type ClusterStack } from '../client/cluster-stack.js';
import { serveUntilStopped } from '../cli/roles.js';
import { processLogger } from '../cli/process-logger.js';
import { masterUrl, tokenOf } from '../cli/master-url.js';
import { BackendMetrics } from './backend-metrics.js';
import { ProxyServer } from './proxy-server.js';
import { registerInvalidationMetrics } from './near-cache-metrics.js';
import { descriptorWarning, openFilesSoftLimit } from './descriptor-check.js';

export async function run(config: RingcacheConfig, _argv: string[]): Promise<void> {
  const logger = processLogger('proxy');
  const descriptors = descriptorWarning(config, openFilesSoftLimit());
  if (descriptors !== undefined) logger.warn({ maxClients: config.proxy.maxClients, httpConnectionsMax: config.proxy.httpConnectionsMax }, descriptors);
  const clock = new SystemClock();
  const registry = new Registry();
  collectProcessMetrics(registry, 'ringcache_proxy_process_');
  const backends = new BackendMetrics(registry);
  let stack: ClusterStack | undefined;
  let proxy: ProxyServer | undefined;
  await serveUntilStopped({
    role: 'proxy',
    components: [
      {
        // Resolves once a table is known: from the master, or the cache file when it is down.
        start: async () => {
          stack = await connectCluster({
            masterUrl: masterUrl(config), ...tokenOf(config), name: 'proxy', clock, random: new SystemRandom(), logger,
            cacheFile: config.proxy.tableCacheFile, ...clusterSettingsOf(config), observer: backends,
          });
        },
        stop: async () => { await stack?.stop(); },
      },
      {
        start: async () => {
          if (stack === undefined) throw new Error('proxy: the cluster stack did not start');
          proxy = new ProxyServer({
            coordinator: stack.coordinator, table: stack.follower, clock, config, registry, logger, random: new SystemRandom(),
            ...(stack.load === undefined ? {} : { load: stack.load }),
          });
          await proxy.start();
          const started = proxy;
          // Its own figures ride on the load reports: the dashboard's per-proxy charts.
          stack.reporter?.attachProxy({ tally: () => started.metrics.requestTally(), endpoints: proxyEndpoints(config, started) });
          // Peers reach this proxy's HTTP port for invalidations; the next load report names it.
          if (stack.invalidations !== undefined) {
            registerInvalidationMetrics(registry, stack.invalidations);
            stack.advertise(`${config.proxy.tlsCertFile === '' ? 'http' : 'https'}://${config.proxy.host}:${String(proxy.httpPort)}`);
          }
        },
        stop: async () => { await proxy?.stop(); },
      },
    ],
    ports: () => ({ httpPort: proxy?.httpPort ?? 0, respPort: proxy?.respPort ?? 0 }),
  });
}

/** Where this proxy listens, as URLs the operator can paste (redis-cli -u, curl). */
function proxyEndpoints(config: RingcacheConfig, proxy: ProxyServer): string[] {
  const { host, tlsCertFile } = config.proxy;
  const shown = host.includes(':') ? `[${host}]` : host;
  const tls = tlsCertFile !== '';
  return [`${tls ? 'rediss' : 'redis'}://${shown}:${proxy.respPort}`, `${tls ? 'https' : 'http'}://${shown}:${proxy.httpPort}`];
}
