/**
 * The page's files (public/: HTML, plain ES modules, CSS, the vendored uPlot), read into memory
 * once when the master starts and served from that map: a URL names a file only by exact match,
 * so no path ever reaches the file system and `..` has nothing to climb.
 *
 * The page's HTML carries a Content-Security-Policy that allows scripts only from this origin, and
 * no inline ones: the page builds every element with textContent (dom.js), and even a slip there
 * could not run a `<script>` hidden in a server id or a hot key.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { packageRoot } from '../../src/cli/config-source.js';
import { RingcacheError } from '../../src/runtime/index.js';

export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
  /** Strong validator: a reload revalidates and gets 304 for what did not change. */
  readonly etag: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '': 'text/plain; charset=utf-8',
});

/** The folder holds a few dozen small files; anything beyond is a packaging mistake. */
const FILES_MAX = 64;
const BYTES_MAX = 2 * 1024 * 1024;

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Where the page's files live in a checkout and in the installed package. */
export function publicFolder(): string {
  return join(packageRoot(), 'shard-master', 'dashboard', 'public');
}

/** Files by URL path below the mount point ('index.html', 'vendor/uplot/uPlot.iife.min.js'). */
export function loadStaticFiles(folder: string): ReadonlyMap<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  let bytes = 0;
  const visit = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        visit(path);
        continue;
      }
      const contentType = CONTENT_TYPES[extname(name)];
      if (contentType === undefined) continue;
      const body = readFileSync(path);
      bytes += body.byteLength;
      if (files.size >= FILES_MAX || bytes > BYTES_MAX) {
        throw new RingcacheError('RC_ERR_INTERNAL', `dashboard files in ${folder} exceed ${FILES_MAX} files or ${BYTES_MAX} bytes`);
      }
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      files.set(relative(folder, path).split(sep).join('/'), { body, contentType, etag });
    }
  };
  visit(folder);
  if (!files.has('index.html')) throw new RingcacheError('RC_ERR_INTERNAL', `the dashboard's index.html is missing from ${folder}`);
  return files;
}
