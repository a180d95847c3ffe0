import { describe, expect, it } from 'vitest';
import type { DashboardOverview, DashboardServer } from '../../src/client/dashboard-api.js';
import { ago, bytesText, renderStatus } from '../../src/cli/status-render.js';

const NOW = 1_800_000_000_000;

function server(id: string, zone: string, fields: Partial<DashboardServer>): DashboardServer {
  return {
    id, zone, capacity: 1, host: '127.0.0.1', port: 7101, httpPort: 7201, state: 'active', replicas: 512, target: 512, share: 512 / 3072, leads: 171,
    status: 'up', statusSource: 'probe',
    probe: { status: 'up', checkedAtMs: NOW - 300, failingSinceMs: null, error: null, roundTripMs: 2 },
    holds: { atMs: NOW, keys: 1500, bytes: 3 * 1024 * 1024, bytesMax: 256 * 1024 * 1024, vnodes: 480, epoch: 7, evictions: 0, rejections: 0 },
    holdsProblem: null, requests: null, requestsReported: false,
    ...fields,
  };
}

const overview: DashboardOverview = {
  atMs: NOW, epoch: 7, epochChangedAtMs: NOW - 150_000, vnodeCount: 1024, replicaCount: 3, imbalance: 0.0234,
  zones: [{ zone: 'a', servers: ['n1', 'n2'] }, { zone: 'b', servers: ['n3'] }],
  servers: [
    server('n1', 'a', {}),
    server('n2', 'a', { holds: { atMs: NOW, keys: 0, bytes: 0, bytesMax: 256 * 1024 * 1024, vnodes: 0, epoch: 7, evictions: 0, rejections: 0 } }),
    server('n3', 'b', {
      status: 'down', holds: null, holdsProblem: 'not asked: its /health probes fail',
      probe: { status: 'down', checkedAtMs: NOW - 200, failingSinceMs: NOW - 9000, error: 'connection refused', roundTripMs: null },
    }),
  ],
  totals: { keys: 1500, bytes: 3 * 1024 * 1024, up: 2, suspect: 0, down: 1 },
  proxies: {
    note: 'every proxy posts its requests with its load report',
    configured: [{ source: 'config', url: 'http://127.0.0.1:8080', probe: { status: 'up', checkedAtMs: NOW, failingSinceMs: null, error: null, roundTripMs: 1 }, epoch: 7, serversDown: 1 }],
    reporting: [
      {
        id: 'proxy.1abc', endpoints: ['redis://127.0.0.1:6380', 'http://127.0.0.1:8080'], status: 'reporting', epoch: 7, intervalMs: 1000,
        firstReportAtMs: NOW - 60_000, lastReportAtMs: NOW - 400,
        latest: { atMs: NOW - 400, perSec: 5210, errorsPerSec: 0, rejectedPerSec: 2, p50Ms: 0.412, p99Ms: 2.61 },
      },
      {
        id: 'proxy.9zz', endpoints: [], status: 'silent', epoch: 6, intervalMs: 1000,
        firstReportAtMs: NOW - 90_000, lastReportAtMs: NOW - 30_000,
        latest: { atMs: NOW - 30_000, perSec: 0.5, errorsPerSec: 0.5, rejectedPerSec: 0, p50Ms: null, p99Ms: null },
      },
    ],
    history: {},
  },
  history: {},
  detection: { probeIntervalMs: 1000, downAfterMs: 2000, boundMs: 4800 },
};

