// Regenerates the reference section of docs/CONFIGURATION.md from the config schema.
// Run after `npm run build`: node scripts/render-config-docs.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigurationReference } from '../dist/src/config/index.js';

const path = new URL('../docs/CONFIGURATION.md', import.meta.url);
const text = readFileSync(path, 'utf8');
const begin = '<!-- reference:begin -->';
const end = '<!-- reference:end -->';
const start = text.indexOf(begin);
const stop = text.indexOf(end);
if (start < 0 || stop < start) throw new Error('docs/CONFIGURATION.md lacks the reference markers');
writeFileSync(path, `${text.slice(0, start + begin.length)}\n${renderConfigurationReference()}${text.slice(stop)}`);
console.log('docs/CONFIGURATION.md reference regenerated');
