/** Shared set-up for the shard-master and table follower tests: temp dirs, configs, loggers. */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import type { RingcacheConfig } from '../../src/config/index.js';
import type { Logger } from '../../src/runtime/index.js';

/** The local cluster's shape: 5 nodes in zones a, a, b, b, c. */
export const FIVE_NODES = [
  { id: 'n1', zone: 'a', port: 7101, httpPort: 7201 },
  { id: 'n2', zone: 'a', port: 7102, httpPort: 7202 },
  { id: 'n3', zone: 'b', port: 7103, httpPort: 7203 },
  { id: 'n4', zone: 'b', port: 7104, httpPort: 7204 },
  { id: 'n5', zone: 'c', port: 7105, httpPort: 7205 },
];

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ringcache-master-'));
}

export interface MasterConfigOptions {
  readonly stateFile: string;
  readonly port?: number;
  readonly longPollMs?: number;
  readonly token?: string;
  readonly vnodeCount?: number;
  readonly nodes?: readonly object[];
}

export function masterConfig(options: MasterConfigOptions): RingcacheConfig {
  return loadConfig({
    file: {
      cluster: { vnodeCount: options.vnodeCount ?? 1024, replicaCount: 3, token: options.token ?? '' },
      master: { host: '127.0.0.1', port: options.port ?? 0, stateFile: options.stateFile, longPollMs: options.longPollMs ?? 25_000 },
      nodes: options.nodes ?? FIVE_NODES,
    },
  });
}

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: object;
  readonly message: string;
}

/** A logger that keeps what it is told, for assertions. */
export function recordingLogger(): Logger & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (fields: object, message = ''): void => { lines.push({ level, fields, message }); };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  return port;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
