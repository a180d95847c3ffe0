import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isLoopbackHost, requireTokenBeyondLoopback, resolveClusterToken } from '../../src/cli/cluster-token.js';
import { main } from '../../src/cli/main.js';
import { loadConfig, readConfigFile } from '../../src/config/index.js';
import type { RingcacheConfig } from '../../src/config/index.js';
import { expectError } from '../support/expect-error.js';

const scratch = mkdtempSync(join(tmpdir(), 'ringcache-token-'));
afterAll(() => { rmSync(scratch, { recursive: true, force: true }); });
const LOCAL = fileURLToPath(new URL('../../config/local.json', import.meta.url));
const local = (overrides: string[] = []): RingcacheConfig => loadConfig({ file: readConfigFile(LOCAL), fileName: LOCAL, overrides });
let folders = 0;
const freshFolder = (): string => {
  const folder = join(scratch, `run-${++folders}`);
  mkdirSync(folder);
  return folder;
};

async function cli(argv: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { io: { out: (line) => out.push(line), err: (line) => err.push(line) }, env, cwd });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('the cluster token by default', () => {
  it('start creates var/cluster-token, random, mode 0600; later commands read the same one', () => {
    const cwd = freshFolder();
    const created = resolveClusterToken(local(), cwd, true);
    expect(created.origin).toBe('created');
    const file = join(cwd, 'var', 'cluster-token');
    expect(created.file).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = created.config.cluster.token;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(file, 'utf8')).toBe(`${token}\n`);
    const again = resolveClusterToken(local(), cwd, true);
    expect(again).toMatchObject({ origin: 'file', config: { cluster: { token } } });
    expect(resolveClusterToken(local(), cwd, false).config.cluster.token).toBe(token);
    // Another folder, another cluster, another token.
    expect(resolveClusterToken(local(), freshFolder(), true).config.cluster.token).not.toBe(token);
  });

  it('only start creates it; a token in the config wins over the file; an empty tokenFile turns the file off', () => {
    const cwd = freshFolder();
    expect(resolveClusterToken(local(), cwd, false)).toMatchObject({ origin: 'none', config: { cluster: { token: '' } } });
    expect(existsSync(join(cwd, 'var'))).toBe(false);
    resolveClusterToken(local(), cwd, true);
    expect(resolveClusterToken(local(['cluster.token=mine']), cwd, true)).toMatchObject({ origin: 'config', config: { cluster: { token: 'mine' } } });
    expect(resolveClusterToken(local(['cluster.tokenFile=']), cwd, true)).toMatchObject({ origin: 'none', config: { cluster: { token: '' } } });
  });

  it('refuses a token file other users can read, and one that is not a single token', () => {
    const cwd = freshFolder();
    const file = join(cwd, 'token');
    writeFileSync(file, 'abc\n', { mode: 0o644 });
    chmodSync(file, 0o644);
    expectError(() => resolveClusterToken(local([`cluster.tokenFile=${file}`]), cwd, false), 'RC_ERR_CONFIG', /readable by other users.*chmod 600/);
    chmodSync(file, 0o600);
    expect(resolveClusterToken(local([`cluster.tokenFile=${file}`]), cwd, false).config.cluster.token).toBe('abc');
    writeFileSync(file, 'two words\n');
    expectError(() => resolveClusterToken(local([`cluster.tokenFile=${file}`]), cwd, false), 'RC_ERR_CONFIG', /one token on one line/);
  });

  it('ringcache status --show-token prints the token alone, or says there is none', async () => {
    const cwd = freshFolder();
    const none = await cli(['status', '--show-token'], cwd);
    expect(none.code).toBe(1);
    expect(none.err).toContain('RC_ERR_NOT_FOUND: no cluster token');
    const { config } = resolveClusterToken(local(), cwd, true);
    expect(await cli(['status', '--show-token'], cwd)).toEqual({ code: 0, out: config.cluster.token, err: '' });
    expect((await cli(['status', '--show-token'], cwd, { RINGCACHE_CLUSTER_TOKEN: 'from-env' })).out).toBe('from-env');
  });

  it('a role listening beyond loopback without a token refuses to start, saying how to set one', async () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '128.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
    expectError(() => { requireTokenBeyondLoopback('proxy', '0.0.0.0', 'proxy.host', local()); }, 'RC_ERR_TOKEN_REQUIRED', /cluster\.token/);
    requireTokenBeyondLoopback('proxy', '0.0.0.0', 'proxy.host', local(['cluster.token=x']));
    const cwd = freshFolder();
    const json = JSON.parse(readFileSync(LOCAL, 'utf8')) as { nodes: { host: string }[] };
    const first = json.nodes[0];
    if (first !== undefined) first.host = '10.1.1.1';
    const configFile = join(cwd, 'wide.json');
    writeFileSync(configFile, JSON.stringify(json));
    for (const argv of [['master', '--master.host=0.0.0.0'], ['proxy', '--proxy.host=0.0.0.0'], ['node', '--id', 'n1']]) {
      const result = await cli([...argv, '--config', configFile], cwd);
      expect(result.code, argv.join(' ')).toBe(1);
      expect(result.err).toContain('RC_ERR_TOKEN_REQUIRED');
      expect(result.err).toContain('beyond loopback');
    }
  });
});
