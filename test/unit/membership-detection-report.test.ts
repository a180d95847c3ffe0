import { describe, expect, it } from 'vitest';
import { renderDetectionMarkdown } from '../../load/detection-report.js';
import type { DetectionReport } from '../../load/detection-report.js';
import { MEMBERSHIP_DEFAULTS } from '../../src/membership/index.js';

const sample = (phase: 'idle' | 'loaded', allNodesMs: number | null, proxyMs: number | null) => ({
  phase, victim: 'n2', byObserver: { n1: 700, proxy: 800 }, missing: allNodesMs === null ? ['n3'] : [],
  firstNodeMs: 650, allNodesMs, proxyMs, backUpMs: 900,
});

describe('the detection benchmark report', () => {
  it('summarizes kills per phase (median and max, with what was missed) and the false-positive window', () => {
    const report: DetectionReport = {
      startedAt: '2026-12-02T00:00:00.000Z',
      machine: { cpus: 2, node: 'v20.19.0' },
      membership: MEMBERSHIP_DEFAULTS,
      samples: [sample('idle', 700, 800), sample('idle', 900, 950), sample('idle', null, 1000), sample('loaded', 800, 40)],
      falsePositives: { seconds: 60, downsDeclared: 0, suspicionsRaised: 2, refutations: 2, viewSamples: 200, suspectSeen: 1, downSeen: 0, proxyDownSeen: 0, healthScoreMax: 1 },
      load: { opsPerSec: 14_000, requests: 840_000, errors: 0, connections: 16, pipeline: 4 },
      notes: ['servers pinned'],
    };
    const text = renderDetectionMarkdown(report);
    expect(text).toContain('kill -9 (idle): every other node holds it down: median 700 ms, max 900 ms over 2 (1 not within the wait); the proxy: median 950 ms, max 1000 ms over 3');
    expect(text).toContain('kill -9 (loaded): every other node holds it down: median 800 ms, max 800 ms over 1');
    expect(text).toContain('false positives in 60 s under load: 0 downs declared by any node (2 suspicions, 2 refutations)');
    expect(text).toContain('| idle | n2 | 650 | null | 1000 | 900 | n1 700, proxy 800 |');
  });
});