describe('ringcache status rendering', () => {
  const lines = renderStatus(overview);

  it('heads with epoch, when it changed, the up/suspect/down counts and what the cluster holds', () => {
    expect(lines[0]).toBe('epoch 7 (committed 3 min ago)   V=1024 N=3   servers 3: 2 up, 0 suspect, 1 down, in 2 zones   imbalance 0.023 (fullest server 2.3% over its target)');
    expect(lines[1]).toBe("held: 1500 keys, 3.0 MiB over all replicas   status: the shard-master's /health probes (a dead node shows down within 4.8 s)");
    expect(lines[3]).toMatch(/^SERVER\s+ZONE\s+CAP\s+STATE\s+STATUS\s+KEYS\s+BYTES \/ MAX\s+VNODES HELD\s+REPLICAS\/TARGET\s+SHARE\s+LEADS\s+REQ\/S\s+P50 \/ P99 MS\s+INTERNODE\s+HTTP$/);
  });

  it('shows keys and bytes per node beside the table\'s replicas, so an empty node never reads "up 512/512" alone', () => {
    expect(lines[4]).toMatch(/^n1\s+a\s+1\s+active\s+up\s+1500\s+3\.0 MiB \/ 256\.0 MiB\s+480\s+512\/512\s+16\.7%\s+171\s+-\s+-\s+127\.0\.0\.1:7101\s+:7201$/);
    expect(lines[5]).toMatch(/^n2\s+a\s+1\s+active\s+up\s+0\s+0 B \/ 256\.0 MiB\s+0\s+512\/512\s/);
    expect(lines[6]).toMatch(/^n3\s+b\s+1\s+active\s+down\s+\?\s+\?\s+\?\s+512\/512\s/);
    expect(lines).toContain('  n2: holds no keys although the table gives it 512 replicas (empty after a restart? anti-entropy refills it while it says recovering)');
    expect(lines).toContain('  n3: /health probes failing for 9 s (connection refused); holdings unknown: not asked: its /health probes fail');
  });

  it('lists the proxies that report, with their own requests/s and p50/p99, then the probed one', () => {
    const head = lines.findIndex((line) => line.startsWith('PROXY'));
    expect(lines[head]).toMatch(/^PROXY\s+STATUS\s+REQ\/S\s+ERRORS\/S\s+REJECTED\/S\s+P50 \/ P99 MS\s+EPOCH\s+LAST REPORT\s+LISTENS$/);
    expect(lines[head + 1]).toMatch(/^proxy\.1abc\s+reporting\s+5210\s+0\s+2\.0\s+0\.412 \/ 2\.6\s+7\s+0 s ago\s+redis:\/\/127\.0\.0\.1:6380 http:\/\/127\.0\.0\.1:8080$/);
    expect(lines[head + 2]).toMatch(/^proxy\.9zz\s+silent\s+0\.5\s+0\.5\s+0\s+- \/ -\s+6\s+30 s ago$/);
    expect(lines).toContain('probed proxy http://127.0.0.1:8080: up, epoch 7, avoids 1 server');
    expect(lines.at(-1)).toBe('(every proxy posts its requests with its load report)');
  });

  it('says so when no proxy reports, or the master is too old to say', () => {
    const none = renderStatus({ ...overview, proxies: { ...overview.proxies, reporting: [] } });
    expect(none).toContain('proxies reporting: none yet');
    const { reporting: _dropped, ...older } = overview.proxies;
    const old = renderStatus({ ...overview, proxies: older as DashboardOverview['proxies'] });
    expect(old).toContain("proxies reporting: not in this master's answer (an older version)");
  });

  it('says when the status comes from gossip, and prints request rates when nodes report them', () => {
    const gossip = renderStatus({ ...overview, servers: [server('n1', 'a', { statusSource: 'gossip', requests: { perSec: 1234.4, errorsPerSec: 0, p50Ms: 0.3, p99Ms: 2 } })] });
    expect(gossip[1]).toContain('status: as gossip sees it');
    expect(gossip[4]).toMatch(/171\s+1234\s+0\.300 \/ 2\.0\s+127\.0\.0\.1/);
  });

  it('formats bytes and ages', () => {
    expect([bytesText(0), bytesText(1023), bytesText(1536), bytesText(5 * 1024 ** 3), bytesText('x')]).toEqual(['0 B', '1023 B', '1.5 KiB', '5.0 GiB', '?']);
    expect([ago(NOW - 4_000, NOW), ago(NOW - 600_000, NOW), ago(NOW - 4 * 3_600_000, NOW), ago(NOW + 5, NOW)]).toEqual(['4 s ago', '10 min ago', '4 h ago', '0 s ago']);
  });
});
