import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { descendants, openBaselineCheckout, startBaseline } from '../../load/baseline-target.js';
import type { RunRecord } from '../../load/bench-report.js';
import { pairedRatios } from '../../load/bench-report.js';
import { WORKLOADS } from '../../load/bench-measure.js';
import { selectedWorkloads } from '../../load/bench-rounds.js';
import { WORKLOAD_NAMES } from '../../src/cli/bench.js';
import { runRespLoad, sequentialSets } from '../../load/resp-driver.js';
import { alive } from '../support/readers.js';

/**
 * `bench proxy --baseline DIR`: a cluster started from another checkout by its own launcher and
 * config, its processes found for the CPU figures, stopped without leaving one behind; and the
 * same-shape ratios. The "other checkout" here is this one (built by `npm test` first).
 */
const repo = resolve(import.meta.dirname, '..', '..');


describe('bench baseline checkout', () => {
  it('refuses a folder that is not a built ringcache checkout, saying why', () => {
    const empty = mkdtempSync(join(tmpdir(), 'ringcache-not-a-checkout-'));
    try {
      expect(() => openBaselineCheckout(empty, '/')).toThrow(/no bin\/ringcache\.js there/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('finds the descendants of a process through /proc', async () => {
    // sh -> sleep: the grandchild is what a launcher's members are to the bench.
    const child = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    await new Promise((done) => setTimeout(done, 200));
    const found = descendants(child.pid!);
    expect(found.length).toBeGreaterThanOrEqual(1);
    for (const pid of found) process.kill(pid, 'SIGKILL');
    child.kill('SIGKILL');
  });

  it.skipIf(!existsSync(join(repo, 'dist')))('starts a checkout\'s own cluster, takes writes, charges its members, and stops every one', async () => {
    const checkout = openBaselineCheckout(repo, '/');
    expect(checkout.label).toMatch(/^[0-9a-f]{12}$/);
    const lines: string[] = [];
    const target = await startBaseline(checkout, [1, 1, 1], 'baseline-n1', [], (_name, _stream, line) => { lines.push(line); });
    let pids: number[];
    try {
      pids = target.pids();
      // The launcher, the master, the five nodes of config/local.json and the proxy.
      expect(pids.length).toBeGreaterThanOrEqual(8);
      const load = await runRespLoad({ ...target.resp!, connections: 2, pipeline: 4, workload: sequentialSets(200, Buffer.from('abc')), requestsMax: 200, durationMs: 20_000 });
      expect(load.requests).toBe(200);
      expect(load.errors).toBe(0);
    } finally {
      await target.stop();
    }
    await new Promise((done) => setTimeout(done, 500));
    expect(pids.filter(alive)).toEqual([]);
  }, 90_000);

  it('pairs each cluster shape with its baseline, and never a run answered with errors', () => {
    const run = (round: number, target: string, workload: string, opsPerSec: number, errors = 0): RunRecord => ({
      round, target, workload, opsPerSec, p50Us: 1, p99Us: 1, p999Us: 1, requests: opsPerSec, errors, lost: 0, driverCpuPercent: 50,
    });
    const ratios = pairedRatios([
      run(1, 'ringcache-n1', 'resp-p1', 30_000), run(1, 'baseline-n1', 'resp-p1', 20_000),
      run(2, 'ringcache-n1', 'resp-p1', 40_000), run(2, 'baseline-n1', 'resp-p1', 40_000),
      run(1, 'ringcache-n3', 'resp-p1', 10_000), run(1, 'baseline-n3', 'resp-p1', 20_000),
      // The older code lacks HSET: its errors make the run incomparable.
      run(1, 'ringcache-n1', 'resp-hset', 5_000), run(1, 'baseline-n1', 'resp-hset', 50_000, 50_000),
    ]);
    expect(ratios).toContainEqual({ target: 'ringcache-n1', baseline: 'baseline-n1', workload: 'resp-p1', ratio: 1.25, rounds: 2 });
    expect(ratios).toContainEqual({ target: 'ringcache-n3', baseline: 'baseline-n3', workload: 'resp-p1', ratio: 0.5, rounds: 1 });
    expect(ratios.some((ratio) => ratio.target === 'ringcache-n3' && ratio.baseline === 'baseline-n1')).toBe(false);
    expect(ratios.some((ratio) => ratio.workload === 'resp-hset')).toBe(false);
  });

  it('gives the CPU-per-op ratio beside the throughput ratio when both runs have server CPU', () => {
    const run = (target: string, opsPerSec: number, serverCpuPercent: number): RunRecord => ({
      round: 1, target, workload: 'resp-p1', opsPerSec, p50Us: 1, p99Us: 1, p999Us: 1, requests: opsPerSec, errors: 0, lost: 0,
      driverCpuPercent: 50, serverCpuPercent,
    });
    // Half the throughput on a busier host, but the same CPU per request: the code did not get slower.
    const [ratio] = pairedRatios([run('ringcache-n1', 10_000, 50), run('baseline-n1', 20_000, 100)]);
    expect(ratio).toMatchObject({ target: 'ringcache-n1', baseline: 'baseline-n1', ratio: 0.5, cpuRatio: 1 });
    // Net of idle CPU: 20% of a core idle is 20 us a request at 10k ops/s, 10 us at 20k.
    const idle = (record: RunRecord, serverIdleCpuPercent: number): RunRecord => ({ ...record, serverIdleCpuPercent });
    const [net] = pairedRatios([idle(run('ringcache-n1', 10_000, 70), 20), idle(run('baseline-n1', 20_000, 120), 20)]);
    expect(net?.cpuRatio).toBeCloseTo(1, 9);
  });

  it('--workloads names exactly the workloads there are, and selects among them', () => {
    expect([...WORKLOAD_NAMES]).toEqual(WORKLOADS.map((workload) => workload.name));
    expect(selectedWorkloads({ workloads: ['resp-p16', 'resp-p1'] }).map((workload) => workload.name)).toEqual(['resp-p1', 'resp-p16']);
    expect(selectedWorkloads({})).toHaveLength(WORKLOADS.length);
  });
});
