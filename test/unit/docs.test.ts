import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/runtime/index.js';
import { renderConfigurationReference } from '../../src/config/index.js';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('docs are code', () => {
  it('ERRORS.md documents exactly the codes of the catalogue, with their HTTP status', () => {
    const text = read('docs/ERRORS.md');
    const documented = [...text.matchAll(/^\| `(RC_ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    const catalogue = Object.entries(ERROR_CATALOGUE).map(([code, entry]) => [code, entry.httpStatus]);
    expect(documented.sort()).toEqual(catalogue.sort());
  });

  it('CONFIGURATION.md carries the reference generated from the schema (node scripts/render-config-docs.mjs)', () => {
    const text = read('docs/CONFIGURATION.md');
    const section = text.slice(text.indexOf('<!-- reference:begin -->') + '<!-- reference:begin -->'.length, text.indexOf('<!-- reference:end -->'));
    expect(section.trim()).toBe(renderConfigurationReference().trim());
  });
});
