import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bulkReply, errorReply, REPLIES, RespServer } from '../../src/resp/index.js';
import type { Reply, RespConnection, RespHandler } from '../../src/resp/index.js';
import { SystemClock } from '../../src/runtime/index.js';
import { renderMarkdown } from '../../load/bench-markdown.js';
import { median, pairedRatios, reportFileStem, summarizeRuns, writeReport } from '../../load/bench-report.js';
import type { BenchReport, RunRecord } from '../../load/bench-report.js';
import { buildReport } from '../../load/bench.js';
import { planRounds } from '../../load/bench-rounds.js';
import { startFastifyTarget } from '../../load/fastify-target.js';
import { runHttpLoad } from '../../load/http-driver.js';
import { LatencyHistogram } from '../../load/latency-histogram.js';
import { nutcrackerYaml, startBareRedis, startTwemproxy } from '../../load/peers.js';
import { testPort } from '../support/ports.js';
import { hasCommand } from '../../load/processes.js';
import { runRespLoad, sequentialSets, zipfMix } from '../../load/resp-driver.js';
import { ReplyScanner, errorKind } from '../../load/resp-reply-scanner.js';
import { keyName, ZipfKeys } from '../../load/zipf-keys.js';

/** The toy server the drivers are tested against: a Map behind src/resp's RespServer. */
class MapHandler implements RespHandler {
  readonly store = new Map<string, Buffer>();
  readonly counts = { GET: 0, SET: 0, AUTH: 0, other: 0 };
  failSets = false;
  closeAfter = Number.POSITIVE_INFINITY;
  constructor(private readonly password?: string) {}

  onCommand(args: Buffer[], connection: RespConnection): Reply {
    const name = args[0]!.toString().toUpperCase();
    if (name === 'AUTH') {
      this.counts.AUTH++;
      if (args[1]?.toString() !== this.password) return errorReply('WRONGPASS invalid password');
      connection.state.authenticated = true;
      return REPLIES.ok;
    }
    if (this.password !== undefined && connection.state.authenticated !== true) return errorReply('NOAUTH Authentication required.');
    if (this.counts.GET + this.counts.SET >= this.closeAfter) return REPLIES.close;
    if (name === 'GET') {
      this.counts.GET++;
      return bulkReply(this.store.get(args[1]!.toString('latin1')) ?? null);
    }
    if (name === 'SET') {
      this.counts.SET++;
      if (this.failSets) return errorReply('ERR storage full');
      this.store.set(args[1]!.toString('latin1'), Buffer.from(args[2]!));
      return REPLIES.ok;
    }
    this.counts.other++;
    return errorReply(`ERR unknown command '${name}'`);
  }
}

const servers: RespServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function toyServer(password?: string): Promise<{ handler: MapHandler; port: number }> {
  const handler = new MapHandler(password);
  const server = new RespServer({ handler, clock: new SystemClock() }, { host: '127.0.0.1', port: 0, closeTimeoutMs: 500 });
  await server.start();
  servers.push(server);
  return { handler, port: server.port };
}

