/**
 * What package.json promises, checked against the tree: one licence, every run-time dependency
 * used, bench tools optional, the docs shipped, the version restated in code equal to the
 * package's. The packed tarball itself is installed and run by test/integration/package.test.ts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOAD_PACKAGES, importWithOptional } from '../../src/cli/optional-import.js';
import { RINGCACHE_VERSION } from '../../src/metrics/index.js';
import { rejection } from '../support/expect-error.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface PackageJson {
  readonly version: string;
  readonly license: string;
  readonly repository?: { readonly type: string; readonly url: string };
  readonly engines: { readonly node: string };
  readonly files: readonly string[];
  readonly scripts: Readonly<Record<string, string>>;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

/**
 * Run-time dependencies that no module imports, each with its reason. light-my-request is
 * fastify's inject(); fastify 5 accepts ^6.0.0, and 6.8 brought cookie@2, which declares Node 22,
 * so `npm ci` on Node 20 warned EBADENGINE. Listing 6.6.0 here makes npm resolve fastify's range
 * to it, for this repository and for anyone installing the package (an `overrides` entry would
 * only hold here). Drop it when engines.node moves to 22.
 */
const PINNED_ONLY: Readonly<Record<string, string>> = { 'light-my-request': '6.6.0' };

/** Every .ts file under the folders whose compiled code ships, test helpers excluded. */
function shippedSources(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => readFileSync(join(ROOT, folder, file), 'utf8'));
}

describe('package.json', () => {
  it('has one licence, MIT, and the LICENSE file says so', () => {
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });

  it('names no repository it cannot vouch for', () => {
    // The project has no public home yet: a made-up URL would send users and npm's "Repository"
    // link to someone else's page. Add the field with the real URL when there is one.
    expect(pkg.repository).toBeUndefined();
  });

  it('restates its version in code for INFO and ringcache_build_info', () => {
    expect(RINGCACHE_VERSION).toBe(pkg.version);
  });

  it('builds before packing and ships the docs, the ops files and the licence', () => {
    expect(pkg.scripts.prepack).toBe('npm run build');
    for (const entry of ['docs', 'ops', 'config', 'bin', 'dist/src', 'dist/shard-master', 'dist/load']) expect(pkg.files).toContain(entry);
  });

  it('imports every run-time dependency somewhere in the shipped code, bench tools kept optional', () => {
    const sources = [...shippedSources('src'), ...shippedSources('shard-master'), ...shippedSources('load')].join('\n');
    const imported = (name: string): boolean => sources.includes(`from '${name}'`) || sources.includes(`import('${name}')`);
    for (const name of Object.keys(pkg.dependencies)) {
      if (name in PINNED_ONLY) expect(pkg.dependencies[name]).toBe(PINNED_ONLY[name]);
      else expect([name, imported(name)]).toEqual([name, true]);
    }
    expect(Object.keys(pkg.optionalDependencies ?? {}).sort()).toEqual([...LOAD_PACKAGES].sort());
    for (const name of LOAD_PACKAGES) {
      expect(pkg.dependencies[name]).toBeUndefined();
      // Only load/ (behind importWithOptional) may import them, never a server role.
      expect([...shippedSources('src'), ...shippedSources('shard-master')].some((text) => text.includes(`from '${name}'`))).toBe(false);
    }
  });
});

describe('importWithOptional', () => {
  it('turns a missing optional package into RC_ERR_MISSING_DEPENDENCY naming it', async () => {
    const missing = Object.assign(new Error("Cannot find package 'autocannon' imported from /x/dist/load/http-driver.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    const error = await rejection(importWithOptional('load', () => Promise.reject(missing)));
    expect(error.code).toBe('RC_ERR_MISSING_DEPENDENCY');
    expect(error.message).toBe("ringcache load needs the optional package 'autocannon', which is not installed (npm install --omit=optional leaves it out): run npm install autocannon zipfian-integer");
  });

  it('lets any other failure through unchanged', async () => {
    const other = Object.assign(new Error("Cannot find module '/x/dist/load/bench.js'"), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(importWithOptional('bench', () => Promise.reject(other))).rejects.toBe(other);
    await expect(importWithOptional('bench', () => Promise.resolve(42))).resolves.toBe(42);
  });
});
