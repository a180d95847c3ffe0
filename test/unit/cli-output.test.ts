import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../src/cli/args.js';
import { CommandFailure } from '../../src/cli/command.js';
import { reportError } from '../../src/cli/error-report.js';
import { ChildLogView, parseLogLine, prefixLines } from '../../src/cli/log-lines.js';
import { LOG_OPTIONS, logOverrides, withoutLogOptions } from '../../src/cli/log-options.js';
import { portInUse, portInUseFromError } from '../../src/cli/port-check.js';
import { logSettingsFrom } from '../../src/cli/process-logger.js';
import { RingcacheError, VirtualClock } from '../../src/runtime/index.js';

const clock = new VirtualClock(1_800_000_000_000);
const node = { name: 'n1', role: 'node' };
const line = (level: number, msg: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ level, time: 1_800_000_000_000, role: 'node', id: 'n1', ...extra, msg });

describe('children log lines under ringcache start', () => {
  it('parses pino lines only', () => {
    expect(parseLogLine(line(40, 'slow'))).toMatchObject({ level: 40, fields: { msg: 'slow' } });
    expect(parseLogLine('{"ready":true,"role":"node"}')).toBeUndefined();
    expect(parseLogLine('{"level":"warn"}')).toBeUndefined();
    expect(parseLogLine('{"level":40,')).toBeUndefined();
    expect(parseLogLine('TypeError: x is not a function')).toBeUndefined();
  });

  it('pretty: below the minimum hidden, the rest one prefixed line each; text always shown', () => {
    const view = new ChildLogView({ format: 'pretty', colorize: false, levelMin: 'warn', width: 6, clock });
    expect(view.render(node, line(30, 'table installed'))).toEqual([]);
    const [shown, ...more] = view.render(node, line(40, 'cannot get the table', { failures: 2 }));
    expect(more).toEqual([]);
    expect(shown).toMatch(/^\[n1 {4}\] \[\d\d:\d\d:\d\d\.\d{3}\] WARN: cannot get the table \{"failures":2\}$/);
    expect(shown).not.toContain('"role"');
    expect(view.render(node, '    at main (file.js:1:1)')).toEqual(['[n1    ]     at main (file.js:1:1)']);
    expect(view.renderAlways(node, line(30, 'table installed'))[0]).toContain('INFO: table installed');
  });

  it('json: pino lines pass through untouched, text is wrapped as an error-level object', () => {
    const view = new ChildLogView({ format: 'json', colorize: false, levelMin: 'warn', width: 6, clock });
    expect(view.render(node, line(50, 'boom'))).toEqual([line(50, 'boom')]);
    expect(view.render(node, line(20, 'detail'))).toEqual([]);
    const [wrapped] = view.render(node, 'Error: boom');
    expect(JSON.parse(wrapped ?? '')).toEqual({ level: 50, time: 1_800_000_000_000, role: 'node', id: 'n1', msg: 'Error: boom' });
    const [proxy] = view.render({ name: 'proxy', role: 'proxy' }, 'Error: boom');
    expect(JSON.parse(proxy ?? '')).not.toHaveProperty('id');
  });

  it('prefixes every line of a multi-line text', () => {
    expect(prefixLines('n1', 3, 'a\nb')).toEqual(['[n1 ] a', '[n1 ] b']);
  });
});

describe('log settings', () => {
  it('come from RINGCACHE_LOG_LEVEL / RINGCACHE_LOG_FORMAT, defaults info / auto', () => {
    expect(logSettingsFrom({})).toEqual({ level: 'info', format: 'auto' });
    expect(logSettingsFrom({ RINGCACHE_LOG_LEVEL: 'debug', RINGCACHE_LOG_FORMAT: 'json' })).toEqual({ level: 'debug', format: 'json' });
  });

  it('a bad value is RC_ERR_CONFIG naming the variable and the values allowed', () => {
    expect(() => logSettingsFrom({ RINGCACHE_LOG_LEVEL: 'loud' })).toThrow(/RINGCACHE_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent/);
    expect(() => logSettingsFrom({ RINGCACHE_LOG_FORMAT: 'xml' })).toThrow(RingcacheError);
  });

  it('--log-level and --log-format become config overrides and never reach a role main', () => {
    const args = parseArgs(['--id', 'n1', '--log-level', 'debug', '--log-format=json'], [{ name: 'id', value: 'ID', doc: '' }, ...LOG_OPTIONS], 'node');
    expect(logOverrides(args)).toEqual(['log.level=debug', 'log.format=json']);
    expect(withoutLogOptions(args.commandArgs)).toEqual(['--id', 'n1']);
    expect(() => logOverrides(parseArgs(['--log-level', 'loud'], LOG_OPTIONS, 'node'))).toThrow(UsageError);
  });
});

