import { readFileSync } from 'node:fs';
import { portIsFree } from '../../src/cli/http-probe.js';

/**
 * Ports for servers that a test starts in a child process, which must be chosen before the child
 * binds. The kernel's port 0 is racy here: a port released by our probe can be handed to another
 * test file's probe, or to any outgoing connection, before the child binds it (CI once failed on
 * two nodes sharing a port). So each vitest worker takes ports from its own block below the
 * ephemeral range, which the kernel never hands out on its own, and probes each before use.
 */
const BLOCK = 400;
/**
 * Where this run's blocks start. RC_TEST_PORT_BASE moves them, so two checkouts can run their
 * suites side by side on one machine without probing each other's ports. (Not a RINGCACHE_*
 * name: the config loader refuses unknown ones, and child processes inherit the environment.
 * The older RINGCACHE_TEST_PORT_BASE is still read, and removed so children do not see it.)
 */
const FIRST = portBase(process.env.RC_TEST_PORT_BASE ?? process.env.RINGCACHE_TEST_PORT_BASE);
delete process.env.RINGCACHE_TEST_PORT_BASE;

function portBase(text: string | undefined): number {
  const base = Number(text ?? '20000');
  if (!Number.isInteger(base) || base < 1024 || base > 30_000) throw new Error(`RC_TEST_PORT_BASE must be an integer in 1024..30000, got '${String(text)}'`);
  return base;
}

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > FIRST + BLOCK ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const worker = Number(process.env.VITEST_POOL_ID ?? '1');
const blocks = Math.floor((ephemeralLow() - FIRST) / BLOCK);
const start = FIRST + ((Math.max(1, worker) - 1) % blocks) * BLOCK;
let next = start;

/** A port of this worker's block that nothing listens on; never the same one twice. */
export async function testPort(host = '127.0.0.1'): Promise<number> {
  while (next < start + BLOCK) {
    const port = next++;
    if (await portIsFree(host, port)) return port;
  }
  throw new Error(`test ports: worker ${String(worker)} used up its block ${String(start)}..${String(start + BLOCK - 1)}`);
}
