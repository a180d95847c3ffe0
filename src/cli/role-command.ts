import type { RingcacheConfig } from '../config/index.js';
import { planCluster } from './cluster-plan.js';
import { requireTokenBeyondLoopback } from './cluster-token.js';
import type { MemberPlan } from './cluster-plan.js';
import { checkPortsFree, portInUseFromError } from './port-check.js';
import { loadRole } from './roles.js';
import type { RoleName } from './roles.js';

/**
 * Runs one role in this process (`ringcache master|node|proxy`): checks its ports first, so a
 * port in use gets the same coded message as under `ringcache start`, hands the config's log
 * settings to the process logger, then runs the role's main (roles.ts).
 */
export async function runRole(role: RoleName, config: RingcacheConfig, argv: readonly string[]): Promise<void> {
  const ports = rolePorts(role, config, argv);
  const listen = roleHost(role, config, argv);
  requireTokenBeyondLoopback(role, listen.host, listen.key, config);
  await checkPortsFree(ports);
  exportLogSettings(config);
  const module = await loadRole(role);
  try {
    await module.run(config, [...argv]);
  } catch (error) {
    // Another process may take a port between the check and the listen.
    throw portInUseFromError(error, ports) ?? error;
  }
}

/** The ports the role will bind, named by config key (a node's from its --id). */
function rolePorts(role: RoleName, config: RingcacheConfig, argv: readonly string[]): MemberPlan['ports'] {
  const plan = planCluster(config);
  if (role === 'master') return plan.master.ports;
  if (role === 'proxy') return plan.proxy.ports;
  const id = argv[argv.indexOf('--id') + 1];
  return plan.nodes.find((node) => node.name === id)?.ports ?? [];
}

/** The address the role listens on and the config key that sets it. */
function roleHost(role: RoleName, config: RingcacheConfig, argv: readonly string[]): { host: string; key: string } {
  if (role === 'master') return { host: config.master.host, key: 'master.host' };
  if (role === 'proxy') return { host: config.proxy.host, key: 'proxy.host' };
  const id = argv[argv.indexOf('--id') + 1];
  const index = config.nodes.findIndex((node) => node.id === id);
  return { host: config.nodes[index]?.host ?? '127.0.0.1', key: `nodes[${index}].host` };
}

/**
 * processLogger() reads the log settings from the environment (the mains take no logger
 * settings); the config, file and overrides included, is where they were decided.
 */
function exportLogSettings(config: RingcacheConfig): void {
  process.env.RINGCACHE_LOG_LEVEL = config.log.level;
  process.env.RINGCACHE_LOG_FORMAT = config.log.format;
}