describe('RESP driver against a toy Map server', () => {
  it('stops at exactly requestsMax, answers all of them, and reports sane figures', async () => {
    const { handler, port } = await toyServer();
    const keys = new ZipfKeys({ keyCount: 1000 });
    const result = await runRespLoad({
      host: '127.0.0.1', port, connections: 5, pipeline: 4, workload: zipfMix(keys, 0.9), requestsMax: 2003, durationMs: 20_000,
    });
    expect(result.requests).toBe(2003);
    expect(handler.counts.GET + handler.counts.SET).toBe(2003);
    expect(result).toMatchObject({ errors: 0, lost: 0, connections: 5, pipeline: 4 });
    expect(handler.counts.GET / 2003).toBeGreaterThan(0.85);
    expect(handler.counts.GET / 2003).toBeLessThan(0.95);
    expect(result.opsPerSec).toBeGreaterThan(100);
    const { latency } = result;
    expect(latency.count).toBe(2003);
    expect(latency.p50Us).toBeGreaterThan(0);
    expect(latency.p50Us).toBeLessThanOrEqual(latency.p99Us);
    expect(latency.p99Us).toBeLessThanOrEqual(latency.p999Us);
    expect(latency.p999Us).toBeLessThanOrEqual(latency.maxUs);
    expect(result.driverCpuPercent).toBeGreaterThan(0);
  });

  it('stops at the time limit when the request budget is far away', async () => {
    const { port } = await toyServer();
    const ticks: number[] = [];
    const started = Date.now();
    const result = await runRespLoad({
      host: '127.0.0.1', port, connections: 4, pipeline: 1, workload: zipfMix(new ZipfKeys({ keyCount: 100 }), 0.5),
      requestsMax: 1e12, durationMs: 400, tickMs: 100, onTick: (tick) => ticks.push(tick.opsPerSec),
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(390);
    expect(result.requests).toBeGreaterThan(0);
    expect(result.lost).toBe(0);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
  });

  it('preloads every key once with sequential SETs', async () => {
    const { handler, port } = await toyServer();
    const result = await runRespLoad({
      host: '127.0.0.1', port, connections: 3, pipeline: 16, workload: sequentialSets(500, Buffer.from('abc')), requestsMax: 500, durationMs: 10_000,
    });
    expect(result.requests).toBe(500);
    expect(handler.store.size).toBe(500);
    expect(handler.store.get(keyName(499))?.toString()).toBe('abc');
  });

  it('counts error replies and keeps the first one', async () => {
    const { handler, port } = await toyServer();
    handler.failSets = true;
    const result = await runRespLoad({
      host: '127.0.0.1', port, connections: 2, pipeline: 8, workload: sequentialSets(100, Buffer.from('x')), requestsMax: 100, durationMs: 10_000,
    });
    expect(result.errors).toBe(100);
    expect(result.firstError).toBe('ERR storage full');
  });

  it('AUTHs each connection first, and fails clearly on a wrong password', async () => {
    const { handler, port } = await toyServer('sesame');
    const result = await runRespLoad({
      host: '127.0.0.1', port, password: 'sesame', connections: 3, pipeline: 2, workload: zipfMix(new ZipfKeys({ keyCount: 10 }), 1), requestsMax: 50, durationMs: 5000,
    });
    expect(result).toMatchObject({ requests: 50, errors: 0 });
    expect(handler.counts.AUTH).toBe(3);
    await expect(runRespLoad({
      host: '127.0.0.1', port, password: 'wrong', connections: 1, pipeline: 1, workload: zipfMix(new ZipfKeys({ keyCount: 10 }), 1), requestsMax: 5, durationMs: 1000,
    })).rejects.toThrow(/AUTH refused: WRONGPASS/);
  });

  it('finishes (no hang) when the server closes connections mid-run, counting the lost requests', async () => {
    const { handler, port } = await toyServer();
    handler.closeAfter = 200;
    const result = await runRespLoad({
      host: '127.0.0.1', port, connections: 4, pipeline: 4, workload: zipfMix(new ZipfKeys({ keyCount: 10 }), 1), requestsMax: 1e9, durationMs: 10_000, drainMs: 500,
    });
    expect(result.requests).toBeGreaterThanOrEqual(200);
    expect(result.elapsedMs).toBeLessThan(5000);
    expect(result.firstError).toBeDefined();
  });

  it('refuses to connect to a closed port with a message naming it', async () => {
    const { port } = await toyServer();
    await servers.pop()!.stop();
    await expect(runRespLoad({
      host: '127.0.0.1', port, connections: 1, pipeline: 1, workload: zipfMix(new ZipfKeys(), 1), requestsMax: 1, durationMs: 100,
    })).rejects.toThrow(`127.0.0.1:${port}`);
  });
});

describe('driver parts', () => {
  it('ReplyScanner finds every reply however the stream is cut', () => {
    const stream = Buffer.from('+OK\r\n$3\r\nabc\r\n$-1\r\n:42\r\n-ERR no\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n$0\r\n\r\n*-1\r\n');
    for (let cut = 0; cut <= stream.length; cut++) {
      const scanner = new ReplyScanner();
      const replies = scanner.feed(stream.subarray(0, cut)) + scanner.feed(stream.subarray(cut));
      expect(replies).toBe(8);
      expect(scanner.errors).toBe(1);
      expect(scanner.firstError).toBe('ERR no');
    }
    const byteByByte = new ReplyScanner();
    let replies = 0;
    for (const byte of stream) replies += byteByByte.feed(Buffer.from([byte]));
    expect(replies).toBe(8);
    expect(() => new ReplyScanner().feed(Buffer.from('?what\r\n'))).toThrow(/unexpected reply type/);
  });

  it('ReplyScanner counts error replies by kind, at most 16 kinds', () => {
    expect(errorKind('ERR write acknowledged by 1 of 2 required replicas (w=2)')).toBe('ERR write acknowledged by');
    expect(errorKind('ERR RC_ERR_TIMEOUT n1 did not answer in 500 ms')).toBe('ERR RC_ERR_TIMEOUT');
    expect(errorKind('ERR 12 keys')).toBe('ERR # keys');
    const scanner = new ReplyScanner();
    const errors = Array.from({ length: 20 }, (_, i) => `-ERR kind${String.fromCharCode(97 + i)}\r\n`).join('');
    scanner.feed(Buffer.from(`-ERR kinda\r\n${errors}+OK\r\n`));
    expect(scanner.errors).toBe(21);
    expect(scanner.errorKinds.size).toBe(17);
    expect(scanner.errorKinds.get('ERR kinda')).toBe(2);
    expect(scanner.errorKinds.get('other')).toBe(4);
  });

  it('LatencyHistogram is exact below 128 us and within 1/64 above', () => {
    const histogram = new LatencyHistogram();
    for (let value = 1; value <= 100; value++) histogram.record(value);
    expect(histogram.valueAt(0.5)).toBe(50);
    expect(histogram.valueAt(0.99)).toBe(99);
    expect(histogram.summary()).toMatchObject({ count: 100, maxUs: 100, meanUs: 50.5 });
    for (const value of [130, 1000, 12_345, 999_999, 50_000_000]) {
      const single = new LatencyHistogram();
      single.record(value);
      const reported = single.valueAt(0.5);
      expect(reported).toBeGreaterThanOrEqual(value);
      expect((reported - value) / value).toBeLessThanOrEqual(1 / 64);
    }
    const merged = new LatencyHistogram();
    merged.recordMany(10, 3);
    const other = new LatencyHistogram();
    other.record(1000);
    merged.add(other);
    expect(merged.summary()).toMatchObject({ count: 4, maxUs: 1000 });
    merged.reset();
    expect(merged.summary().count).toBe(0);
  });

  it('ZipfKeys: seeded, skewed towards key 0, 16-byte keys, 3-byte values', () => {
    const draw = (seed: number): string[] => {
      const keys = new ZipfKeys({ keyCount: 100_000, seed });
      return Array.from({ length: 20 }, () => keys.nextKey());
    };
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
    const keys = new ZipfKeys();
    expect(keys.value.toString()).toBe('xxx');
    expect(keyName(42)).toBe('key:000000000042');
    let hottest = 0;
    let topPercent = 0;
    const samples = 50_000;
    for (let index = 0; index < samples; index++) {
      const key = keys.nextIndex();
      if (key === 0) hottest++;
      if (key < 1000) topPercent++;
    }
    // Zipf 0.99 over 100,000 keys: the hottest key ~8%, the top 1% of keys ~60% of draws.
    expect(hottest / samples).toBeGreaterThan(0.05);
    expect(hottest / samples).toBeLessThan(0.11);
    expect(topPercent / samples).toBeGreaterThan(0.5);
    expect(topPercent / samples).toBeLessThan(0.7);
  });
});

describe('HTTP driver', () => {
  it('drives a bare fastify target for a bounded time', async () => {
    const target = await startFastifyTarget(0);
    try {
      const result = await runHttpLoad({
        url: `http://127.0.0.1:${target.port}`, connections: 4, durationSeconds: 1, requestsMax: 1e9, keys: new ZipfKeys({ keyCount: 100 }), getRatio: 1,
      });
      expect(result.requests).toBeGreaterThan(50);
      expect(result.errors).toBe(0);
      expect(result.elapsedMs).toBeLessThan(5000);
      expect(result.opsPerSec).toBeGreaterThan(0);
    } finally {
      await target.close();
    }
  });
});

describe('peers (skipped where redis-server / nutcracker are not installed)', () => {
  it('writes nutcracker.yml as BENCHMARKS.md shows', () => {
    expect(nutcrackerYaml(22121, [7001, 7002, 7003])).toBe([
      'alpha:', '  listen: 127.0.0.1:22121', '  hash: fnv1a_64', '  distribution: ketama', '  redis: true',
      '  auto_eject_hosts: false', '  server_connections: 1', '  timeout: 4000', '  servers:',
      '   - 127.0.0.1:7001:1 r1', '   - 127.0.0.1:7002:1 r2', '   - 127.0.0.1:7003:1 r3', '',
    ].join('\n'));
  });

  it.skipIf(!hasCommand('redis-server'))('drives a bare redis-server started on a free port, then stops it', async () => {
    const redis = await startBareRedis([], () => undefined, testPort);
    try {
      const result = await runRespLoad({
        ...redis.endpoint, connections: 4, pipeline: 4, workload: zipfMix(new ZipfKeys({ keyCount: 1000 }), 0.9), requestsMax: 5000, durationMs: 5000,
      });
      expect(result).toMatchObject({ requests: 5000, errors: 0 });
    } finally {
      await redis.stop();
    }
    expect(redis.children.every((child) => child.exit !== null)).toBe(true);
  });

  it.skipIf(!hasCommand('redis-server') || !hasCommand('nutcracker'))('drives twemproxy over 3 redis-servers, then stops all four', async () => {
    const twemproxy = await startTwemproxy([], () => undefined, testPort);
    try {
      const result = await runRespLoad({
        ...twemproxy.endpoint, connections: 4, pipeline: 4, workload: zipfMix(new ZipfKeys({ keyCount: 1000 }), 0.5), requestsMax: 3000, durationMs: 5000,
      });
      expect(result).toMatchObject({ requests: 3000, errors: 0 });
    } finally {
      await twemproxy.stop();
    }
    expect(twemproxy.children).toHaveLength(4);
    expect(twemproxy.children.every((child) => child.exit !== null)).toBe(true);
  });
});

describe('bench report', () => {
  const run = (round: number, target: string, workload: string, opsPerSec: number): RunRecord => ({
    round, target, workload, opsPerSec, p50Us: opsPerSec / 100, p99Us: opsPerSec / 10, p999Us: opsPerSec / 5,
    requests: opsPerSec * 5, errors: 0, lost: 0, driverCpuPercent: 50, serverCpuPercent: 90,
  });
  // Round 2 runs on a host twice as fast: paired ratios must not care.
  const runs: RunRecord[] = [
    run(1, 'redis', 'resp-p1', 70_000), run(1, 'ringcache-n3', 'resp-p1', 35_000), run(1, 'twemproxy', 'resp-p1', 50_000),
    run(2, 'redis', 'resp-p1', 140_000), run(2, 'ringcache-n3', 'resp-p1', 70_000), run(2, 'twemproxy', 'resp-p1', 100_000),
    run(3, 'redis', 'resp-p1', 80_000), run(3, 'ringcache-n3', 'resp-p1', 60_000), run(3, 'twemproxy', 'resp-p1', 60_000),
    run(1, 'fastify', 'http-get', 40_000), run(1, 'ringcache-n3', 'http-get', 20_000),
  ];

  it('medians per target and workload, paired ratios per round', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
    const redis = summarizeRuns(runs).find((record) => record.target === 'redis')!;
    expect(redis).toMatchObject({ workload: 'resp-p1', rounds: 3, opsPerSec: 80_000, p50Us: 800, serverCpuPercent: 90, errors: 0 });
    const ratios = pairedRatios(runs);
    expect(ratios).toContainEqual({ target: 'ringcache-n3', baseline: 'redis', workload: 'resp-p1', ratio: 0.5, rounds: 3, cpuRatio: 0.5 });
    expect(ratios).toContainEqual({ target: 'ringcache-n3', baseline: 'twemproxy', workload: 'resp-p1', ratio: 0.7, rounds: 3, cpuRatio: expect.closeTo(0.7, 9) as number });
    expect(ratios).toContainEqual({ target: 'ringcache-n3', baseline: 'fastify', workload: 'http-get', ratio: 0.5, rounds: 1, cpuRatio: 0.5 });
    expect(ratios.some((ratio) => ratio.target === 'ringcache-n1')).toBe(false);
  });

  it('writes JSON and Markdown with the machine, the date, medians and ratios', () => {
    const notes: string[] = ['a note'];
    const report: BenchReport = buildReport({
      options: {
        rounds: 3, budgetSeconds: 600, runSeconds: 5, connections: 50, keyCount: 100_000, skew: 0.99, valueBytes: 3, getRatio: 0.9,
        outDir: '', pin: true, isolate: true, config: undefined as never, io: { out: () => undefined, err: () => undefined },
      },
      startedAt: new Date('2026-01-02T03:04:05.678Z'),
      pinning: 'servers pinned to cpu 0',
      targets: [
        { name: 'redis', description: 'bare redis', status: 'measured' },
        { name: 'twemproxy', description: 'twemproxy', status: 'skipped', reason: 'nutcracker is not installed' },
      ],
      runs,
      notes,
    });
    const folder = mkdtempSync(join(tmpdir(), 'ringcache-report-'));
    const stem = reportFileStem(new Date('2026-01-02T03:04:05.678Z'));
    expect(stem).toBe('bench-2026-01-02T03-04-05Z');
    const paths = writeReport(report, folder, stem, renderMarkdown(report));
    const json = JSON.parse(readFileSync(paths.json, 'utf8')) as BenchReport;
    expect(json).toMatchObject({ kind: 'ringcache-bench', version: 1, date: '2026-01-02T03:04:05.678Z' });
    expect(json.machine.node).toBe(process.version);
    expect(json.machine.cpus).toBeGreaterThan(0);
    expect(json.runs).toHaveLength(runs.length);
    expect(json.ratios.length).toBeGreaterThan(0);
    const markdown = readFileSync(paths.markdown, 'utf8');
    expect(markdown).toContain('# ringcache benchmark, 2026-01-02T03:04:05.678Z');
    expect(markdown).toContain(`Node ${process.version}`);
    expect(markdown).toContain('| redis | 80.0k | 800 us | 8.00 ms | 16.00 ms | 90% | 0 | 3 |');
    expect(markdown).toContain('| resp-p1 | ringcache-n3 | redis | 0.50 | 0.50 | 3 |');
    expect(markdown).toContain('(skipped: nutcracker is not installed)');
    // autocannon's 1 ms resolution: sub-millisecond HTTP latencies are not printed as a false 0.4 ms.
    expect(markdown).toContain('| fastify | 40.0k | <1 ms | 4.00 ms | 8.00 ms |');
    expect(markdown).toContain('- a note');
    rmSync(folder, { recursive: true, force: true });
  });

  it('fits rounds into the time budget, shortening runs before dropping rounds', () => {
    const notes: string[] = [];
    expect(planRounds({ rounds: 5, runSeconds: 5 }, 11, 600_000, notes)).toEqual({ rounds: 5, runSeconds: 5 });
    expect(notes).toEqual([]);
    const shortened = planRounds({ rounds: 5, runSeconds: 5 }, 11, 200_000, notes);
    expect(shortened.rounds).toBe(5);
    expect(shortened.runSeconds).toBeGreaterThanOrEqual(1);
    expect(shortened.runSeconds).toBeLessThan(5);
    const dropped = planRounds({ rounds: 5, runSeconds: 5 }, 11, 60_000, notes);
    expect(dropped).toMatchObject({ runSeconds: 1 });
    expect(dropped.rounds).toBeLessThan(5);
    expect(notes).toHaveLength(2);
  });

  it('one target at a time: the start-ups of every round come out of the budget before the runs', () => {
    const notes: string[] = [];
    // 4 targets x 15 s of start-up per round: 5 rounds of 38 runs no longer fit 5 s each in 600 s.
    const isolated = planRounds({ rounds: 5, runSeconds: 5 }, 38, 600_000, notes, 60);
    expect(isolated.runSeconds).toBeLessThan(5);
    expect(planRounds({ rounds: 5, runSeconds: 5 }, 38, 600_000, [], 0).runSeconds)
      .toBeGreaterThan(isolated.runSeconds);
    expect(planRounds({ rounds: 3, runSeconds: 3 }, 26, 800_000, [], 45)).toEqual({ rounds: 3, runSeconds: 3 });
  });
});
