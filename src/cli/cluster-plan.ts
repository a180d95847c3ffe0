import { loadConfig } from '../config/index.js';
import type { RingcacheConfig } from '../config/index.js';
import type { RoleName } from './roles.js';
import { clusterScheme } from '../tls/index.js';

/**
 * What `ringcache start` runs, as plain data: the members in start order, each with its role
 * arguments, the HTTP URL that says it is healthy, and the ports it will bind. Pure: no I/O, so
 * the order and the port bookkeeping are unit-tested without processes.
 *
 *   master  ->  n1 n2 n3 n4 n5 (together)  ->  proxy        stop: the reverse
 */
export interface MemberPlan {
  readonly name: string;
  readonly role: RoleName;
  /** The role's own arguments (config arguments are added by the launcher). */
  readonly roleArgs: readonly string[];
  readonly healthUrl: string;
  /** Ports it binds, named by their config key, for "port in use" messages. */
  readonly ports: readonly { readonly key: string; readonly host: string; readonly port: number }[];
}

export interface ClusterPlan {
  readonly master: MemberPlan;
  readonly nodes: readonly MemberPlan[];
  readonly proxy: MemberPlan;
}

export function planCluster(config: RingcacheConfig): ClusterPlan {
  const { master, proxy } = config;
  const scheme = clusterScheme(config);
  // With proxy TLS its health is checked over https against the cluster CA (tls.caFile).
  const proxyScheme = proxy.tlsCertFile === '' ? 'http' : 'https';
  return {
    master: {
      name: 'master',
      role: 'master',
      roleArgs: [],
      healthUrl: `${scheme}://${master.host}:${master.port}/health`,
      ports: [{ key: 'master.port', host: master.host, port: master.port }],
    },
    nodes: config.nodes.map((node, index) => ({
      name: node.id,
      role: 'node' as const,
      roleArgs: ['--id', node.id],
      healthUrl: `${scheme}://${node.host}:${node.httpPort}/health`,
      ports: [
        { key: `nodes[${index}].port`, host: node.host, port: node.port },
        { key: `nodes[${index}].httpPort`, host: node.host, port: node.httpPort },
      ],
    })),
    proxy: {
      name: 'proxy',
      role: 'proxy',
      roleArgs: [],
      healthUrl: `${proxyScheme}://${proxy.host}:${proxy.httpPort}/health`,
      ports: [
        { key: 'proxy.respPort', host: proxy.host, port: proxy.respPort },
        { key: 'proxy.httpPort', host: proxy.host, port: proxy.httpPort },
      ],
    },
  };
}

export function membersInStartOrder(plan: ClusterPlan): MemberPlan[] {
  return [plan.master, ...plan.nodes, plan.proxy];
}

type Json = Record<string, unknown>;

/**
 * The config as a JSON object the loader accepts again (sections + nodes), so a child reads
 * exactly what the parent validated.
 */
export function configAsJson(config: RingcacheConfig): Json {
  return JSON.parse(JSON.stringify(config)) as Json;
}

/**
 * Replaces every port 0 with one from `pickPort` (a cluster's members must know each other's
 * ports before they start, so 0 cannot be left to each process) and applies `edit` to the JSON
 * (e.g. the benchmark's N=1 variant). The result is validated again by loadConfig.
 */
export async function resolveClusterConfig(
  config: RingcacheConfig,
  pickPort: () => Promise<number>,
  overrides: readonly string[] = [],
): Promise<RingcacheConfig> {
  const json = configAsJson(config);
  const pick = async (section: Json, key: string): Promise<void> => {
    if (section[key] === 0) section[key] = await pickPort();
  };
  await pick(json.master as Json, 'port');
  await pick(json.proxy as Json, 'respPort');
  await pick(json.proxy as Json, 'httpPort');
  for (const node of json.nodes as Json[]) {
    await pick(node, 'port');
    await pick(node, 'httpPort');
  }
  return loadConfig({ file: json, fileName: 'resolved cluster config', overrides });
}

/** Every listening port of the plan that is not 0, for the "is it free?" check before start. */
export function boundPorts(plan: ClusterPlan): MemberPlan['ports'][number][] {
  return membersInStartOrder(plan).flatMap((member) => member.ports).filter((entry) => entry.port !== 0);
}
