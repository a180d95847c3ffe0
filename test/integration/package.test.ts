/**
 * The npm package as a user gets it: `npm pack` (its prepack build included) in a copy of this
 * checkout, the tarball installed into an empty folder, then `npx ringcache --help`, an import
 * of RingcacheClient, the docs and ops files with working links, and the clear error of
 * `ringcache load` when its optional packages are left out. The install must be warning-free
 * on this Node (no EBADENGINE).
 *
 * The copy keeps the build out of this checkout's dist/, which other test files are using. The
 * install resolves from npm's local cache first (`--prefer-offline`: `npm ci` filled it) and
 * asks the registry only for what is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NPM_TIMEOUT_MS = 240_000;

/**
 * This process's environment as a user's shell would have it: without the npm_* variables `npm
 * test` sets (they would steer the child npm) and the test runner's RINGCACHE_* ones (the config
 * loader refuses RINGCACHE_* variables that are not config keys).
 */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_') && !name.startsWith('RINGCACHE_')));
}

function run(command: string, args: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: NPM_TIMEOUT_MS });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Tracked and new (not ignored) files of the checkout: what a clean clone would hold. */
function copyCheckout(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter((file) => file !== '');
  for (const file of files) {
    if (!existsSync(join(ROOT, file))) continue;
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(ROOT, file), join(to, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(to, 'node_modules'), 'dir');
}

describe('the npm package', () => {
  const folder = mkdtempSync(join(tmpdir(), 'ringcache-pack-'));
  const source = join(folder, 'source');
  const app = join(folder, 'app');
  const installed = join(app, 'node_modules', 'ringcache');
  let installOutput = '';

  beforeAll(() => {
    copyCheckout(source);
    const pack = run('npm', ['pack', '--json', '--pack-destination', folder], source);
    expect(pack.status, pack.stderr).toBe(0);
    const [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string }[];
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(folder, packed?.filename ?? 'missing.tgz')], app);
    installOutput = install.stdout + install.stderr;
    expect(install.status, installOutput).toBe(0);
  }, 2 * NPM_TIMEOUT_MS);

  afterAll(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it('installs without a warning (no EBADENGINE on this Node)', () => {
    expect(installOutput).not.toMatch(/EBADENGINE|npm warn/i);
  });

  it('runs `npx ringcache --help` from the installed package', () => {
    const help = run('npx', ['--no-install', 'ringcache', '--help'], app);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/ringcache start/);
  });

  it('exports RingcacheClient to an importing application', () => {
    const script = "import('ringcache').then((m) => { if (typeof m.RingcacheClient?.connect !== 'function') process.exit(3); console.log('RingcacheClient ok'); })";
    const imported = run(process.execPath, ['-e', script], app);
    expect(imported.stderr).toBe('');
    expect(imported.stdout.trim()).toBe('RingcacheClient ok');
  });

  it('ships the licence, docs and ops files, with every relative link of the docs resolving inside it', () => {
    for (const file of ['LICENSE', 'README.md', 'docs/OPERATIONS.md', 'docs/ERRORS.md', 'ops/grafana/ringcache.json', 'ops/prometheus/alerts.yml', 'config/local.json']) {
      expect([file, existsSync(join(installed, file))]).toEqual([file, true]);
    }
    const pages = ['README.md', ...readdirSync(join(installed, 'docs')).map((page) => `docs/${page}`)];
    for (const page of pages) {
      const links = [...readFileSync(join(installed, page), 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((match) => match[1] as string);
      for (const link of links.filter((target) => !/^[a-z]+:/.test(target))) {
        expect([page, link, existsSync(join(installed, dirname(page), link))]).toEqual([page, link, true]);
      }
    }
  });

  it('leaves out source maps and the developer benchmarks, which need files it does not ship', () => {
    const files = readdirSync(join(installed, 'dist'), { recursive: true, encoding: 'utf8' });
    expect(files.filter((file) => file.endsWith('.map') || /-bench\.(js|d\.ts)$/.test(file))).toEqual([]);
    // ...but the module behind `ringcache bench` stays.
    expect(files).toContain(join('load', 'bench.js'));
    expect(existsSync(join(installed, 'dist', 'test'))).toBe(false);
  });

  it('says which optional package `ringcache load` misses, and how to get it', () => {
    rmSync(join(app, 'node_modules', 'autocannon'), { recursive: true, force: true });
    const load = run('npx', ['--no-install', 'ringcache', 'load', '--seconds', '1'], app);
    expect(load.status).not.toBe(0);
    expect(load.stderr).toContain("ringcache load needs the optional package 'autocannon', which is not installed");
    expect(load.stderr).toContain('npm install autocannon zipfian-integer');
  });
});
