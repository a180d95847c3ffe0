import { readFileSync } from 'node:fs';
import { RingcacheError } from '../runtime/errors.js';
import { checkVnodeCount, validateQuorum } from '../ring/index.js';
import { antiEntropyCycleMs } from '../anti-entropy/options.js';
import { validateMembershipOptions } from '../membership/options.js';
import { NODE_ENTRY_SCHEMA, SCHEMA, type Leaf, type NodeEntry, type RingcacheConfig } from './schema.js';

/**
 * Configuration is layered: defaults < JSON file < RINGCACHE_* environment < command-line
 * overrides (`--replication.r=3`). It is validated once at start-up; an unknown key or a bad value
 * stops the process with RC_ERR_CONFIG naming the key and where it came from.
 */
export interface ConfigSources {
  /** Parsed JSON of the config file, or undefined for defaults only. */
  readonly file?: unknown;
  readonly fileName?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** `section.key=value` strings, applied last. */
  readonly overrides?: readonly string[];
}

type Raw = Record<string, unknown>;
const ENV_PREFIX = 'RINGCACHE_';
/** Environment variables of ours that are not config keys. */
const ENV_NOT_KEYS = new Set(['RINGCACHE_CONFIG']);

function fail(message: string): never {
  throw new RingcacheError('RC_ERR_CONFIG', `config: ${message}`);
}

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function envName(section: string, key: string): string {
  const snake = (text: string): string => text.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  return `${ENV_PREFIX}${snake(section)}_${snake(key)}`;
}

/** Reads and parses a JSON config file; errors name the file. */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    fail(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    fail(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

export function loadConfig(sources: ConfigSources = {}): RingcacheConfig {
  const fileName = sources.fileName ?? 'config file';
  const file = sources.file ?? {};
  if (!isRecord(file)) fail(`${fileName} must hold a JSON object`);
  const sections: Record<string, Raw> = {};
  for (const [name, value] of Object.entries(file)) {
    if (name === 'nodes' || name === '$schema' || name === 'comment') continue;
    if (!(name in SCHEMA)) fail(`unknown section '${name}' in ${fileName} (known: ${Object.keys(SCHEMA).join(', ')}, nodes)`);
    if (!isRecord(value)) fail(`'${name}' in ${fileName} must be an object`);
    sections[name] = { ...value };
  }
  applyEnv(sections, sources.env ?? {});
  for (const override of sources.overrides ?? []) applyOverride(sections, override);
  const config: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(SCHEMA)) {
    config[name] = parseSection(name, schema, sections[name] ?? {}, fileName);
  }
  config.nodes = parseNodes(file.nodes, fileName);
  const result = config as unknown as RingcacheConfig;
  checkConsistency(result);
  return Object.freeze(result);
}

function applyEnv(sections: Record<string, Raw>, env: Readonly<Record<string, string | undefined>>): void {
  const known = new Map<string, [string, string]>();
  for (const [section, schema] of Object.entries(SCHEMA)) {
    for (const key of Object.keys(schema)) known.set(envName(section, key), [section, key]);
  }
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || text === undefined || ENV_NOT_KEYS.has(name)) continue;
    const target = known.get(name);
    if (target === undefined) fail(`unknown environment variable ${name} (config keys map to e.g. ${envName('replication', 'requestTimeoutMs')})`);
    const [section, key] = target;
    (sections[section] ??= {})[key] = fromText(section, key, text, name);
  }
}

/** Applies one `section.key=value` override. */
export function applyOverride(sections: Record<string, Raw>, override: string): void {
  const match = /^([A-Za-z]+)\.([A-Za-z0-9]+)=(.*)$/s.exec(override);
  if (match === null) fail(`override '${override}' is not of the form section.key=value`);
  const [, section = '', key = '', text = ''] = match;
  const schema = (SCHEMA as Record<string, Record<string, Leaf>>)[section];
  if (schema === undefined) fail(`unknown section '${section}' in override '${override}'`);
  if (!(key in schema)) fail(`unknown key ${section}.${key} in override '${override}'`);
  (sections[section] ??= {})[key] = fromText(section, key, text, `--${section}.${key}`);
}

function fromText(section: string, key: string, text: string, source: string): unknown {
  const leaf = (SCHEMA as Record<string, Record<string, Leaf>>)[section]?.[key];
  if (leaf === undefined) fail(`unknown key ${section}.${key}`);
  if (leaf.type === 'integer') {
    if (!/^-?\d+$/.test(text.trim())) fail(`${section}.${key} must be an integer, got '${text}' (from ${source})`);
    return Number(text);
  }
  if (leaf.type === 'boolean') {
    if (text !== 'true' && text !== 'false') fail(`${section}.${key} must be true or false, got '${text}' (from ${source})`);
    return text === 'true';
  }
  if (leaf.type === 'enum' && !leaf.values.includes(text)) {
    fail(`${source} must be one of ${leaf.values.map((v) => `'${v}'`).join(', ')} (it sets ${section}.${key}), got '${text}'`);
  }
  return text;
}

