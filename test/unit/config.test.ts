import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { envName, loadConfig, readConfigFile, SCHEMA } from '../../src/config/index.js';
import type { ConfigSources } from '../../src/config/index.js';
import { isRingcacheError } from '../../src/runtime/index.js';

const configPath = (name: string): string => fileURLToPath(new URL(`../../config/${name}.json`, import.meta.url));
const shipped = (name: string): unknown => readConfigFile(configPath(name));

/** Loads and expects RC_ERR_CONFIG whose message names `key`. */
function expectConfigError(sources: ConfigSources, key: string): void {
  let caught: unknown;
  try {
    loadConfig(sources);
  } catch (error) {
    caught = error;
  }
  expect(isRingcacheError(caught, 'RC_ERR_CONFIG'), `expected RC_ERR_CONFIG naming ${key}, got ${String(caught)}`).toBe(true);
  expect((caught as Error).message).toContain(key);
}

describe('shipped config files', () => {
  it('config/local.json: 5 nodes in zones a,a,b,b,c, N=3 R=2 W=2, V=1024, the documented ports', () => {
    const config = loadConfig({ file: shipped('local'), fileName: 'local.json', env: {} });
    expect(config.cluster).toMatchObject({ vnodeCount: 1024, replicaCount: 3 });
    expect(config.replication).toMatchObject({ r: 2, w: 2 });
    expect(config.master).toMatchObject({ host: '127.0.0.1', port: 7000 });
    expect(config.master.stateFile.startsWith('var/')).toBe(true);
    expect(config.proxy).toMatchObject({ host: '127.0.0.1', respPort: 6380, httpPort: 8080 });
    expect(config.nodes.map((node) => [node.id, node.zone, node.port, node.httpPort, node.capacity])).toEqual([
      ['n1', 'a', 7101, 7201, 1],
      ['n2', 'a', 7102, 7202, 1],
      ['n3', 'b', 7103, 7203, 1],
      ['n4', 'b', 7104, 7204, 1],
      ['n5', 'c', 7105, 7205, 2],
    ]);
    expect(config.nodes.every((node) => node.host === '127.0.0.1')).toBe(true);
  });

  it('config/local.json explains n5 capacity 2 in its comment', () => {
    const file = shipped('local') as { comment: Record<string, string> };
    expect(JSON.stringify(file.comment)).toMatch(/n5[^"]*zone c[^"]*capacity 2|capacity 2/);
  });

  it('config/test-min.json: small limits, V=16, ports 0 for tests to pick', () => {
    const config = loadConfig({ file: shipped('test-min'), fileName: 'test-min.json', env: {} });
    expect(config.cluster.vnodeCount).toBe(16);
    expect(config.storage.bytesMax).toBeLessThanOrEqual(64 * 1024);
    expect(config.replication.requestTimeoutMs).toBeLessThanOrEqual(500);
    expect(config.master.longPollMs).toBeLessThanOrEqual(1000);
    expect([config.master.port, config.proxy.respPort, config.proxy.httpPort]).toEqual([0, 0, 0]);
    expect(config.nodes.every((node) => node.port === 0 && node.httpPort === 0)).toBe(true);
    // A full sibling set must still fit in one internode bulk string.
    expect(config.limits.siblingsMax * config.limits.valueBytesMax).toBeLessThan(config.resp.bulkBytesMax);
  });

  it('config/production.example.json: a cluster token, larger budgets, 3 zones', () => {
    const config = loadConfig({ file: shipped('production.example'), fileName: 'production.example.json', env: {} });
    expect(config.cluster.token).not.toBe('');
    expect(config.storage.bytesMax).toBeGreaterThan(1024 ** 3);
    expect(new Set(config.nodes.map((node) => node.zone)).size).toBe(3);
    expect(config.replication.r + config.replication.w).toBeGreaterThan(config.cluster.replicaCount);
  });

  it('every section and key of each shipped file is a schema key (nothing silently ignored)', () => {
    for (const name of ['local', 'test-min', 'production.example']) {
      const file = shipped(name) as Record<string, unknown>;
      for (const [section, value] of Object.entries(file)) {
        if (section === 'comment' || section === 'nodes') continue;
        expect(Object.keys(SCHEMA)).toContain(section);
        for (const key of Object.keys(value as object)) expect(Object.keys((SCHEMA as Record<string, object>)[section] ?? {})).toContain(key);
      }
    }
  });
});

