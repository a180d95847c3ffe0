import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPort } from '../support/ports.js';

/**
 * The CLI's failures as a user meets them, from real processes: a port already in use gives
 * one coded message naming the port and its key, whichever role (or `start`) hits it, and a
 * bad log level is a config error, not a stack trace.
 */
const LAUNCHER = fileURLToPath(new URL('../../bin/ringcache.js', import.meta.url));
const TEST_MIN = fileURLToPath(new URL('../../config/test-min.json', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'ringcache-cli-errors-'));
const configFile = join(folder, 'config.json');
const squatters: net.Server[] = [];
const ports = { master: 0, resp: 0, node2Http: 0 };

beforeAll(async () => {
  const base = JSON.parse(readFileSync(TEST_MIN, 'utf8')) as Record<string, Record<string, unknown>>;
  ports.master = await testPort();
  ports.resp = await testPort();
  ports.node2Http = await testPort();
  const nodes = [];
  for (const [index, zone] of ['a', 'b', 'c'].entries()) {
    nodes.push({ id: `n${index + 1}`, zone, capacity: 1, host: '127.0.0.1', port: await testPort(), httpPort: index === 1 ? ports.node2Http : await testPort() });
  }
  writeFileSync(configFile, JSON.stringify({
    ...base,
    master: { ...base.master, port: ports.master, stateFile: join(folder, 'master-state.json') },
    proxy: { ...base.proxy, respPort: ports.resp, httpPort: await testPort(), tableCacheFile: join(folder, 'proxy-table.json') },
    nodes,
  }));
  for (const port of [ports.master, ports.resp, ports.node2Http]) {
    const server = net.createServer();
    await new Promise<void>((resolve) => { server.listen(port, '127.0.0.1', resolve); });
    squatters.push(server);
  }
});

afterAll(async () => {
  await Promise.all(squatters.map((server) => new Promise((resolve) => server.close(resolve))));
  rmSync(folder, { recursive: true, force: true });
});

async function ringcache(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  try {
    await promisify(execFile)(process.execPath, [LAUNCHER, ...args, '--config', configFile], { env: { ...process.env, ...env }, timeout: 30_000 });
    return { code: 0, stderr: '' };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code ?? -1, stderr: failed.stderr ?? '' };
  }
}

describe('CLI errors from real processes', () => {
  it.each([
    [['master'], 'master', 'master.port', 'choose another: --master.port=PORT'],
    [['node', '--id', 'n2'], 'node', 'nodes[1].httpPort', 'change nodes[1].httpPort in the config file'],
    [['proxy'], 'proxy', 'proxy.respPort', 'choose another: --proxy.respPort=PORT'],
    [['start'], 'start', 'master.port', 'choose another: --master.port=PORT'],
  ])('%j with its port taken: RC_ERR_PORT_IN_USE naming the port and %s', async (args, command, key, advice) => {
    const port = key === 'master.port' ? ports.master : key === 'proxy.respPort' ? ports.resp : ports.node2Http;
    const { code, stderr } = await ringcache(args);
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n').filter((line) => line.startsWith(`ringcache ${command}: `));
    expect(lines).toEqual([
      `ringcache ${command}: RC_ERR_PORT_IN_USE: port ${port} (${key}) on 127.0.0.1 is in use by another process`,
      `ringcache ${command}: hint: stop the process that holds it (an earlier ringcache start?), or ${advice}`,
    ]);
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 40_000);

  it('a bad RINGCACHE_LOG_LEVEL stops a role with RC_ERR_CONFIG naming the variable and the levels, exit 2', async () => {
    const { code, stderr } = await ringcache(['node', '--id', 'n1'], { RINGCACHE_LOG_LEVEL: 'chatty' });
    expect(code).toBe(2);
    expect(stderr).toContain("ringcache node: RC_ERR_CONFIG: config: RINGCACHE_LOG_LEVEL must be one of 'trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent' (it sets log.level), got 'chatty'");
    expect(stderr).toMatch(/ringcache node: hint: /);
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 40_000);
});
