/**
 * `npm ci` of this checkout is warning-free on the Node it runs on: no EBADENGINE from a
 * dependency (dev ones included) that declares a newer Node than engines.node promises. The
 * packed tarball's own install is test/integration/package.test.ts; this one covers the whole
 * lockfile, which is what a contributor installs.
 *
 * `npm ci --dry-run` checks every locked package's `engines` against the running Node exactly as
 * the real install does, without touching node_modules, in about a second (package.json and the
 * lockfile are copied to a scratch folder). A planted `engines: { node: '>=99' }` shows the check
 * sees the warning it is looking for.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NPM_TIMEOUT_MS = 120_000;

interface Lockfile {
  packages: Record<string, { engines?: Record<string, string> }>;
}

/** npm_* variables of `npm test` would steer the child npm. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
}

function dryRunCi(lock: Lockfile, folder: string): { status: number | null; output: string } {
  writeFileSync(join(folder, 'package.json'), readFileSync(join(ROOT, 'package.json')));
  writeFileSync(join(folder, 'package-lock.json'), JSON.stringify(lock, null, 2));
  const result = spawnSync('npm', ['ci', '--dry-run', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: folder, env: cleanEnv(), encoding: 'utf8', timeout: NPM_TIMEOUT_MS,
  });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('npm ci of the checkout', () => {
  const folders: string[] = [];
  const scratch = (): string => {
    const folder = mkdtempSync(join(tmpdir(), 'ringcache-ci-'));
    folders.push(folder);
    return folder;
  };
  const lock = (): Lockfile => JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile;

  afterAll(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  it(`warns of no engine on Node ${process.version}`, () => {
    const result = dryRunCi(lock(), scratch());
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/added \d+ packages/);
    expect(result.output).not.toMatch(/EBADENGINE|npm warn/i);
  }, NPM_TIMEOUT_MS);

  it('would see a dependency that needs a newer Node (a planted engines field)', () => {
    const planted = lock();
    const pino = planted.packages['node_modules/pino'];
    expect(pino).toBeDefined();
    if (pino !== undefined) pino.engines = { node: '>=99' };
    const result = dryRunCi(planted, scratch());
    expect(result.output).toMatch(/EBADENGINE[\s\S]*pino@/);
  }, NPM_TIMEOUT_MS);
});
