import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs, optionInteger, optionNumber, UsageError } from '../../src/cli/args.js';
import type { OptionSpec } from '../../src/cli/args.js';
import { childEnv } from '../../src/cli/cluster.js';
import { boundPorts, membersInStartOrder, planCluster, resolveClusterConfig } from '../../src/cli/cluster-plan.js';
import { chooseConfigFile, childConfigArgs, packageRoot } from '../../src/cli/config-source.js';
import { COMMANDS, main } from '../../src/cli/main.js';
import { loadRole, parseReadyLine, readyLine, serveUntilStopped } from '../../src/cli/roles.js';
import { formatTable } from '../../src/cli/table-format.js';
import { loadConfig, readConfigFile } from '../../src/config/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'ringcache-cli-'));
afterAll(() => { rmSync(scratch, { recursive: true, force: true }); });

const LOCAL = fileURLToPath(new URL('../../config/local.json', import.meta.url));
const localConfig = (): ReturnType<typeof loadConfig> => loadConfig({ file: readConfigFile(LOCAL), fileName: LOCAL });

/** Runs the CLI in-process with captured output. */
async function cli(argv: string[], env: Record<string, string> = {}, cwd = packageRoot()): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { io: { out: (line) => out.push(line), err: (line) => err.push(line) }, env, cwd });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('parseArgs', () => {
  const specs: OptionSpec[] = [
    { name: 'json', doc: 'flag' },
    { name: 'seconds', value: 'S', doc: 'valued' },
  ];

  it('separates config file, overrides, options and positionals', () => {
    const args = parseArgs(['proxy', '--config', 'a.json', '--replication.r=3', '--json', '--seconds', '5', '--master.host=x=y'], specs, 'bench');
    expect(args.configFile).toBe('a.json');
    expect(args.overrides).toEqual(['replication.r=3', 'master.host=x=y']);
    expect(args.options.get('json')).toBe(true);
    expect(args.options.get('seconds')).toBe('5');
    expect(args.positionals).toEqual(['proxy']);
    expect(args.commandArgs).toEqual(['proxy', '--json', '--seconds', '5']);
    expect(args.help).toBe(false);
  });

  it('accepts --config=FILE and --option=value, and -h / --help', () => {
    const args = parseArgs(['--config=b.json', '--seconds=2.5', '-h'], specs, 'load');
    expect(args.configFile).toBe('b.json');
    expect(args.options.get('seconds')).toBe('2.5');
    expect(args.help).toBe(true);
  });

  it('an empty override value is a value (cluster.token=)', () => {
    expect(parseArgs(['--cluster.token='], [], 'status').overrides).toEqual(['cluster.token=']);
  });

  it.each([
    [['--bogus'], /unknown option --bogus for 'status'/],
    [['--json=1'], /--json takes no value/],
    [['--seconds'], /--seconds needs a value/],
    [['--seconds', '--json'], /--seconds needs a value/],
    [['--config'], /--config needs a value/],
    [['--config='], /--config needs a file name/],
    [['--replication.r'], /--replication\.r needs a value: --replication\.r=VALUE/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseArgs(argv, specs, 'status')).toThrow(UsageError);
    expect(() => parseArgs(argv, specs, 'status')).toThrow(message);
  });

  it('numeric options are range-checked', () => {
    const args = parseArgs(['--seconds', '0'], specs, 'load');
    expect(() => optionNumber(args, 'seconds', 10, 0.1, 100)).toThrow(/--seconds must be a number in 0.1..100, got '0'/);
    expect(optionInteger(parseArgs([], specs, 'load'), 'seconds', 7, 1, 9)).toBe(7);
    expect(() => optionInteger(parseArgs(['--seconds=1.5'], specs, 'load'), 'seconds', 7, 1, 9)).toThrow(/integer/);
    expect(() => optionNumber(parseArgs(['--seconds=abc'], specs, 'load'), 'seconds', 7, 1, 9)).toThrow(UsageError);
  });
});

