import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isRingcacheError, RingcacheError } from '../runtime/index.js';
import { optionFlag, optionInteger, optionNumber, optionText, UsageError } from './args.js';
import type { ParsedArgs } from './args.js';
import { CommandFailure, EXIT } from './command.js';
import type { CommandContext, CommandSpec } from './command.js';
import { importWithOptional } from './optional-import.js';

/**
 * `ringcache load`: a Zipf workload against a running proxy, a live line per second and a
 * summary. The drivers live in load/ (imported on demand: they are not needed by other commands).
 */
export const loadCommand: CommandSpec = {
  summary: 'drive a Zipf GET/SET workload against a running proxy, one live line per second',
  synopsis: '[--seconds S] [--connections C] [--pipeline P] [--http] [--tls] [--ca FILE]',
  positionalsMax: 0,
  options: [
    { name: 'seconds', value: 'S', doc: 'how long to run (default 10)' },
    { name: 'requests', value: 'N', doc: 'stop after N requests even before --seconds (default 10000000)' },
    { name: 'connections', value: 'C', doc: 'concurrent connections (default 50)' },
    { name: 'pipeline', value: 'P', doc: 'RESP commands in flight per connection (default 1)' },
    { name: 'keys', value: 'K', doc: 'distinct keys (default 100000)' },
    { name: 'skew', value: 'S', doc: 'Zipf exponent, 0 = uniform (default 0.99, as YCSB)' },
    { name: 'get-ratio', value: 'F', doc: 'fraction of reads (default 0.9)' },
    { name: 'value-bytes', value: 'B', doc: 'bytes per written value (default 3)' },
    { name: 'preload', doc: 'SET every key once first, so reads hit' },
    { name: 'http', doc: 'use the HTTP port (GET/PUT /v1/kv/:key with autocannon) instead of RESP' },
    { name: 'host', value: 'HOST', doc: 'proxy address (default proxy.host)' },
    { name: 'port', value: 'PORT', doc: 'proxy port (default proxy.respPort, or proxy.httpPort with --http)' },
    { name: 'tls', doc: 'speak TLS to the proxy (on by itself when the config sets proxy.tlsCertFile)' },
    { name: 'ca', value: 'FILE', doc: "PEM of the CA that signed the proxy's certificate (implies --tls; default: tls.caFile when set, else the system's roots)" },
  ],
  details: [
    'Sends AUTH / Authorization with proxy.password when one is configured.',
    "Over TLS the proxy's certificate is checked against the CA (RC_ERR_TLS when it does not check out); with --http",
    'one checked handshake comes first, since autocannon encrypts but never checks a certificate itself.',
  ],
  run: runLoad,
};

export interface LoadSettings {
  readonly seconds: number;
  readonly requestsMax: number;
  readonly connections: number;
  readonly pipeline: number;
  readonly keyCount: number;
  readonly skew: number;
  readonly getRatio: number;
  readonly valueBytes: number;
  readonly preload: boolean;
  readonly protocol: 'resp' | 'http';
}

export function loadSettings(args: ParsedArgs): LoadSettings {
  const protocol = optionFlag(args, 'http') ? 'http' : 'resp';
  const pipeline = optionInteger(args, 'pipeline', 1, 1, 1024);
  if (protocol === 'http' && pipeline !== 1) throw new UsageError('--pipeline applies to RESP only');
  return {
    seconds: optionNumber(args, 'seconds', 10, 0.1, 86_400),
    requestsMax: optionInteger(args, 'requests', 10_000_000, 1, 1e12),
    connections: optionInteger(args, 'connections', 50, 1, 10_000),
    pipeline,
    keyCount: optionInteger(args, 'keys', 100_000, 1, 1e9),
    skew: optionNumber(args, 'skew', 0.99, 0, 10),
    getRatio: optionNumber(args, 'get-ratio', 0.9, 0, 1),
    valueBytes: optionInteger(args, 'value-bytes', 3, 0, 1024 * 1024),
    preload: optionFlag(args, 'preload'),
    protocol,
  };
}

/** The config keys loadTls reads: the proxy's certificate (TLS on) and the cluster CA (a default CA). */
export interface LoadTlsConfig {
  readonly proxyTlsCertFile: string;
  readonly clusterCaFile: string;
}

/**
 * TLS to the proxy: asked for with --tls or --ca, or implied by the config's proxy certificate.
 * The CA is --ca, else the cluster CA (tls.caFile: under `ringcache start` with cluster TLS the
 * proxy's certificate must be signed by it), else the system's roots. A CA file that cannot be
 * read or holds no certificate is RC_ERR_TLS before any connection is made.
 */
export function loadTls(args: ParsedArgs, cwd: string, config: LoadTlsConfig): { ca?: Buffer } | undefined {
  const caOption = args.options.get('ca');
  const on = typeof caOption === 'string' || optionFlag(args, 'tls') || config.proxyTlsCertFile !== '';
  if (!on) return undefined;
  if (typeof caOption === 'string') return { ca: readCa(resolve(cwd, caOption), `--ca ${caOption}`) };
  if (config.clusterCaFile !== '') return { ca: readCa(resolve(cwd, config.clusterCaFile), `tls.caFile ${config.clusterCaFile}`) };
  return {};
}

function readCa(path: string, what: string): Buffer {
  const advice = 'name a PEM file holding the certificate of the CA that signed the proxy\'s certificate: --ca FILE';
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (error) {
    throw new RingcacheError('RC_ERR_TLS', `${what}: cannot be read (${(error as Error).message})`, { advice });
  }
  try {
    // Parses the first certificate; Node would otherwise skip a bad CA silently and fail later, at the handshake.
    new X509Certificate(pem);
  } catch (error) {
    throw new RingcacheError('RC_ERR_TLS', `${what}: not a PEM certificate (${(error as Error).message})`, { advice });
  }
  return pem;
}

async function runLoad(context: CommandContext): Promise<number> {
  const settings = loadSettings(context.args);
  const { proxy } = context.config;
  const tls = loadTls(context.args, context.cwd, { proxyTlsCertFile: proxy.tlsCertFile, clusterCaFile: context.config.tls.caFile });
  const host = optionText(context.args, 'host', proxy.host);
  const port = optionInteger(context.args, 'port', settings.protocol === 'http' ? proxy.httpPort : proxy.respPort, 1, 65535);
  const { runLoadCommand } = await importWithOptional('load', () => import('../../load/load-command.js'));
  try {
    await runLoadCommand({ settings, host, port, password: proxy.password, io: context.io, ...(tls === undefined ? {} : { tls }) });
  } catch (error) {
    // A coded error (RC_ERR_TLS, RC_ERR_MISSING_DEPENDENCY) keeps its code and advice; anything else is the proxy not being there.
    if (isRingcacheError(error)) throw error;
    throw new CommandFailure('RC_ERR_UNREACHABLE', (error as Error).message, 'is the proxy running (npm start)? --host / --port, or the config, must point at it');
  }
  return EXIT.ok;
}
