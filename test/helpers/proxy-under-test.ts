import { Redis } from 'ioredis';
import { ProxyServer } from '../../src/proxy/index.js';
import { InProcessCluster } from './in-process-cluster.js';

/** An in-process cluster behind a real ProxyServer on free ports, and an ioredis client connected to it. */
export interface ProxyUnderTest {
  readonly cluster: InProcessCluster;
  readonly proxy: ProxyServer;
  readonly client: Redis;
  stop(): Promise<void>;
}

export async function startProxyUnderTest(): Promise<ProxyUnderTest> {
  const cluster = new InProcessCluster({ config: ['proxy.respPort=0', 'proxy.httpPort=0'] });
  const proxy = new ProxyServer(cluster.proxyDeps());
  await proxy.start();
  const client = new Redis({ host: '127.0.0.1', port: proxy.respPort, lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  return {
    cluster, proxy, client,
    stop: async () => {
      client.disconnect();
      await proxy.stop();
    },
  };
}