describe('main: help and usage errors', () => {
  it('--help lists every command and exits 0', async () => {
    const result = await cli(['--help']);
    expect(result.code).toBe(0);
    for (const name of ['start', 'master', 'node', 'proxy', 'status', 'load', 'bench']) expect(result.out).toContain(`  ${name}`);
    expect(result.out).toContain('usage: ringcache <command>');
  });

  it('no command prints the help to stderr and exits 2', async () => {
    const result = await cli([]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('usage: ringcache');
  });

  it.each(Object.keys(COMMANDS))('%s --help shows its usage, its options and the config options', async (name) => {
    const result = await cli([name, '--help']);
    expect(result.code).toBe(0);
    expect(result.out).toContain(`usage: ringcache ${name}`);
    expect(result.out).toContain('--config FILE');
    expect(result.out).toContain('--section.key=VALUE');
    for (const option of COMMANDS[name]!.options) expect(result.out).toContain(`--${option.name}`);
  });

  it('help <command> is the same as <command> --help', async () => {
    expect((await cli(['help', 'status'])).out).toBe((await cli(['status', '--help'])).out);
  });

  it('an unknown command exits 2 naming the commands, with its code and a hint', async () => {
    const result = await cli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/RC_ERR_USAGE: unknown command 'frobnicate' \(commands: start, master, node, proxy, status, load, bench, admin\)/);
    expect(result.err).toContain('ringcache: hint: see ringcache --help');
  });

  it('admin without a known verb, or add without its address, exits 2 with RC_ERR_USAGE', async () => {
    const none = await cli(['admin']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/RC_ERR_USAGE: admin needs a verb: load, rebalance, hotkeys, route, add, drain, remove, moves/);
    const add = await cli(['admin', 'add', '--id', 'n6', '--zone', 'c', '--host', '127.0.0.1']);
    expect(add.code).toBe(2);
    expect(add.err).toMatch(/RC_ERR_USAGE: admin add needs --port and --http-port/);
    const drain = await cli(['admin', 'drain']);
    expect(drain.code).toBe(2);
    expect(drain.err).toMatch(/admin drain needs a server id/);
  });

  it('an unknown option or a stray argument exits 2 with RC_ERR_USAGE and points at --help', async () => {
    const option = await cli(['status', '--frob']);
    expect(option.code).toBe(2);
    expect(option.err.split('\n')).toEqual(['ringcache status: RC_ERR_USAGE: unknown option --frob for \'status\'', 'ringcache status: hint: see ringcache status --help']);
    const stray = await cli(['status', 'extra']);
    expect(stray.code).toBe(2);
    expect(stray.err).toContain("RC_ERR_USAGE: unexpected argument 'extra'");
  });

  it.each([
    [['start', '--log-level', 'loud'], /--log-level must be one of trace, debug, info, warn, error, fatal, silent, got 'loud'/],
    [['proxy', '--log-format', 'xml'], /--log-format must be one of auto, pretty, json, got 'xml'/],
    [['start', '--restart-delay-ms', 'soon'], /--restart-delay-ms must be a number/],
    [['start', '--restarts-max', '-1'], /--restarts-max must be a number in 0\.\.1000/],
  ])('%j is a usage error with its code', async (argv, message) => {
    const result = await cli(argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/RC_ERR_USAGE/);
    expect(result.err).toMatch(message);
  });

  it('--version prints the package version', async () => {
    expect((await cli(['--version'])).out).toMatch(/^ringcache \d+\.\d+\.\d+/);
  });
});

