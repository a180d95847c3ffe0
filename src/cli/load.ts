import { isRingcacheError } from '../runtime/index.js';
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
  synopsis: '[--seconds S] [--connections C] [--pipeline P] [--http]',
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
  ],
  details: ['Sends AUTH / Authorization with proxy.password when one is configured.'],
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

async function runLoad(context: CommandContext): Promise<number> {
  const settings = loadSettings(context.args);
  const { proxy } = context.config;
  const host = optionText(context.args, 'host', proxy.host);
  const port = optionInteger(context.args, 'port', settings.protocol === 'http' ? proxy.httpPort : proxy.respPort, 1, 65535);
  const { runLoadCommand } = await importWithOptional('load', () => import('../../load/load-command.js'));
  try {
    await runLoadCommand({ settings, host, port, password: proxy.password, io: context.io });
  } catch (error) {
    const code = isRingcacheError(error) ? error.code : 'RC_ERR_UNREACHABLE';
    throw new CommandFailure(code, (error as Error).message, 'is the proxy running (npm start)? --host / --port, or the config, must point at it');
  }
  return EXIT.ok;
}
