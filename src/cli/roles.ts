import type { RingcacheConfig } from '../config/index.js';
import { stopAll, startAll } from '../runtime/index.js';
import type { Startable } from '../runtime/index.js';
import { CommandFailure } from './command.js';

/**
 * The contract between the CLI and the three process mains (`ringcache master|node|proxy`).
 *
 * Each main is one module exporting
 *
 *     export async function run(config: RingcacheConfig, argv: string[]): Promise<void>
 *
 *   shard-master/main.ts   ringcache master                 argv: []
 *   src/node/main.ts       ringcache node --id n1           argv: ['--id', 'n1'] (checked against config.nodes)
 *   src/proxy/main.ts      ringcache proxy                  argv: []
 *
 * `config` is loaded and validated already (file < RINGCACHE_* env < --section.key=value);
 * `argv` holds the role's own arguments (config arguments removed). `run`:
 *   1. wires and starts the role's components (STYLE.md practice 11: one composition root);
 *   2. once every listener serves, including GET /health on its HTTP port (master.port,
 *      nodes[i].httpPort, proxy.httpPort), prints ONE line on stdout:
 *        {"ready":true,"role":"node","id":"n1","pid":1234,"httpPort":7201,"port":7101}
 *      (`readyLine()` builds it; the bound ports are the real ones when the config said 0);
 *   3. runs until SIGTERM or SIGINT (or its parent `ringcache start` going away), stops the
 *      components in reverse order and then resolves. Rejecting means the role failed to start
 *      or to stop: the CLI prints the message and exits 1 (2 for RC_ERR_CONFIG).
 * `serveUntilStopped()` below does 2 and 3, so a main is: build components, call it.
 * Logs go to stderr through processLogger() (process-logger.ts), which takes its level and format
 * from the config; `ringcache start` reads its children's JSON lines and renders them itself.
 * Before `run`, the CLI checks the role's ports and turns a port in use into RC_ERR_PORT_IN_USE
 * (role-command.ts).
 */
export interface RoleModule {
  run(config: RingcacheConfig, argv: string[]): Promise<void>;
}

export type RoleName = 'master' | 'node' | 'proxy';

export interface ReadyLine {
  readonly ready: true;
  readonly role: string;
  readonly pid: number;
  readonly id?: string;
  /** HTTP port serving /health (every role has one). */
  readonly httpPort?: number;
  /** Node: internode RESP port. */
  readonly port?: number;
  /** Proxy: client RESP port. */
  readonly respPort?: number;
}

export function readyLine(fields: Omit<ReadyLine, 'ready' | 'pid'>): string {
  return JSON.stringify({ ready: true, ...fields, pid: process.pid });
}

/** The ready line if `line` is one, else undefined (any other output is a log line). */
export function parseReadyLine(line: string): ReadyLine | undefined {
  if (!line.startsWith('{"ready":true')) return undefined;
  try {
    const value = JSON.parse(line) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    const record = value as Record<string, unknown>;
    if (record.ready !== true || typeof record.role !== 'string') return undefined;
    return value as ReadyLine;
  } catch {
    return undefined;
  }
}

export interface ServeOptions {
  readonly role: RoleName;
  readonly id?: string;
  /** Started in order, stopped in reverse. */
  readonly components: readonly Startable[];
  /** Ports to announce, read after start (so port 0 shows the bound port). */
  readonly ports: () => Pick<ReadyLine, 'httpPort' | 'port' | 'respPort'>;
  /** Where the ready line goes; stdout by default. */
  readonly write?: (line: string) => void;
  /**
   * Stop when the supervising parent's IPC channel closes. Default true; false where the IPC
   * channel is not ours to watch (a test worker's channel to its runner).
   */
  readonly watchParent?: boolean;
}

/**
 * Starts the components, prints the ready line, waits for SIGTERM, SIGINT or the supervising
 * parent's IPC channel closing (`ringcache start` killed with SIGKILL must not leave orphans
 * holding the ports), then stops the components and resolves. A second signal while stopping
 * exits at once with 130, as shells expect of a double Ctrl-C.
 */
export async function serveUntilStopped(options: ServeOptions): Promise<void> {
  await startAll(options.components);
  const write = options.write ?? ((line: string): void => { process.stdout.write(`${line}\n`); });
  const idField = options.id === undefined ? {} : { id: options.id };
  const request = stopRequest(options.watchParent ?? true);
  try {
    write(readyLine({ role: options.role, ...idField, ...options.ports() }));
    await request.requested;
    await stopAll(options.components);
  } finally {
    request.dispose();
  }
}

/**
 * `requested` resolves on the first SIGTERM/SIGINT/parent disconnect; the listeners stay until
 * `dispose()` so that a second signal during the stop still exits at once.
 */
function stopRequest(watchParent: boolean): { requested: Promise<string>; dispose: () => void } {
  let resolveRequest: (why: string) => void = () => undefined;
  const requested = new Promise<string>((resolve) => { resolveRequest = resolve; });
  let stopping = false;
  const onStop = (why: string): void => {
    if (stopping) process.exit(130);
    stopping = true;
    resolveRequest(why);
  };
  const onTerm = (): void => { onStop('SIGTERM'); };
  const onInt = (): void => { onStop('SIGINT'); };
  const onDisconnect = (): void => { onStop('parent exited'); };
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  const supervised = watchParent && process.send !== undefined;
  if (supervised) {
    // The channel must not keep the process alive once the role has stopped.
    process.channel?.unref();
    process.on('disconnect', onDisconnect);
  }
  const dispose = (): void => {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    if (supervised) process.off('disconnect', onDisconnect);
  };
  return { requested, dispose };
}

/** Where each role's main lives, relative to dist/src/cli/main.js (and src/cli/main.ts). */
export const ROLE_MODULES: Readonly<Record<RoleName, string>> = Object.freeze({
  master: '../../shard-master/main.js',
  node: '../node/main.js',
  proxy: '../proxy/main.js',
});

/**
 * Imports a role's main on demand, so `ringcache status` never loads the storage engine, and so
 * the CLI builds before the mains exist. The specifier is a variable on purpose: tsc does not
 * resolve it, and a missing main is a clear runtime message instead of a build error.
 */
export async function loadRole(role: RoleName): Promise<RoleModule> {
  const specifier = ROLE_MODULES[role];
  let module: unknown;
  try {
    module = await import(specifier);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // Only the main itself being absent means "not wired"; a main whose own import fails is a real error.
    // (Node names the absolute path, vitest a root-relative one: match the tail, 'node/main.js'.)
    if (code === 'ERR_MODULE_NOT_FOUND' && (error as Error).message.includes(`${specifier.replace(/^(\.\.\/)+/, '')}'`)) {
      throw new CommandFailure('RC_ERR_INTERNAL', `the ${role} role is not wired yet: ${specifier} (from src/cli) is missing; see src/cli/roles.ts for its contract`);
    }
    throw error;
  }
  const run = (module as Partial<RoleModule> | null)?.run;
  if (typeof run !== 'function') {
    throw new CommandFailure('RC_ERR_INTERNAL', `${specifier} does not export run(config, argv); see src/cli/roles.ts`);
  }
  return module as RoleModule;
}
