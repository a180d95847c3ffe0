#!/usr/bin/env node
// The `ringcache` command: runs the compiled CLI (dist/src/cli/main.js) and exits with its code.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const mainUrl = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(mainUrl))) {
  process.stderr.write('ringcache: dist/ is missing: run `npm run build` first\n');
  process.exit(1);
}
const { main } = await import(mainUrl.href);
const code = await main(process.argv.slice(2));
// Exit now: a finished command must not linger on a socket or timer some library left behind.
process.exit(code);
