import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { MEMBERSHIP_DEFAULTS } from '../../src/membership/index.js';
import { expectError } from '../support/expect-error.js';

const withMembership = (membership: Record<string, unknown>) => () => loadConfig({ file: { membership } });

describe('membership configuration', () => {
  it('defaults to the LAN profile of membership/options.ts', () => {
    expect(loadConfig().membership).toEqual(MEMBERSHIP_DEFAULTS);
  });

  it('refuses settings out of range, naming the setting', () => {
    expectError(withMembership({ fanout: 0 }), 'RC_ERR_CONFIG', /membership\.fanout must be an integer in 1\.\.64, got 0/);
    expectError(withMembership({ indirectProbes: 0 }), 'RC_ERR_CONFIG', /membership\.indirectProbes/);
    expectError(withMembership({ messageBytesMax: 10 }), 'RC_ERR_CONFIG', /membership\.messageBytesMax/);
    expectError(() => loadConfig({ env: { RINGCACHE_MEMBERSHIP_GOSSIP_INTERVAL_MS: '0' } }), 'RC_ERR_CONFIG', /membership\.gossipIntervalMs must be an integer in 10\.\.60000, got 0/);
  });

  it('refuses a probe timeout that leaves no time for indirect probes', () => {
    expectError(withMembership({ probeTimeoutMs: 200 }), 'RC_ERR_CONFIG', /membership\.probeTimeoutMs \(200\) must be below membership\.probeIntervalMs \(200\)/);
    expectError(() => loadConfig({ overrides: ['membership.probeIntervalMs=50'] }), 'RC_ERR_CONFIG', /membership\.probeTimeoutMs \(100\) must be below membership\.probeIntervalMs \(50\)/);
    expect(loadConfig({ file: { membership: { probeIntervalMs: 1000, probeTimeoutMs: 500 } } }).membership.probeTimeoutMs).toBe(500);
  });

  it('refuses a view that goes stale before the next pull', () => {
    expectError(withMembership({ viewStaleMs: 500 }), 'RC_ERR_CONFIG', /membership\.viewStaleMs \(500\) must be above membership\.viewPullIntervalMs \(500\)/);
  });
});
