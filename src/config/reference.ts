import { NODE_ENTRY_SCHEMA, SCHEMA, type Leaf } from './schema.js';
import { envName } from './load.js';

function describeType(leaf: Leaf): string {
  switch (leaf.type) {
    case 'integer': return `integer ${String(leaf.min)}..${String(leaf.max)}`;
    case 'boolean': return 'boolean';
    case 'enum': return leaf.values.map((value) => `'${value}'`).join(' \\| ');
    case 'string': return 'string';
  }
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/**
 * The reference table of docs/CONFIGURATION.md, generated from the schema so the two cannot
 * drift (test/unit/docs.test.ts compares them).
 */
export function renderConfigurationReference(): string {
  const lines: string[] = [];
  for (const [section, schema] of Object.entries(SCHEMA)) {
    lines.push(`### ${section}`, '', '| key | type | default | environment | why |', '|---|---|---|---|---|');
    for (const [key, leaf] of Object.entries(schema as Record<string, Leaf>)) {
      lines.push(`| \`${section}.${key}\` | ${describeType(leaf)} | \`${JSON.stringify(leaf.default)}\` | \`${envName(section, key)}\` | ${cell(leaf.doc)} |`);
    }
    lines.push('');
  }
  lines.push('### nodes[]', '', '| key | type | default | why |', '|---|---|---|---|');
  for (const [key, leaf] of Object.entries(NODE_ENTRY_SCHEMA as Record<string, Leaf>)) {
    lines.push(`| \`nodes[].${key}\` | ${describeType(leaf)} | \`${JSON.stringify(leaf.default)}\` | ${cell(leaf.doc)} |`);
  }
  return lines.join('\n') + '\n';
}