describe('main: config errors exit 2 naming the key', () => {
  it.each([
    [['status', '--replication.r=abc'], {}, 'replication.r'],
    [['status', '--replication.nope=1'], {}, 'replication.nope'],
    [['status', '--replication.r=4'], {}, 'replication.r'],
    [['status'], { RINGCACHE_MASTER_PORT: 'x' }, 'master.port'],
    [['status'], { RINGCACHE_NOPE_KEY: '1' }, 'RINGCACHE_NOPE_KEY'],
    [['status', '--config', '/nonexistent/x.json'], {}, '/nonexistent/x.json'],
    [['load', '--cluster.vnodeCount=3'], {}, 'cluster.vnodeCount'],
    [['status'], { RINGCACHE_LOG_LEVEL: 'verbose' }, 'RINGCACHE_LOG_LEVEL'],
    [['status', '--log.format=xml'], {}, 'log.format'],
  ])('%j with env %j', async (argv, env, key) => {
    const result = await cli(argv, env);
    expect(result.code).toBe(2);
    expect(result.err).toContain(key);
    expect(result.err).toMatch(/^ringcache \w+: RC_ERR_CONFIG: config: .*\nringcache \w+: hint: \S/);
  });

  it('a bad RINGCACHE_LOG_LEVEL names the variable and the levels allowed, with no stack trace', async () => {
    const result = await cli(['node', '--id', 'n1'], { RINGCACHE_LOG_LEVEL: 'verbose' });
    expect(result.code).toBe(2);
    expect(result.err).toContain("RINGCACHE_LOG_LEVEL must be one of 'trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent' (it sets log.level), got 'verbose'");
    expect(result.err).not.toMatch(/\n\s+at /);
  });

  it('a bad key inside a --config file names the key and the file', async () => {
    const file = join(scratch, 'bad.json');
    writeFileSync(file, JSON.stringify({ storage: { evictionPolicy: 'fifo' } }));
    const result = await cli(['status', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('storage.evictionPolicy');
    expect(result.err).toContain(file);
  });

  it('node needs an --id that is in config.nodes', async () => {
    const missing = await cli(['node']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('n1, n2, n3, n4, n5');
    const unknown = await cli(['node', '--id', 'n9']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('--id n9 is not in');
  });

  it('bench refuses an unknown subject or target with exit 2', async () => {
    expect((await cli(['bench', 'nodes'])).err).toContain("unknown bench subject 'nodes'");
    const target = await cli(['bench', '--targets', 'redis,memcached']);
    expect(target.code).toBe(2);
    expect(target.err).toContain("unknown bench target 'memcached'");
  });
});

describe('config file choice', () => {
  it('--config beats RINGCACHE_CONFIG beats ./config/local.json beats the packaged file', () => {
    const cwd = mkdtempSync(join(scratch, 'cwd-'));
    expect(chooseConfigFile(undefined, {}, cwd)).toEqual({ path: join(packageRoot(), 'config', 'local.json'), origin: 'package' });
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, 'config', 'local.json'), '{}');
    expect(chooseConfigFile(undefined, {}, cwd)).toEqual({ path: join(cwd, 'config', 'local.json'), origin: 'cwd' });
    expect(chooseConfigFile(undefined, { RINGCACHE_CONFIG: 'e.json' }, cwd)).toEqual({ path: join(cwd, 'e.json'), origin: 'env' });
    expect(chooseConfigFile('f.json', { RINGCACHE_CONFIG: 'e.json' }, cwd)).toEqual({ path: join(cwd, 'f.json'), origin: 'flag' });
  });

  it('children get the same config arguments back', () => {
    expect(childConfigArgs('/a/b.json', ['replication.r=3'])).toEqual(['--config', '/a/b.json', '--replication.r=3']);
  });
});

describe('cluster plan', () => {
  it('starts master, then n1..n5, then the proxy, with /health URLs and named ports', () => {
    const plan = planCluster(localConfig());
    expect(membersInStartOrder(plan).map((member) => member.name)).toEqual(['master', 'n1', 'n2', 'n3', 'n4', 'n5', 'proxy']);
    expect(plan.nodes[2]).toMatchObject({ role: 'node', roleArgs: ['--id', 'n3'], healthUrl: 'http://127.0.0.1:7203/health' });
    expect(plan.master.healthUrl).toBe('http://127.0.0.1:7000/health');
    expect(plan.proxy.healthUrl).toBe('http://127.0.0.1:8080/health');
    expect(boundPorts(plan).map((entry) => entry.key)).toContain('nodes[4].httpPort');
    expect(boundPorts(plan)).toHaveLength(1 + 5 * 2 + 2);
  });

  it('replaces every port 0 with a picked port and keeps the rest', async () => {
    const testMin = loadConfig({ file: readConfigFile(fileURLToPath(new URL('../../config/test-min.json', import.meta.url))) });
    let next = 40_000;
    const resolved = await resolveClusterConfig(testMin, () => Promise.resolve(next++), ['replication.w=3']);
    const ports = [resolved.master.port, resolved.proxy.respPort, resolved.proxy.httpPort, ...resolved.nodes.flatMap((node) => [node.port, node.httpPort])];
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports.every((port) => port >= 40_000)).toBe(true);
    expect(resolved.replication.w).toBe(3);
    const local = await resolveClusterConfig(localConfig(), () => Promise.resolve(1));
    expect(local.master.port).toBe(7000);
  });

  it('children do not inherit RINGCACHE_* config variables (the written config holds them, log.level too)', () => {
    expect(childEnv({ RINGCACHE_MASTER_PORT: '0', RINGCACHE_CONFIG: 'x', RINGCACHE_LOG_LEVEL: 'debug', PATH: '/bin' }))
      .toEqual({ PATH: '/bin' });
  });
});

describe('roles contract', () => {
  it('the ready line round-trips and other lines are not ready lines', () => {
    const line = readyLine({ role: 'node', id: 'n1', httpPort: 7201, port: 7101 });
    expect(parseReadyLine(line)).toMatchObject({ ready: true, role: 'node', id: 'n1', httpPort: 7201, port: 7101, pid: process.pid });
    expect(parseReadyLine('{"ready":false}')).toBeUndefined();
    expect(parseReadyLine('{"ready":true,')).toBeUndefined();
    expect(parseReadyLine('{"level":30,"msg":"listening"}')).toBeUndefined();
  });

  it('serveUntilStopped starts in order, prints the ready line, stops in reverse on SIGTERM', async () => {
    const events: string[] = [];
    const component = (name: string): { start(): void; stop(): void } => ({
      start: () => { events.push(`start ${name}`); },
      stop: () => { events.push(`stop ${name}`); },
    });
    const served = serveUntilStopped({
      role: 'proxy',
      components: [component('a'), component('b')],
      ports: () => ({ httpPort: 1234, respPort: 5678 }),
      write: (line) => events.push(line),
      // The vitest worker's IPC channel belongs to vitest: watching (and unref-ing) it would cut the worker off.
      watchParent: false,
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(events[2]).toContain('"ready":true,"role":"proxy"');
    process.emit('SIGTERM');
    await served;
    expect(events.filter((event) => !event.startsWith('{'))).toEqual(['start a', 'start b', 'stop b', 'stop a']);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it('a role whose main is missing or incomplete is a clear failure', async () => {
    // The mains are written by the lead; whichever state they are in, loadRole never throws a raw import error.
    for (const role of ['master', 'node', 'proxy'] as const) {
      const outcome = await loadRole(role).then(
        (module) => typeof module.run,
        (error: unknown) => (error as Error).message,
      );
      expect(outcome === 'function' || /not wired yet|does not export run/.test(outcome)).toBe(true);
    }
  });
});

describe('table format', () => {
  it('formatTable pads columns to the widest cell', () => {
    expect(formatTable(['A', 'BB'], [['xxx', 'y'], ['z', 'wwww']])).toEqual(['A    BB', 'xxx  y', 'z    wwww']);
  });
});
