import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { RingcacheConfig } from '../config/index.js';
import { RingcacheError } from '../runtime/index.js';

/**
 * The cluster secret by default (DESIGN.md section 8). Where a command's token comes from, first
 * match wins:
 *
 *   1. cluster.token (config file, RINGCACHE_CLUSTER_TOKEN, --cluster.token=...)
 *   2. the file cluster.tokenFile (var/cluster-token), relative to the folder the command runs in
 *   3. `ringcache start` only: a new random token written to that file, mode 0600
 *
 * So `npm start` needs no setup and still has a secret, and every other command started from the
 * same folder (`ringcache node --id n6`, `ringcache status`) finds it without being told.
 */
export type TokenOrigin = 'config' | 'file' | 'created' | 'none';

/** 32 random bytes: 256 bits, far past guessing; base64url so it fits a header, a URL fragment and AUTH. */
const TOKEN_BYTES = 32;
/** A token file longer than this is not one we wrote (and is not read further). */
const TOKEN_FILE_BYTES_MAX = 4096;
/** Permission bits for group and others: a token file readable by them is refused. */
const GROUP_OTHER_BITS = 0o077;

export interface ResolvedToken {
  readonly config: RingcacheConfig;
  readonly origin: TokenOrigin;
  /** The token file's absolute path (even when the token came from the config). */
  readonly file: string | undefined;
}

/** The config with cluster.token filled in from the token file, creating it when `create`. */
export function resolveClusterToken(config: RingcacheConfig, cwd: string, create: boolean): ResolvedToken {
  const file = config.cluster.tokenFile === '' ? undefined : resolve(cwd, config.cluster.tokenFile);
  if (config.cluster.token !== '') return { config, origin: 'config', file };
  if (file === undefined) return { config, origin: 'none', file };
  const existing = readTokenFile(file);
  if (existing !== undefined) return { config: withToken(config, existing), origin: 'file', file };
  if (!create) return { config, origin: 'none', file };
  const created = createTokenFile(file);
  return { config: withToken(config, created.token), origin: created.raced ? 'file' : 'created', file };
}

function withToken(config: RingcacheConfig, token: string): RingcacheConfig {
  return { ...config, cluster: { ...config.cluster, token } };
}

/** The token in `file`, or undefined when there is no such file. */
export function readTokenFile(file: string): string | undefined {
  let descriptor: number;
  try {
    descriptor = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw tokenFileError(file, `cannot be read: ${(error as Error).message}`);
  }
  try {
    const stat = fstatSync(descriptor);
    if (process.platform !== 'win32' && (stat.mode & GROUP_OTHER_BITS) !== 0) {
      throw tokenFileError(file, `is readable by other users (mode ${(stat.mode & 0o777).toString(8)}): chmod 600 ${file}`);
    }
    if (stat.size > TOKEN_FILE_BYTES_MAX) throw tokenFileError(file, `is ${stat.size} bytes, more than a token (${TOKEN_FILE_BYTES_MAX} at most)`);
    const token = readFileSync(descriptor, 'utf8').trim();
    if (token === '' || /\s/.test(token)) throw tokenFileError(file, 'must hold one token on one line, without spaces');
    return token;
  } finally {
    closeSync(descriptor);
  }
}

/**
 * Writes a new token with O_EXCL, so two commands starting at once cannot end up with two
 * tokens: the one that loses the race reads the winner's.
 */
function createTokenFile(file: string): { token: string; raced: boolean } {
  mkdirSync(dirname(file), { recursive: true });
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  let descriptor: number;
  try {
    descriptor = openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw tokenFileError(file, `cannot be created: ${(error as Error).message}`);
    const winner = readTokenFile(file);
    if (winner === undefined) throw tokenFileError(file, 'vanished while it was being created');
    return { token: winner, raced: true };
  }
  try {
    writeSync(descriptor, `${token}\n`);
  } finally {
    closeSync(descriptor);
  }
  return { token, raced: false };
}

function tokenFileError(file: string, problem: string): RingcacheError {
  return new RingcacheError('RC_ERR_CONFIG', `config: cluster.tokenFile ${file} ${problem}`);
}

/** Addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost' || bare === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare) || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(bare);
}

/**
 * A role that listens beyond loopback without a token would let anyone on the network read and
 * overwrite every replica; it refuses to start, saying how to get one.
 */
export function requireTokenBeyondLoopback(role: string, host: string, hostKey: string, config: RingcacheConfig): void {
  if (config.cluster.token !== '' || isLoopbackHost(host)) return;
  throw new RingcacheError('RC_ERR_TOKEN_REQUIRED',
    `${role} listens on ${host} (${hostKey}), beyond loopback, and has no cluster token: ` +
    'set cluster.token in the config or RINGCACHE_CLUSTER_TOKEN, or put the token in the file cluster.tokenFile names ' +
    `(${config.cluster.tokenFile === '' ? 'none configured' : config.cluster.tokenFile}; ringcache start creates it and ringcache status --show-token shows it)`);
}