function parseSection(name: string, schema: Record<string, Leaf>, raw: Raw, fileName: string): Raw {
  const out: Raw = {};
  for (const key of Object.keys(raw)) {
    if (!(key in schema)) fail(`unknown key ${name}.${key} in ${fileName} (known: ${Object.keys(schema).join(', ')})`);
  }
  for (const [key, leaf] of Object.entries(schema)) {
    out[key] = key in raw ? checkLeaf(`${name}.${key}`, leaf, raw[key]) : leaf.default;
  }
  return out;
}

function checkLeaf(path: string, leaf: Leaf, value: unknown): unknown {
  switch (leaf.type) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < leaf.min || value > leaf.max) {
        fail(`${path} must be an integer in ${String(leaf.min)}..${String(leaf.max)}, got ${JSON.stringify(value)}`);
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') fail(`${path} must be true or false, got ${JSON.stringify(value)}`);
      return value;
    case 'enum':
      if (typeof value !== 'string' || !leaf.values.includes(value)) {
        fail(`${path} must be one of ${leaf.values.map((v) => `'${v}'`).join(', ')}, got ${JSON.stringify(value)}`);
      }
      return value;
    case 'string':
      if (typeof value !== 'string') fail(`${path} must be a string, got ${JSON.stringify(value)}`);
      return value;
  }
}

function parseNodes(value: unknown, fileName: string): NodeEntry[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(`nodes in ${fileName} must be an array`);
  return value.map((entry: unknown, index) => {
    const where = `nodes[${String(index)}]`;
    if (!isRecord(entry)) fail(`${where} in ${fileName} must be an object`);
    const node = parseSection(where, NODE_ENTRY_SCHEMA, entry, fileName) as unknown as NodeEntry;
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(node.id)) fail(`${where}.id must be 1-32 letters, digits, '-' or '_', got ${JSON.stringify(node.id)}`);
    return node;
  });
}

function checkConsistency(config: RingcacheConfig): void {
  try {
    checkVnodeCount(config.cluster.vnodeCount);
    const servers = config.nodes.length > 0 ? config.nodes.length : undefined;
    validateQuorum(config.cluster.replicaCount, config.replication.r, config.replication.w, servers);
  } catch (error) {
    fail((error as Error).message);
  }
  checkTombstoneGrace(config);
  checkAntiEntropyMessages(config);
  validateMembershipOptions(config.membership);
  if (config.replication.pw > config.cluster.replicaCount) {
    fail(`replication.pw=${String(config.replication.pw)} is above N=${String(config.cluster.replicaCount)} (cluster.replicaCount): no write could ever be acknowledged by that many primaries`);
  }
  const ids = new Set<string>();
  const endpoints = new Set<string>();
  for (const node of config.nodes) {
    if (ids.has(node.id)) fail(`nodes: server id '${node.id}' is used twice`);
    ids.add(node.id);
    for (const port of [node.port, node.httpPort]) {
      const endpoint = `${node.host}:${String(port)}`;
      if (port !== 0 && endpoints.has(endpoint)) fail(`nodes: ${endpoint} is used twice (node '${node.id}')`);
      endpoints.add(endpoint);
    }
  }
}

/**
 * A tombstone must outlive every way a replica can still be missing the delete: a hint that
 * carries it (hints.ageMsMax) and a full anti-entropy cycle (anti-entropy/options.ts). Collected
 * sooner, a replica that missed the delete would hand the old value back (a resurrection).
 */
function checkTombstoneGrace(config: RingcacheConfig): void {
  const { vnodeCount, replicaCount } = config.cluster;
  // N = 1: no other replica can miss a delete, and no hint is ever written (only a replica
  // coordinates, and the one replica needs no fallback to reach itself).
  if (replicaCount === 1) return;
  const cycleMs = antiEntropyCycleMs(vnodeCount, replicaCount, config.antiEntropy);
  const hintMs = config.hints.ageMsMax;
  const graceMs = config.storage.tombstoneGraceMs;
  if (graceMs > hintMs + cycleMs) return;
  const { intervalMs, exchangesMax, vnodesPerExchangeMax } = config.antiEntropy;
  fail(`storage.tombstoneGraceMs (${String(graceMs)} ms) must be longer than the hint lifetime (hints.ageMsMax, ${String(hintMs)} ms) ` +
    `plus one anti-entropy cycle (${String(cycleMs)} ms: ceil(cluster.vnodeCount ${String(vnodeCount)} / (antiEntropy.exchangesMax ${String(exchangesMax)} ` +
    `x antiEntropy.vnodesPerExchangeMax ${String(vnodesPerExchangeMax)})) x antiEntropy.intervalMs ${String(intervalMs)} x 1.25 jitter), ` +
    'or a replica that missed a delete brings the value back; raise storage.tombstoneGraceMs or shorten the cycle');
}

/** An anti-entropy message plus its RESP framing must fit in one frame of the internode port. */
function checkAntiEntropyMessages(config: RingcacheConfig): void {
  const { messageBytesMax } = config.antiEntropy;
  const { frameBytesMax } = config.resp;
  if (messageBytesMax + 4096 <= frameBytesMax) return;
  fail(`antiEntropy.messageBytesMax (${String(messageBytesMax)}) must be at most resp.frameBytesMax - 4096 (${String(frameBytesMax - 4096)}): ` +
    'an anti-entropy message and its framing travel in one RESP frame');
}