describe('CLI error report', () => {
  const report = (error: unknown): { code: number; lines: string[] } => {
    const lines: string[] = [];
    const code = reportError('proxy', error, { out: () => undefined, err: (text) => lines.push(text) });
    return { code, lines };
  };

  it('prints the code with the message, then one line of advice', () => {
    expect(report(new UsageError('unknown option --x for \'proxy\''))).toEqual({
      code: 2, lines: ["ringcache proxy: RC_ERR_USAGE: unknown option --x for 'proxy'", 'ringcache proxy: hint: see ringcache proxy --help'],
    });
    const config = report(new RingcacheError('RC_ERR_CONFIG', 'config: replication.r must be an integer'));
    expect(config.code).toBe(2);
    expect(config.lines[1]).toMatch(/^ringcache proxy: hint: .*CONFIGURATION\.md/);
    const failure = report(new CommandFailure('RC_ERR_UNREACHABLE', 'cannot reach the shard-master', 'start it'));
    expect(failure).toEqual({ code: 1, lines: ['ringcache proxy: RC_ERR_UNREACHABLE: cannot reach the shard-master', 'ringcache proxy: hint: start it'] });
  });

  it('an unexpected error is RC_ERR_INTERNAL with its stack and a request to report it', () => {
    const { code, lines } = report(new TypeError('x is not a function'));
    expect(code).toBe(1);
    expect(lines[0]).toMatch(/^ringcache proxy: RC_ERR_INTERNAL: unexpected failure: TypeError: x is not a function/);
    expect(lines.at(-1)).toMatch(/hint: this is a bug in ringcache/);
  });

  it('every error of any code gets a hint line', () => {
    for (const code of ['RC_ERR_TIMEOUT', 'RC_ERR_PLACEMENT', 'RC_ERR_STORAGE_FULL'] as const) {
      expect(report(new RingcacheError(code, 'x')).lines[1]).toMatch(/^ringcache proxy: hint: \S/);
    }
  });
});

describe('port in use', () => {
  const entries = [
    { key: 'proxy.respPort', host: '127.0.0.1', port: 6380 },
    { key: 'nodes[1].httpPort', host: '127.0.0.1', port: 7202 },
  ];

  it('names the port, its key and how to move it', () => {
    const failure = portInUse(entries[0]!);
    expect(failure.code).toBe('RC_ERR_PORT_IN_USE');
    expect(failure.message).toBe('port 6380 (proxy.respPort) on 127.0.0.1 is in use by another process');
    expect(failure.advice).toContain('--proxy.respPort=PORT');
    expect(portInUse(entries[1]!).advice).toContain('change nodes[1].httpPort in the config file');
  });

  it('recognises a listen error, raw or wrapped in a role message', () => {
    const raw = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:7202'), { code: 'EADDRINUSE', port: 7202 });
    expect(portInUseFromError(raw, entries)?.message).toContain('nodes[1].httpPort');
    const wrapped = new Error('the proxy cannot listen on 127.0.0.1:6380: listen EADDRINUSE: address already in use 127.0.0.1:6380; see proxy.respPort');
    expect(portInUseFromError(wrapped, entries)?.message).toContain('proxy.respPort');
    expect(portInUseFromError(new Error('listen EADDRINUSE: address already in use 127.0.0.1:9999'), entries)).toBeUndefined();
    expect(portInUseFromError(new Error('ECONNREFUSED 127.0.0.1:6380'), entries)).toBeUndefined();
  });
});
