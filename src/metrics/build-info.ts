import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * ringcache's own version: INFO, `ringcache_build_info` and the CLI report it. package.json is
 * outside the compiled tree, so it is restated here; test/unit/packaging.test.ts keeps the two equal.
 */
export const RINGCACHE_VERSION = '0.1.0';

export const BUILD_INFO_METRIC = 'ringcache_build_info';

/**
 * `ringcache_build_info{version, node_version} 1` on every role's registry, the Prometheus idiom
 * for labels that describe a process: join on it to see which version each target runs
 * (`... * on(instance) group_left(version) ringcache_build_info`), and alert on a mixed fleet.
 */
export function registerBuildInfo(registry: Registry, role: 'master' | 'node' | 'proxy'): void {
  const gauge = new Gauge({
    name: BUILD_INFO_METRIC,
    help: 'Always 1; the labels say which ringcache version, Node.js version and role this process runs.',
    labelNames: ['version', 'node_version', 'role'] as const,
    registers: [registry],
  });
  gauge.set({ version: RINGCACHE_VERSION, node_version: process.version, role }, 1);
}
