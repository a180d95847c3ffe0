import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'undici';
import { configAsJson, describeExit, freePort, LocalCluster, resolveClusterConfig } from '../src/cli/index.js';
import { loadConfig } from '../src/config/index.js';
import type { RingcacheConfig } from '../src/config/index.js';
import { SystemClock } from '../src/runtime/index.js';
import { benchClusterConfig } from './bench-targets.js';
import type { LineSink } from './peers.js';
import type { RespTlsOptions } from './resp-driver.js';
import type { ThrowawayCa } from './throwaway-ca.js';

/**
 * The clusters `ringcache bench security` compares, all of one shape (the config's nodes, N=3
 * R=2 W=2, every port free at run time) and differing in one setting each:
 *
 *   auth-off     cluster.token '' and no token file: internode links send no AUTH
 *   auth-on      a cluster token: every internode connection authenticates (the default)
 *   proxy-tls    auth-on + proxy.tlsCertFile/tlsKeyFile: the client ports speak TLS
 *   cluster-tls  auth-on + tls.certFile/keyFile/caFile: every internode link and HTTP port is TLS
 */
export type SecurityVariant = 'auth-off' | 'auth-on' | 'proxy-tls' | 'cluster-tls';

export const SECURITY_VARIANTS: readonly SecurityVariant[] = ['auth-off', 'auth-on', 'proxy-tls', 'cluster-tls'];

export interface SecurityCluster {
  readonly variant: SecurityVariant;
  readonly config: RingcacheConfig;
  /** The proxy's RESP port, with TLS options when its client ports speak TLS. */
  readonly resp: { readonly host: string; readonly port: number; readonly password?: string; readonly tls?: RespTlsOptions };
  /** Every process of the cluster (their CPU time is the cluster's cost). */
  pids(): number[];
  proxyPid(): number | undefined;
  stop(): Promise<void>;
}

const clock = new SystemClock();

function variantJson(base: RingcacheConfig, variant: SecurityVariant, ca: ThrowawayCa): Record<string, unknown> {
  const json = configAsJson(base) as Record<string, Record<string, unknown>>;
  const token = randomBytes(32).toString('base64url');
  json.cluster = variant === 'auth-off'
    ? { ...json.cluster, token: '', tokenFile: '' }
    : { ...json.cluster, token, tokenFile: '' };
  if (variant === 'proxy-tls') json.proxy = { ...json.proxy, tlsCertFile: ca.certFile, tlsKeyFile: ca.keyFile };
  if (variant === 'cluster-tls') json.tls = { certFile: ca.certFile, keyFile: ca.keyFile, caFile: ca.caFile };
  return json;
}

/** fetch trusting `ca` alone: the proxy-tls variant's proxy is checked over https with the bench's own CA. */
function trustingFetch(ca: Buffer): typeof fetch {
  const pool = { dispatcher: new Agent({ connect: { ca, rejectUnauthorized: true } }) } as unknown as RequestInit;
  return (input, init) => fetch(input, { ...init, ...pool });
}

/** Starts one variant as child processes (pinned by `prefix`); its state lives under `folder`. */
export async function startSecurityCluster(base: RingcacheConfig, variant: SecurityVariant, ca: ThrowawayCa,
  folder: string, prefix: readonly string[], onLine: LineSink): Promise<SecurityCluster> {
  const own = join(folder, variant);
  mkdirSync(own, { recursive: true });
  const shaped = benchClusterConfig(base, own, 3, 2, 2);
  const config = await resolveClusterConfig(
    loadConfig({ file: variantJson(shaped, variant, ca), fileName: `bench security ${variant} config` }), () => freePort());
  const cluster = new LocalCluster({
    config, clock, ...(variant === 'proxy-tls' ? { healthFetch: trustingFetch(ca.ca) } : {}), startupTimeoutMs: 90_000, stopTimeoutMs: 5_000, commandPrefix: prefix,
    onLine: (member, stream, line) => { onLine(`${variant}/${member}`, stream, line); },
    onUnexpectedExit: (member, exit) => { onLine(variant, 'stderr', `${member} exited unexpectedly (${describeExit(exit)})`); },
  });
  try {
    await cluster.start();
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    rmSync(own, { recursive: true, force: true });
    throw error;
  }
  const { proxy } = config;
  return {
    variant,
    config,
    resp: {
      host: proxy.host, port: proxy.respPort,
      ...(proxy.password === '' ? {} : { password: proxy.password }),
      ...(variant === 'proxy-tls' ? { tls: { ca: ca.ca } } : {}),
    },
    pids: () => [...cluster.pids().values()],
    proxyPid: () => cluster.pids().get('proxy'),
    stop: async () => {
      await cluster.stop();
      rmSync(own, { recursive: true, force: true });
    },
  };
}