describe('bad keys and values name the key (RC_ERR_CONFIG)', () => {
  const oneReplica = { cluster: { replicaCount: 1 }, replication: { r: 1, w: 1 } };
  const cases: [string, unknown, string][] = [
    ['unknown section', { replicaton: { r: 1 } }, 'replicaton'],
    ['unknown key', { replication: { q: 1 } }, 'replication.q'],
    ['integer as string', { replication: { r: '2' } }, 'replication.r'],
    ['integer out of range', { master: { port: 70000 } }, 'master.port'],
    ['negative integer', { storage: { bytesMax: -1 } }, 'storage.bytesMax'],
    ['fraction', { replication: { requestTimeoutMs: 1.5 } }, 'replication.requestTimeoutMs'],
    ['boolean as string', { replication: { readRepair: 'yes' } }, 'replication.readRepair'],
    ['enum outside its values', { storage: { evictionPolicy: 'fifo' } }, 'storage.evictionPolicy'],
    ['string as number', { cluster: { token: 42 } }, 'cluster.token'],
    ['section not an object', { proxy: 6380 }, 'proxy'],
    ['V not a power of two', { cluster: { vnodeCount: 1000 } }, 'cluster.vnodeCount'],
    ['R above N', { cluster: { replicaCount: 3 }, replication: { r: 4 } }, 'replication.r'],
    ['W above N', { cluster: { replicaCount: 2 }, replication: { r: 1, w: 3 } }, 'replication.w'],
    ['nodes not an array', { nodes: {} }, 'nodes'],
    ['node with unknown key', { nodes: [{ id: 'n1', rack: 'r1' }] }, 'nodes[0].rack'],
    ['node with bad port', { nodes: [{ id: 'n1', port: -5 }] }, 'nodes[0].port'],
    ['node with bad id', { nodes: [{ id: 'n 1' }] }, 'nodes[0].id'],
    ['node id used twice', { ...oneReplica, nodes: [{ id: 'n1', port: 1, httpPort: 2 }, { id: 'n1', port: 3, httpPort: 4 }] }, "'n1'"],
    ['node endpoint used twice', { ...oneReplica, nodes: [{ id: 'n1', port: 7101, httpPort: 7201 }, { id: 'n2', port: 7101, httpPort: 7202 }] }, '127.0.0.1:7101'],
    ['N above the number of nodes', { cluster: { replicaCount: 3 }, nodes: [{ id: 'n1', port: 1, httpPort: 2 }] }, 'cluster.replicaCount'],
  ];
  it.each(cases)('%s', (_name, file, key) => {
    expectConfigError({ file, fileName: 'bad.json', env: {} }, key);
  });

  it('a file that is not an object names the file', () => {
    expectConfigError({ file: [1, 2], fileName: 'list.json' }, 'list.json');
  });

  it('readConfigFile names the file when it is missing or not JSON', () => {
    expect(() => readConfigFile('/nonexistent/ringcache.json')).toThrow(/nonexistent\/ringcache\.json/);
    const notJson = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));
    // tsconfig.json is JSON; a TypeScript file is not.
    expect(() => readConfigFile(notJson)).not.toThrow();
    expect(() => readConfigFile(fileURLToPath(import.meta.url))).toThrow(/not valid JSON/);
  });
});

describe('environment variables', () => {
  it('map camelCase keys to RINGCACHE_SECTION_KEY', () => {
    expect(envName('replication', 'requestTimeoutMs')).toBe('RINGCACHE_REPLICATION_REQUEST_TIMEOUT_MS');
    expect(envName('proxy', 'respPort')).toBe('RINGCACHE_PROXY_RESP_PORT');
  });

  it('override the file; non-config RINGCACHE_ variables and foreign variables are ignored', () => {
    const config = loadConfig({
      file: { replication: { r: 2, requestTimeoutMs: 1000 } },
      env: { RINGCACHE_REPLICATION_REQUEST_TIMEOUT_MS: '250', RINGCACHE_CONFIG: 'x.json', RINGCACHE_LOG_LEVEL: 'debug', HOME: '/root', RINGCACHE_STORAGE_EVICTION_POLICY: 'lru', RINGCACHE_REPLICATION_READ_REPAIR: 'false' },
    });
    expect(config.replication.requestTimeoutMs).toBe(250);
    expect(config.storage.evictionPolicy).toBe('lru');
    expect(config.replication.readRepair).toBe(false);
    expect(config.replication.r).toBe(2);
  });

  it.each([
    ['RINGCACHE_REPLICATION_R', 'two', 'replication.r'],
    ['RINGCACHE_MASTER_PORT', '99999', 'master.port'],
    ['RINGCACHE_REPLICATION_READ_REPAIR', 'yes', 'replication.readRepair'],
    ['RINGCACHE_STORAGE_EVICTION_POLICY', 'fifo', 'storage.evictionPolicy'],
    ['RINGCACHE_REPLICATION_Q', '1', 'RINGCACHE_REPLICATION_Q'],
  ])('%s=%s is refused naming %s', (name, value, key) => {
    expectConfigError({ file: {}, env: { [name]: value } }, key);
  });
});

describe('--section.key=value overrides', () => {
  it('apply last: defaults < file < env < overrides, later overrides win', () => {
    const config = loadConfig({
      file: { replication: { requestTimeoutMs: 1000, speculativeRetryMs: 40, failureBackoffMs: 500 } },
      env: { RINGCACHE_REPLICATION_REQUEST_TIMEOUT_MS: '250', RINGCACHE_REPLICATION_SPECULATIVE_RETRY_MS: '20' },
      overrides: ['replication.requestTimeoutMs=100', 'replication.requestTimeoutMs=120', 'master.host=127.0.0.2', 'cluster.token=a=b'],
    });
    expect(config.replication.requestTimeoutMs).toBe(120);
    expect(config.replication.speculativeRetryMs).toBe(20);
    expect(config.replication.failureBackoffMs).toBe(500);
    expect(config.replication.readRepair).toBe(SCHEMA.replication.readRepair.default);
    expect(config.master.host).toBe('127.0.0.2');
    expect(config.cluster.token).toBe('a=b');
  });

  it.each([
    ['replication.r=x', 'replication.r'],
    ['replication.zz=1', 'replication.zz'],
    ['nosuch.key=1', 'nosuch'],
    ['replication.r', 'replication.r'],
    ['storage.evictionPolicy=fifo', 'storage.evictionPolicy'],
    ['master.port=-1', 'master.port'],
  ])('%s is refused naming %s', (override, key) => {
    expectConfigError({ file: {}, overrides: [override] }, key);
  });

  it('are checked for consistency after layering (R above the overridden N)', () => {
    expectConfigError({ file: shipped('local'), overrides: ['cluster.replicaCount=1'] }, 'replication.r');
    const config = loadConfig({ file: shipped('local'), overrides: ['cluster.replicaCount=1', 'replication.r=1', 'replication.w=1'] });
    expect(config.cluster.replicaCount).toBe(1);
  });
});
