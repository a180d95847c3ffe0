import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, readConfigFile } from '../config/index.js';
import type { RingcacheConfig } from '../config/index.js';

/**
 * Which config file a command reads, first match wins:
 *   1. --config FILE
 *   2. RINGCACHE_CONFIG (reserved by the loader, so it is never taken for a config key)
 *   3. config/local.json in the current directory (a checkout, or a project that copied it)
 *   4. config/local.json shipped in the package
 * Then RINGCACHE_* variables and --section.key=value overrides apply on top (src/config/load.ts).
 */
export interface ConfigChoice {
  readonly path: string;
  readonly origin: 'flag' | 'env' | 'cwd' | 'package';
}

const PACKAGE_LEVELS_MAX = 6;

/**
 * The package's root: the nearest folder above this file holding package.json. Found by walking
 * up because this file runs both from src/cli (tests) and dist/src/cli (the built CLI).
 */
export function packageRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < PACKAGE_LEVELS_MAX; level++) {
    if (existsSync(join(folder, 'package.json'))) return folder;
    folder = dirname(folder);
  }
  throw new Error(`package.json not found within ${PACKAGE_LEVELS_MAX} folders above ${fileURLToPath(import.meta.url)}`);
}

/** The launcher children are started with: `node <this> master|node|proxy ...`. */
export function cliLauncherPath(): string {
  return join(packageRoot(), 'bin', 'ringcache.js');
}

export function chooseConfigFile(
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): ConfigChoice {
  if (explicit !== undefined) return { path: resolve(cwd, explicit), origin: 'flag' };
  const fromEnv = env.RINGCACHE_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return { path: resolve(cwd, fromEnv), origin: 'env' };
  const local = resolve(cwd, 'config', 'local.json');
  if (existsSync(local)) return { path: local, origin: 'cwd' };
  return { path: join(packageRoot(), 'config', 'local.json'), origin: 'package' };
}

/** Reads, layers and validates; throws RingcacheError RC_ERR_CONFIG naming the key. */
export function loadCliConfig(
  choice: ConfigChoice,
  overrides: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): RingcacheConfig {
  const file = readConfigFile(choice.path);
  return loadConfig({ file, fileName: choice.path, env, overrides });
}

/** The config arguments that make a child process load exactly the same config. */
export function childConfigArgs(configPath: string, overrides: readonly string[]): string[] {
  return ['--config', configPath, ...overrides.map((override) => `--${override}`)];
}
